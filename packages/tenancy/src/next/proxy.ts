import 'server-only';
import { type NextRequest, NextResponse } from 'next/server';
import { createSupabaseProxyClient } from './supabase';

/**
 * The session step of every app's proxy.ts: refreshes an expired access token (rotating the
 * refresh token) before any page renders, and tells the caller whether a verified session
 * exists. Authorization does not happen here: pages and actions verify the token themselves
 * and the database re-checks membership and session on every query.
 */
export async function refreshSession(request: NextRequest): Promise<{ response: NextResponse; signedIn: boolean }> {
  const holder = { current: NextResponse.next({ request }) };
  const supabase = createSupabaseProxyClient(request, holder, () => NextResponse.next({ request }));
  // Nothing may run between creating the client and getClaims(): it is what refreshes.
  const { data } = await supabase.auth.getClaims();
  return { response: holder.current, signedIn: Boolean(data?.claims) };
}
