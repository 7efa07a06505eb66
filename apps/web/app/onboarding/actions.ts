'use server';

import { userAction } from '@bulkhead/tenancy/next';
import type { ActionResult } from '@bulkhead/tenancy/server';
import { sql } from 'drizzle-orm';
import { redirect } from 'next/navigation';
import { refreshClaims } from '@/lib/refresh';
import { workspaceInput } from '@/lib/workspace-input';

const create = userAction({
  input: workspaceInput,
  run: async ({ db, input }) => {
    const { rows } = await db.execute<{ id: string }>(sql`select public.create_tenant(${input.name}, ${input.slug}) as id`);
    return rows[0]?.id ?? null;
  },
});

/** Creates the workspace (the creator becomes its owner and it becomes selected), then switches to it. */
export async function createWorkspace(previous: ActionResult<string | null> | null, form: FormData) {
  const result = await create(previous, form);
  if (!result.ok) return result;
  await refreshClaims();
  redirect('/documents');
}
