import { refreshSession } from '@bulkhead/tenancy/next';
import { type NextRequest, NextResponse } from 'next/server';

/** Pages anyone may open; everything else needs a session. */
const publicPaths = ['/sign-in', '/sign-up', '/api/health', '/invite'];

export async function proxy(request: NextRequest) {
  const { response, signedIn } = await refreshSession(request);
  const path = request.nextUrl.pathname;
  if (signedIn || publicPaths.some((p) => path === p || path.startsWith(`${p}/`))) return response;

  const target = request.nextUrl.clone();
  target.pathname = '/sign-in';
  target.search = path === '/' ? '' : `?next=${encodeURIComponent(path + request.nextUrl.search)}`;
  const redirect = NextResponse.redirect(target);
  // Keep whatever the refresh decided about cookies (for example, clearing a dead session).
  for (const cookie of response.cookies.getAll()) redirect.cookies.set(cookie);
  return redirect;
}

// Stripe's webhook carries no session (it is authenticated by its signature), so it skips the
// proxy entirely: a sign-in redirect would answer 200 and Stripe would never retry.
export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico|api/stripe/webhook).*)'],
};
