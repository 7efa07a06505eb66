import { tenantContextFromClaims } from '@bulkhead/tenancy';
import { createSupabaseServerClient, verifySessionToken } from '@bulkhead/tenancy/next';
import { TenantAccessLostError, withTenant } from '@bulkhead/tenancy/server';
import { type NextRequest, NextResponse } from 'next/server';
import { safeNext } from '@/lib/safe-next';

/**
 * Refreshes the session now, so the claims hook re-reads memberships: after a tenant switch, a
 * removal, or a new membership. A dead session (signed out elsewhere, revoked, a reused refresh
 * token) ends here at the sign-in page, and so does a tenant that is still not reachable after
 * the refresh, so a page and this route can never bounce the browser between them.
 */
export async function GET(request: NextRequest) {
  const next = safeNext(request.nextUrl.searchParams.get('next'));
  const supabase = await createSupabaseServerClient();
  const signInAgain = async (reason: string) => {
    await supabase.auth.signOut({ scope: 'local' });
    return NextResponse.redirect(new URL(`/sign-in?reason=${reason}`, request.url));
  };

  const { data, error } = await supabase.auth.refreshSession();
  const claims = data.session && !error ? await verifySessionToken(data.session.access_token) : null;
  if (!claims) return signInAgain('session_ended');
  if (!claims.app_metadata.tenant_id) return NextResponse.redirect(new URL('/onboarding', request.url));
  try {
    await withTenant(tenantContextFromClaims(claims), async () => null);
  } catch (failure) {
    if (failure instanceof TenantAccessLostError) return signInAgain('access_lost');
    throw failure;
  }
  return NextResponse.redirect(new URL(next, request.url));
}
