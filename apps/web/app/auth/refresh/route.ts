import { tenantContextFromClaims } from '@bulkhead/tenancy';
import { createSupabaseServerClient, verifySessionToken } from '@bulkhead/tenancy/next';
import { TenantAccessLostError, withTenant } from '@bulkhead/tenancy/server';
import { redirect } from 'next/navigation';
import type { NextRequest } from 'next/server';
import { safeNext } from '@/lib/safe-next';
import { claimedTenantSuspended } from '@/lib/suspension';

/**
 * Refreshes the session now, so the claims hook re-reads memberships: after a tenant switch, a
 * removal, or a new membership. A dead session (signed out elsewhere, revoked, a reused refresh
 * token) ends here at the sign-in page, and so does a tenant that is still not reachable after
 * the refresh, so a page and this route can never bounce the browser between them.
 *
 * Redirects are same-origin paths (next/navigation's redirect), never built from request.url,
 * whose host may differ from the one the browser used (and holds the cookies for).
 */
export async function GET(request: NextRequest) {
  const next = safeNext(request.nextUrl.searchParams.get('next'));
  const supabase = await createSupabaseServerClient();

  const { data, error } = await supabase.auth.refreshSession();
  const claims = data.session && !error ? await verifySessionToken(data.session.access_token) : null;
  let reachable = false;
  if (claims?.app_metadata.tenant_id) {
    try {
      await withTenant(tenantContextFromClaims(claims), async () => null);
      reachable = true;
    } catch (failure) {
      if (!(failure instanceof TenantAccessLostError)) throw failure;
    }
  }

  if (!claims) {
    await supabase.auth.signOut({ scope: 'local' });
    redirect('/sign-in?reason=session_ended');
  }
  if (!claims.app_metadata.tenant_id) redirect('/onboarding');
  if (!reachable) {
    if (await claimedTenantSuspended(claims)) redirect('/suspended');
    await supabase.auth.signOut({ scope: 'local' });
    redirect('/sign-in?reason=access_lost');
  }
  redirect(next);
}
