import { Card } from '@bulkhead/ui';
import type { Metadata } from 'next';
import { safeNext } from '@/lib/safe-next';
import { signIn } from '../actions';
import { AuthForm } from '../auth-form';

export const metadata: Metadata = { title: 'Sign in' };

const notices: Record<string, string> = {
  access_lost: 'Your access to that workspace ended. Sign in again to continue.',
  session_ended: 'Your session ended. Please sign in again.',
};

export default async function SignInPage({ searchParams }: PageProps<'/sign-in'>) {
  const params = await searchParams;
  const next = safeNext(params.next, '');
  const notice = typeof params.reason === 'string' ? notices[params.reason] : undefined;
  return (
    <Card title="Sign in to your workspace">
      {notice && (
        <p
          role="status"
          className="mb-4 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:bg-amber-950 dark:text-amber-200"
        >
          {notice}
        </p>
      )}
      <AuthForm mode="sign-in" action={signIn} next={next || undefined} />
    </Card>
  );
}
