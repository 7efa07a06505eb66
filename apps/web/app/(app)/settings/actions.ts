'use server';

import { tenantAction } from '@bulkhead/tenancy/next';
import { NotFoundError, schema } from '@bulkhead/tenancy/server';
import { eq } from 'drizzle-orm';
import { revalidatePath } from 'next/cache';
import { workspaceInput } from '@/lib/workspace-input';

export const updateWorkspace = tenantAction({
  permission: 'tenant.update',
  input: workspaceInput,
  run: async ({ db, input, context }) => {
    const { tenants } = schema;
    const updated = await db
      .update(tenants)
      .set({ name: input.name, slug: input.slug })
      .where(eq(tenants.id, context.tenantId))
      .returning({ id: tenants.id });
    if (updated.length === 0) throw new NotFoundError();
    revalidatePath('/', 'layout');
    return null;
  },
});
