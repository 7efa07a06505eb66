'use server';

import { createSupabaseServerClient } from '@bulkhead/tenancy/next';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { safeNext } from '@/lib/safe-next';

export type AuthFormState = {
  ok: false;
  error?: string;
  fieldErrors?: Record<string, string[] | undefined>;
  email?: string;
} | null;

const credentials = z.object({
  email: z.email('Enter a valid email address.').max(255),
  password: z.string().min(8, 'Use at least 8 characters.').max(72, 'Use at most 72 characters.'),
});

function invalid(error: z.ZodError, email: unknown): AuthFormState {
  return { ok: false, fieldErrors: z.flattenError(error).fieldErrors, email: typeof email === 'string' ? email : undefined };
}

export async function signIn(_: AuthFormState, form: FormData): Promise<AuthFormState> {
  const parsed = credentials
    .pick({ email: true })
    .extend({ password: z.string().min(1, 'Enter your password.') })
    .safeParse({
      email: form.get('email'),
      password: form.get('password'),
    });
  if (!parsed.success) return invalid(parsed.error, form.get('email'));
  const supabase = await createSupabaseServerClient();
  const { error } = await supabase.auth.signInWithPassword(parsed.data);
  if (error) {
    const message =
      error.code === 'invalid_credentials' ? 'Email or password is incorrect.' : 'Sign-in failed. Please try again.';
    return { ok: false, error: message, email: parsed.data.email };
  }
  redirect(safeNext(form.get('next')));
}

export async function signUp(_: AuthFormState, form: FormData): Promise<AuthFormState> {
  const parsed = credentials.safeParse({ email: form.get('email'), password: form.get('password') });
  if (!parsed.success) return invalid(parsed.error, form.get('email'));
  const supabase = await createSupabaseServerClient();
  const { data, error } = await supabase.auth.signUp(parsed.data);
  if (error) {
    const message =
      error.code === 'user_already_exists' || error.code === 'email_exists'
        ? 'An account with this email already exists. Sign in instead.'
        : error.code === 'weak_password'
          ? 'Choose a stronger password.'
          : 'Sign-up failed. Please try again.';
    return { ok: false, error: message, email: parsed.data.email };
  }
  // With email confirmation on (a hosted project's default) there is no session yet.
  if (!data.session)
    return { ok: false, error: 'Check your email to confirm your address, then sign in.', email: parsed.data.email };
  redirect(safeNext(form.get('next'), '/onboarding'));
}

export async function signOut(form: FormData): Promise<void> {
  const scope = form.get('scope') === 'global' ? 'global' : 'local';
  const supabase = await createSupabaseServerClient();
  await supabase.auth.signOut({ scope });
  redirect('/sign-in');
}
