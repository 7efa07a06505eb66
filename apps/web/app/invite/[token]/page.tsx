import { getVerifiedClaims } from '@bulkhead/tenancy/next';
import { Card } from '@bulkhead/ui';
import type { Metadata, Route } from 'next';
import Link from 'next/link';
import { AcceptInvitationForm } from './accept-invitation-form';

export const metadata: Metadata = { title: 'Invitation' };

/**
 * An invitation link. Nothing about the invitation is shown before sign-in (the token is the
 * only secret; the page does not reveal which workspace it is for). Accepting checks that the
 * signed-in e-mail is the invited one, that the invitation is unused and unexpired.
 */
export default async function InvitationPage({ params }: PageProps<'/invite/[token]'>) {
  const { token } = await params;
  const claims = await getVerifiedClaims();
  const here = `/invite/${encodeURIComponent(token)}`;
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-md">
        <p className="mb-6 text-center text-sm font-semibold uppercase tracking-wide text-indigo-600">Bulkhead</p>
        <Card title="You have been invited to a workspace">
          {claims ? (
            <>
              <p className="mb-4 text-sm text-zinc-500">
                Accept as <strong>{claims.email}</strong>. The invitation must have been sent to this address.
              </p>
              <AcceptInvitationForm token={token} />
            </>
          ) : (
            <p className="text-sm">
              <Link
                className="font-medium text-indigo-600 hover:underline"
                href={`/sign-in?next=${encodeURIComponent(here)}` as Route}
              >
                Sign in
              </Link>{' '}
              or{' '}
              <Link
                className="font-medium text-indigo-600 hover:underline"
                href={`/sign-up?next=${encodeURIComponent(here)}` as Route}
              >
                create an account
              </Link>{' '}
              with the invited e-mail address to accept.
            </p>
          )}
        </Card>
      </div>
    </main>
  );
}
