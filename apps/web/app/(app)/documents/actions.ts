'use server';

import { tenantAction } from '@bulkhead/tenancy/next';
import { ActionRefusedError, NotFoundError, schema } from '@bulkhead/tenancy/server';
import { and, eq, sql } from 'drizzle-orm';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';

const { documents } = schema;

const content = {
  title: z.string().trim().min(1, 'Give the document a title.').max(200, 'Use at most 200 characters.'),
  body: z.string().max(100_000, 'Documents are limited to 100,000 characters.').default(''),
};

export const createDocument = tenantAction({
  permission: 'documents.create',
  input: z.object(content),
  run: async ({ db, input, context }) => {
    // Plain SQL: Drizzle's insert lists every column (DEFAULT for the rest), and authenticated
    // may insert only tenant_id, id, title and body; author and timestamps are the database's.
    const { rows } = await db.execute<{ id: string }>(
      sql`insert into public.documents (tenant_id, title, body) values (${context.tenantId}, ${input.title}, ${input.body}) returning id`,
    );
    revalidatePath('/documents');
    return { id: rows[0]?.id as string };
  },
});

export const updateDocument = tenantAction({
  permission: 'documents.update',
  input: z.object({
    id: z.uuid(),
    // The version the editor started from: a save over someone else's newer save is refused
    // instead of silently overwriting it.
    version: z.iso.datetime({ offset: true }),
    ...content,
  }),
  run: async ({ db, input, context }) => {
    const [current] = await db
      .select({ updatedAt: documents.updatedAt })
      .from(documents)
      .where(and(eq(documents.tenantId, context.tenantId), eq(documents.id, input.id)))
      .for('update');
    if (!current) throw new NotFoundError();
    if (current.updatedAt.toISOString() !== new Date(input.version).toISOString()) {
      throw new ActionRefusedError(
        'Someone else saved this document after you opened it. Reload to see their changes; your text is still in the form.',
      );
    }
    const [row] = await db
      .update(documents)
      .set({ title: input.title, body: input.body })
      .where(and(eq(documents.tenantId, context.tenantId), eq(documents.id, input.id)))
      .returning({ updatedAt: documents.updatedAt });
    if (!row) throw new NotFoundError();
    revalidatePath('/documents');
    revalidatePath(`/documents/${input.id}`);
    return { version: row.updatedAt.toISOString() };
  },
});

export const deleteDocument = tenantAction({
  permission: 'documents.delete',
  input: z.object({ id: z.uuid() }),
  run: async ({ db, input, context }) => {
    const deleted = await db
      .delete(documents)
      .where(and(eq(documents.tenantId, context.tenantId), eq(documents.id, input.id)))
      .returning({ id: documents.id });
    // Zero rows: not in this tenant, or (for members) not their own document — the policy decides.
    if (deleted.length === 0) throw new NotFoundError('That document does not exist here, or you may not delete it.');
    revalidatePath('/documents');
    return { id: input.id };
  },
});
