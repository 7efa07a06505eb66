import { Card } from '@bulkhead/ui';
import type { Metadata } from 'next';
import { safeNext } from '@/lib/safe-next';
import { signUp } from '../actions';
import { AuthForm } from '../auth-form';

export const metadata: Metadata = { title: 'Create account' };

export default async function SignUpPage({ searchParams }: PageProps<'/sign-up'>) {
  const next = safeNext((await searchParams).next, '');
  return (
    <Card title="Create your account">
      <AuthForm mode="sign-up" action={signUp} next={next || undefined} />
    </Card>
  );
}
