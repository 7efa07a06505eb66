import 'server-only';
import type { TenantContext } from '@bulkhead/tenancy';
import { schema, type TenantDb } from '@bulkhead/tenancy/server';
import { and, count, desc, eq, ilike, type SQL } from 'drizzle-orm';

export const PAGE_SIZE = 20;
const { documents } = schema;

/** Escapes LIKE wildcards so a search for "50%" means the text "50%". */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// RLS already limits every query to the caller's tenant; the explicit tenant filter is defense
// in depth (and what the tenant index is keyed on).
function inTenant(context: TenantContext, ...more: (SQL | undefined)[]) {
  return and(eq(documents.tenantId, context.tenantId), ...more);
}

export async function listDocuments(db: TenantDb, context: TenantContext, options: { query: string; page: number }) {
  const where = inTenant(context, options.query ? ilike(documents.title, containsPattern(options.query)) : undefined);
  const [rows, [total]] = await Promise.all([
    db
      .select({ id: documents.id, title: documents.title, updatedAt: documents.updatedAt, authorId: documents.authorId })
      .from(documents)
      .where(where)
      .orderBy(desc(documents.updatedAt), desc(documents.id))
      .limit(PAGE_SIZE)
      .offset((options.page - 1) * PAGE_SIZE),
    db.select({ n: count() }).from(documents).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

export async function getDocument(db: TenantDb, context: TenantContext, id: string) {
  const [row] = await db
    .select()
    .from(documents)
    .where(inTenant(context, eq(documents.id, id)));
  return row ?? null;
}
