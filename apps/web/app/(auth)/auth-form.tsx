'use client';

import { Button, Field, FormMessage } from '@bulkhead/ui';
import Link from 'next/link';
import { useActionState } from 'react';
import type { AuthFormState } from './actions';

export function AuthForm({
  mode,
  action,
  next,
}: {
  mode: 'sign-in' | 'sign-up';
  action: (state: AuthFormState, form: FormData) => Promise<AuthFormState>;
  next?: string;
}) {
  const [state, formAction, pending] = useActionState(action, null);
  const signingIn = mode === 'sign-in';
  return (
    <form action={formAction} className="flex flex-col gap-4">
      {next && <input type="hidden" name="next" value={next} />}
      <FormMessage state={state} />
      <Field
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        defaultValue={state?.email}
        errors={state?.fieldErrors?.email}
      />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete={signingIn ? 'current-password' : 'new-password'}
        required
        minLength={signingIn ? undefined : 8}
        maxLength={72}
        hint={signingIn ? undefined : 'At least 8 characters.'}
        errors={state?.fieldErrors?.password}
      />
      <Button type="submit" disabled={pending}>
        {pending ? 'Please wait…' : signingIn ? 'Sign in' : 'Create account'}
      </Button>
      <p className="text-center text-sm text-zinc-500">
        {signingIn ? (
          <>
            No account yet?{' '}
            <Link
              className="font-medium text-indigo-600 hover:underline"
              href={next ? `/sign-up?next=${encodeURIComponent(next)}` : '/sign-up'}
            >
              Create one
            </Link>
          </>
        ) : (
          <>
            Already have an account?{' '}
            <Link
              className="font-medium text-indigo-600 hover:underline"
              href={next ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in'}
            >
              Sign in
            </Link>
          </>
        )}
      </p>
    </form>
  );
}
