'use client';

import { Button, Field, FormMessage } from '@bulkhead/ui';
import { useActionState } from 'react';
import { openGrant, setTenantStatus } from './actions';

export function StatusForm({ tenantId, suspended }: { tenantId: string; suspended: boolean }) {
  const [state, action, pending] = useActionState(setTenantStatus, null);
  return (
    <form action={action} className="flex flex-col gap-3">
      <input type="hidden" name="tenantId" value={tenantId} />
      <input type="hidden" name="status" value={suspended ? 'active' : 'suspended'} />
      <FormMessage state={state} />
      <Field
        id="status-reason"
        label={suspended ? 'Reason for reactivating' : 'Reason for suspending'}
        name="reason"
        required
        minLength={3}
        maxLength={500}
      />
      <Button type="submit" variant={suspended ? 'secondary' : 'danger'} disabled={pending}>
        {suspended ? 'Reactivate tenant' : 'Suspend tenant'}
      </Button>
    </form>
  );
}

export function GrantForm({ tenantId }: { tenantId: string }) {
  const [state, action, pending] = useActionState(openGrant, null);
  return (
    <form action={action} className="flex flex-col gap-3">
      <input type="hidden" name="tenantId" value={tenantId} />
      <FormMessage state={state} />
      <Field
        id="grant-reason"
        label="Reason"
        name="reason"
        required
        minLength={10}
        maxLength={500}
        hint="Recorded in the tenant's audit log, which its admins can read."
      />
      <Field label="Duration (minutes, at most 60)" name="minutes" type="number" min={1} max={60} defaultValue={15} required />
      <Button type="submit" disabled={pending}>
        Request read access
      </Button>
    </form>
  );
}
