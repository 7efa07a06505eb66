import { createSupabaseServerClient, getVerifiedClaims } from '@bulkhead/tenancy/next';
import { Card } from '@bulkhead/ui';
import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { signOut } from '../auth-actions';
import { EnrolForm, VerifyForm } from './mfa-forms';

export const metadata: Metadata = { title: 'Two-factor authentication' };

/**
 * Staff at aal1 land here: enrol a TOTP factor if they have none, else verify one. Only a verified
 * second factor (aal2 in the token) opens the console, and the database checks aal2 again.
 */
export default async function MfaPage() {
  const claims = await getVerifiedClaims();
  if (!claims) redirect('/sign-in');
  if (claims.app_metadata.staff !== true) redirect('/denied');
  if (claims.aal === 'aal2') redirect('/');

  const supabase = await createSupabaseServerClient();
  const { data, error } = await supabase.auth.mfa.listFactors();
  // listFactors asks Auth for the user: a session ended elsewhere fails here.
  if (error) redirect('/sign-in?reason=session_ended');
  const factor = data.totp[0];
  return (
    <main className="mx-auto max-w-md px-4 py-16">
      <p className="mb-2 text-sm font-semibold uppercase tracking-wide text-indigo-600">Bulkhead staff console</p>
      <Card title={factor ? 'Enter your authentication code' : 'Set up two-factor authentication'}>
        <p className="mb-4 text-sm text-zinc-500">
          {factor
            ? `Signed in as ${claims.email}. The console needs the current code from your authenticator app.`
            : `Signed in as ${claims.email}. Staff need a second factor before the console opens.`}
        </p>
        {factor ? <VerifyForm factorId={factor.id} /> : <EnrolForm />}
        <form action={signOut} className="mt-4">
          <input type="hidden" name="scope" value="local" />
          <button type="submit" className="text-sm text-zinc-500 hover:underline">
            Sign out
          </button>
        </form>
      </Card>
    </main>
  );
}
