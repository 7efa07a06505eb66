'use client';

import { Button, Field, FormMessage } from '@bulkhead/ui';
import { useActionState } from 'react';
import { updateWorkspace } from './actions';

export function WorkspaceSettingsForm({ name, slug }: { name: string; slug: string }) {
  const [state, action, pending] = useActionState(updateWorkspace, null);
  const fieldErrors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="flex max-w-md flex-col gap-3">
      <FormMessage state={state} />
      {state?.ok && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          Saved.
        </p>
      )}
      <Field label="Workspace name" name="name" required maxLength={100} defaultValue={name} errors={fieldErrors?.name} />
      <Field
        label="URL name"
        name="slug"
        required
        maxLength={48}
        pattern="[a-z0-9][a-z0-9\-]{1,46}[a-z0-9]"
        title="3–48 lower-case letters, digits and inner hyphens"
        defaultValue={slug}
        errors={fieldErrors?.slug}
      />
      <div>
        <Button type="submit" disabled={pending}>
          {pending ? 'Saving…' : 'Save'}
        </Button>
      </div>
    </form>
  );
}
