import { Card } from '@bulkhead/ui';
import type { Metadata } from 'next';
import { refreshClaims, signOut } from '../auth-actions';

export const metadata: Metadata = { title: 'Not available' };

/** Signed in, but not staff (or no longer): the console has nothing for this account. */
export default function DeniedPage() {
  return (
    <main className="mx-auto max-w-md px-4 py-16">
      <Card title="Staff only">
        <p role="alert" className="text-sm">
          This console is for the operator&apos;s staff. Your account is not on the staff list, so there is nothing here for you.
        </p>
        <p className="mt-2 text-sm text-zinc-500">If you were just added, check again: your session picks up the change.</p>
        <form action={refreshClaims} className="mt-4">
          <button type="submit" className="text-sm font-medium text-indigo-600 hover:underline">
            Check again
          </button>
        </form>
        <form action={signOut} className="mt-2">
          <input type="hidden" name="scope" value="local" />
          <button type="submit" className="text-sm font-medium text-indigo-600 hover:underline">
            Sign out
          </button>
        </form>
      </Card>
    </main>
  );
}
