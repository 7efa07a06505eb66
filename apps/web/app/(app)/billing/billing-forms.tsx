'use client';

import { Button, FormMessage } from '@bulkhead/ui';
import { useActionState } from 'react';
import { manage, upgrade } from './actions';

/** One button per plan: starts Stripe Checkout for it (owners only; the server checks again). */
export function UpgradeForm({ plan, label }: { plan: string; label: string }) {
  const [state, action, pending] = useActionState(upgrade, null);
  return (
    <form action={action} className="flex flex-col gap-2">
      <FormMessage state={state} />
      <input type="hidden" name="plan" value={plan} />
      <Button type="submit" disabled={pending}>
        {pending ? 'Opening Checkout…' : label}
      </Button>
    </form>
  );
}

/** Opens the Stripe Billing Portal: change plan or seats, payment method, cancel. */
export function ManageForm() {
  const [state, action, pending] = useActionState(manage, null);
  return (
    <form action={action} className="flex flex-col gap-2">
      <FormMessage state={state} />
      <Button type="submit" variant="secondary" disabled={pending}>
        {pending ? 'Opening the billing portal…' : 'Manage billing'}
      </Button>
    </form>
  );
}
