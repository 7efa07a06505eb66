import { getVerifiedClaims } from '@bulkhead/tenancy/next';
import { redirect } from 'next/navigation';

/** The front door: sign in, create a first workspace, or go to the current one. */
export default async function Home() {
  const claims = await getVerifiedClaims();
  if (!claims) redirect('/sign-in');
  redirect(claims.app_metadata.tenant_id ? '/documents' : '/onboarding');
}
