'use server';

import { createSupabaseServerClient, userAction } from '@bulkhead/tenancy/next';
import { type ActionResult, NotFoundError } from '@bulkhead/tenancy/server';
import { sql } from 'drizzle-orm';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';

export const endSession = userAction({
  input: z.object({ sessionId: z.uuid() }),
  run: async ({ db, input }) => {
    const { rows } = await db.execute<{ ended: boolean }>(sql`select public.end_my_session(${input.sessionId}::uuid) as ended`);
    if (!rows[0]?.ended) throw new NotFoundError('That session has already ended.');
    revalidatePath('/account');
    return null;
  },
});

const passwordInput = z
  .object({
    password: z.string().min(8, 'Use at least 8 characters.').max(72, 'Use at most 72 characters.'),
    confirm: z.string(),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The passwords do not match.' });

/**
 * Changes the password, then ends every other session: whoever else held this account's
 * session loses it on their next request. This device stays signed in.
 */
export async function changePassword(_: ActionResult<null> | null, form: FormData): Promise<ActionResult<null>> {
  const parsed = passwordInput.safeParse({ password: form.get('password'), confirm: form.get('confirm') });
  if (!parsed.success) {
    return {
      ok: false,
      code: 'invalid_input',
      error: 'Please correct the highlighted fields.',
      fieldErrors: z.flattenError(parsed.error).fieldErrors as Record<string, string[]>,
    };
  }
  const supabase = await createSupabaseServerClient();
  const { error } = await supabase.auth.updateUser({ password: parsed.data.password });
  if (error) {
    const message =
      error.code === 'same_password'
        ? 'Choose a password different from the current one.'
        : error.code === 'weak_password'
          ? 'Choose a stronger password.'
          : 'The password could not be changed. Please sign in again and retry.';
    return { ok: false, code: 'failed', error: message };
  }
  await supabase.auth.signOut({ scope: 'others' });
  revalidatePath('/account');
  return { ok: true, data: null };
}
