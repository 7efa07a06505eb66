'use client';

import { Button, Field, FormMessage } from '@bulkhead/ui';
import { useActionState, useState } from 'react';
import { createWorkspace } from './actions';

function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
}

export function CreateWorkspaceForm() {
  const [state, formAction, pending] = useActionState(createWorkspace, null);
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const fieldErrors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={formAction} className="flex flex-col gap-4">
      <FormMessage state={state} />
      <Field
        label="Workspace name"
        name="name"
        required
        maxLength={100}
        value={name}
        onChange={(e) => {
          setName(e.target.value);
          if (!slugEdited) setSlug(slugify(e.target.value));
        }}
        errors={fieldErrors?.name}
      />
      <Field
        label="URL name"
        name="slug"
        required
        maxLength={48}
        pattern="[a-z0-9][a-z0-9\-]{1,46}[a-z0-9]"
        title="3–48 lower-case letters, digits and inner hyphens"
        value={slug}
        hint="Lower-case letters, digits and hyphens."
        onChange={(e) => {
          setSlugEdited(true);
          setSlug(e.target.value);
        }}
        errors={fieldErrors?.slug}
      />
      <Button type="submit" disabled={pending}>
        {pending ? 'Creating…' : 'Create workspace'}
      </Button>
    </form>
  );
}
