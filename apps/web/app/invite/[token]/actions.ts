'use server';

import { userAction } from '@bulkhead/tenancy/next';
import type { ActionResult } from '@bulkhead/tenancy/server';
import { sql } from 'drizzle-orm';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { refreshClaims } from '@/lib/refresh';

const accept = userAction({
  input: z.object({ token: z.string().min(16).max(200) }),
  run: async ({ db, input }) => {
    const { rows } = await db.execute<{ tenant_id: string }>(sql`select public.accept_invitation(${input.token}) as tenant_id`);
    return rows[0]?.tenant_id ?? null;
  },
});

/** Joins the workspace, then refreshes the session so the token names it. */
export async function acceptInvitation(previous: ActionResult<string | null> | null, form: FormData) {
  const result = await accept(previous, form);
  if (!result.ok) {
    return result.code === 'invalid_input' ? { ...result, error: 'This invitation link is not valid.' } : result;
  }
  await refreshClaims();
  redirect('/documents');
}
