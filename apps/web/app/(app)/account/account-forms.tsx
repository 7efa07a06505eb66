'use client';

import { Button, Field, FormMessage } from '@bulkhead/ui';
import { useActionState, useEffect, useRef } from 'react';
import { changePassword, endSession } from './actions';

export function ChangePasswordForm() {
  const [state, action, pending] = useActionState(changePassword, null);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (state?.ok) form.current?.reset();
  }, [state]);
  const fieldErrors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form ref={form} action={action} className="flex max-w-md flex-col gap-3">
      <FormMessage state={state} />
      {state?.ok && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          Password changed. Other devices have been signed out.
        </p>
      )}
      <Field
        label="New password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        maxLength={72}
        errors={fieldErrors?.password}
      />
      <Field
        label="Repeat new password"
        name="confirm"
        type="password"
        autoComplete="new-password"
        required
        errors={fieldErrors?.confirm}
      />
      <div>
        <Button type="submit" disabled={pending}>
          {pending ? 'Changing…' : 'Change password'}
        </Button>
      </div>
    </form>
  );
}

export function EndSessionButton({ sessionId }: { sessionId: string }) {
  const [state, action, pending] = useActionState(endSession, null);
  return (
    <form action={action}>
      <input type="hidden" name="sessionId" value={sessionId} />
      <button type="submit" disabled={pending} className="text-xs font-medium text-red-700 hover:underline dark:text-red-400">
        Revoke
      </button>
      <FormMessage state={state} />
    </form>
  );
}
