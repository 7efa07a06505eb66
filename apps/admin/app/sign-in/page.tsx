import { Card } from '@bulkhead/ui';
import type { Metadata } from 'next';
import { SignInForm } from './sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

const notices: Record<string, string> = {
  session_ended: 'Your session ended. Please sign in again.',
};

export default async function SignInPage({ searchParams }: PageProps<'/sign-in'>) {
  const params = await searchParams;
  const notice = typeof params.reason === 'string' ? notices[params.reason] : undefined;
  return (
    <main className="mx-auto max-w-md px-4 py-16">
      <p className="mb-2 text-sm font-semibold uppercase tracking-wide text-indigo-600">Bulkhead staff console</p>
      <Card title="Sign in">
        {notice && (
          <p
            role="status"
            className="mb-4 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:bg-amber-950 dark:text-amber-200"
          >
            {notice}
          </p>
        )}
        <SignInForm />
        <p className="mt-4 text-sm text-zinc-500">
          Signed in to the tenant app already? The console uses the same session: just open it again.
        </p>
      </Card>
    </main>
  );
}
