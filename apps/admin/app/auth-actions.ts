'use server';

import { createSupabaseServerClient } from '@bulkhead/tenancy/next';
import { redirect } from 'next/navigation';
import { z } from 'zod';

export type FormState = { ok: false; error: string; email?: string } | null;

const credentials = z.object({
  email: z.email('Enter a valid email address.').max(255),
  password: z.string().min(1, 'Enter your password.').max(72),
});

/**
 * Signs in with the same Supabase Auth and the same session cookie as the tenant app: after this,
 * apps/web sees the user signed in too.
 */
export async function signIn(_: FormState, form: FormData): Promise<FormState> {
  const parsed = credentials.safeParse({ email: form.get('email'), password: form.get('password') });
  const email = typeof form.get('email') === 'string' ? String(form.get('email')) : undefined;
  if (!parsed.success) return { ok: false, error: parsed.error.issues[0]?.message ?? 'Check your input.', email };
  const supabase = await createSupabaseServerClient();
  const { error } = await supabase.auth.signInWithPassword(parsed.data);
  if (error) {
    const message =
      error.code === 'invalid_credentials' ? 'Email or password is incorrect.' : 'Sign-in failed. Please try again.';
    return { ok: false, error: message, email };
  }
  redirect('/');
}

/**
 * `global` ends every session of the user (Supabase deletes them all), so the tenant app is
 * signed out on its next request too; `local` ends this browser's session, which the two apps
 * share.
 */
export async function signOut(form: FormData): Promise<void> {
  const scope = form.get('scope') === 'global' ? 'global' : 'local';
  const supabase = await createSupabaseServerClient();
  await supabase.auth.signOut({ scope });
  redirect('/sign-in');
}

/**
 * A new access token now, so the claims hook re-reads the staff table: for someone made staff
 * after they signed in.
 */
export async function refreshClaims(): Promise<void> {
  const supabase = await createSupabaseServerClient();
  const { error } = await supabase.auth.refreshSession();
  redirect(error ? '/sign-in?reason=session_ended' : '/');
}
