'use client';

import { Button, Field, FormMessage } from '@bulkhead/ui';
import { useRouter } from 'next/navigation';
import { useActionState, useEffect, useState } from 'react';
import { deleteDocument, updateDocument } from '../actions';

export function DocumentEditor(props: { id: string; title: string; body: string; version: string; canDelete: boolean }) {
  const router = useRouter();
  const [version, setVersion] = useState(props.version);
  const [saveState, saveAction, saving] = useActionState(updateDocument, null);
  const [deleteState, deleteAction, deleting] = useActionState(deleteDocument, null);

  useEffect(() => {
    if (saveState?.ok) setVersion(saveState.data.version);
  }, [saveState]);
  useEffect(() => {
    if (deleteState?.ok) router.push('/documents');
  }, [deleteState, router]);

  const fieldErrors = saveState && !saveState.ok ? saveState.fieldErrors : undefined;
  return (
    <div className="flex flex-col gap-4">
      <form action={saveAction} className="flex flex-col gap-3">
        <input type="hidden" name="id" value={props.id} />
        <input type="hidden" name="version" value={version} />
        <FormMessage state={saveState} />
        {saveState?.ok && (
          <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
            Saved.
          </p>
        )}
        <Field label="Title" name="title" required maxLength={200} defaultValue={props.title} errors={fieldErrors?.title} />
        <div className="flex flex-col gap-1">
          <label htmlFor="doc-body" className="text-sm font-medium">
            Body
          </label>
          <textarea
            id="doc-body"
            name="body"
            rows={12}
            defaultValue={props.body}
            className="rounded-md border border-zinc-300 px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-950"
          />
        </div>
        <div>
          <Button type="submit" disabled={saving}>
            {saving ? 'Saving…' : 'Save'}
          </Button>
        </div>
      </form>
      {props.canDelete && (
        <form
          action={deleteAction}
          onSubmit={(event) => {
            if (!window.confirm('Delete this document? This cannot be undone.')) event.preventDefault();
          }}
          className="border-t border-zinc-200 pt-4 dark:border-zinc-800"
        >
          <input type="hidden" name="id" value={props.id} />
          <FormMessage state={deleteState} />
          <Button type="submit" variant="danger" disabled={deleting}>
            {deleting ? 'Deleting…' : 'Delete document'}
          </Button>
        </form>
      )}
    </div>
  );
}
