'use client';

import { Button, Field, FormMessage } from '@bulkhead/ui';
import { useRouter } from 'next/navigation';
import { useActionState, useEffect, useRef } from 'react';
import { createDocument } from './actions';

export function CreateDocumentForm() {
  const [state, formAction, pending] = useActionState(createDocument, null);
  const form = useRef<HTMLFormElement>(null);
  const router = useRouter();
  useEffect(() => {
    if (state?.ok) {
      form.current?.reset();
      router.refresh();
    }
  }, [state, router]);
  const fieldErrors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form ref={form} action={formAction} className="flex flex-col gap-3">
      <FormMessage state={state} />
      <Field label="Title" name="title" required maxLength={200} errors={fieldErrors?.title} />
      <div className="flex flex-col gap-1">
        <label htmlFor="new-body" className="text-sm font-medium">
          Body
        </label>
        <textarea
          id="new-body"
          name="body"
          rows={3}
          className="rounded-md border border-zinc-300 px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-950"
        />
      </div>
      <div>
        <Button type="submit" disabled={pending}>
          {pending ? 'Creating…' : 'Create document'}
        </Button>
      </div>
    </form>
  );
}
