'use client';

import { Button, Field, FormMessage } from '@bulkhead/ui';
import { useActionState } from 'react';
import { enrolFactor, verifyFactor } from './actions';

function CodeForm({ factorId }: { factorId: string }) {
  const [state, action, pending] = useActionState(verifyFactor, null);
  return (
    <form action={action} className="flex flex-col gap-4">
      <input type="hidden" name="factorId" value={factorId} />
      <FormMessage state={state} />
      <Field
        label="6-digit code"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="\d{6}"
        maxLength={6}
        required
      />
      <Button type="submit" disabled={pending}>
        {pending ? 'Checking…' : 'Verify'}
      </Button>
    </form>
  );
}

/** Step 1: create the factor and show its QR code and secret. Step 2: the first code verifies it. */
export function EnrolForm() {
  const [state, action, pending] = useActionState(enrolFactor, null);
  if (state?.ok) {
    return (
      <div className="flex flex-col gap-4">
        <p className="text-sm">
          Scan this code with an authenticator app, or type the secret into it, then enter the code it shows.
        </p>
        {/* biome-ignore lint/performance/noImgElement: a data: URI from Supabase Auth, nothing to optimise */}
        <img src={state.qrCode} alt="QR code for your authenticator app" className="h-48 w-48 bg-white p-2" />
        <p className="text-sm">
          Secret:{' '}
          <code data-testid="totp-secret" className="break-all font-mono">
            {state.secret}
          </code>
        </p>
        <CodeForm factorId={state.factorId} />
      </div>
    );
  }
  return (
    <form action={action} className="flex flex-col gap-4">
      <FormMessage state={state} />
      <Button type="submit" disabled={pending}>
        {pending ? 'Please wait…' : 'Set up an authenticator app'}
      </Button>
    </form>
  );
}

export function VerifyForm({ factorId }: { factorId: string }) {
  return <CodeForm factorId={factorId} />;
}
