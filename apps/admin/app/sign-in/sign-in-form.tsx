'use client';

import { Button, Field, FormMessage } from '@bulkhead/ui';
import { useActionState } from 'react';
import { signIn } from '../auth-actions';

export function SignInForm() {
  const [state, action, pending] = useActionState(signIn, null);
  return (
    <form action={action} className="flex flex-col gap-4">
      <FormMessage state={state} />
      <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={state?.email} />
      <Field label="Password" name="password" type="password" autoComplete="current-password" required maxLength={72} />
      <Button type="submit" disabled={pending}>
        {pending ? 'Please wait…' : 'Sign in'}
      </Button>
    </form>
  );
}
