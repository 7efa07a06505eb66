import 'server-only';
import { type NextRequest, NextResponse } from 'next/server';
import { createSupabaseProxyClient } from './supabase';

/**
 * The session step of every app's proxy.ts: refreshes an expired access token (rotating the
 * refresh token) before any page renders, and tells the caller whether a verified session
 * exists. Authorization does not happen here: pages and actions verify the token themselves
 * and the database checks membership and session again in every request (transaction).
 */
export async function refreshSession(request: NextRequest): Promise<{ response: NextResponse; signedIn: boolean }> {
  const holder = { current: NextResponse.next({ request }) };
  const supabase = createSupabaseProxyClient(request, holder, () => NextResponse.next({ request }));
  // Nothing may run between creating the client and getClaims(): it is what refreshes.
  const { data } = await supabase.auth.getClaims();
  return { response: holder.current, signedIn: Boolean(data?.claims) };
}

/**
 * The whole proxy of an app: refresh the session, let signed-in users and public paths through,
 * send everyone else to /sign-in. With `returnTo`, the sign-in page gets `?next=` so it can send
 * the user back. The redirect keeps whatever the refresh decided about cookies (for example,
 * clearing a dead session).
 */
export async function requireSessionOrSignIn(
  request: NextRequest,
  options: { publicPaths: string[]; returnTo?: boolean },
): Promise<NextResponse> {
  const { response, signedIn } = await refreshSession(request);
  const path = request.nextUrl.pathname;
  if (signedIn || options.publicPaths.some((p) => path === p || path.startsWith(`${p}/`))) return response;
  const target = request.nextUrl.clone();
  target.pathname = '/sign-in';
  target.search = options.returnTo && path !== '/' ? `?next=${encodeURIComponent(path + request.nextUrl.search)}` : '';
  const redirect = NextResponse.redirect(target);
  for (const cookie of response.cookies.getAll()) redirect.cookies.set(cookie);
  return redirect;
}
