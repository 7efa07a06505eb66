'use client';

import { useTransition } from 'react';
import { switchTenant } from './tenant-actions';

/** Switching tenants changes the token's claims: the action switches, then refreshes the session. */
export function TenantSwitcher({ tenants, currentId }: { tenants: { id: string; name: string }[]; currentId: string }) {
  const [pending, startTransition] = useTransition();
  return (
    <label className="flex items-center gap-2 text-sm">
      <span className="sr-only">Workspace</span>
      <select
        aria-label="Workspace"
        className="rounded-md border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-950"
        value={currentId}
        disabled={pending}
        onChange={(event) => {
          const value = event.target.value;
          if (value === '__new__') {
            window.location.assign('/onboarding');
            return;
          }
          const form = new FormData();
          form.set('tenantId', value);
          startTransition(() => switchTenant(form));
        }}
      >
        {tenants.map((tenant) => (
          <option key={tenant.id} value={tenant.id}>
            {tenant.name}
          </option>
        ))}
        <option value="__new__">+ New workspace…</option>
      </select>
    </label>
  );
}
