import { refreshSession } from '@bulkhead/tenancy/next';
import { type NextRequest, NextResponse } from 'next/server';

/**
 * Refreshes the shared Supabase session before any page renders. The session cookie is the one
 * apps/web sets (same API URL, so the same cookie name; same host), which is what makes a user
 * signed in there signed in here. Who may see the console is decided by the pages and, for
 * every query, by the database.
 */
const publicPaths = ['/sign-in', '/api/health'];

export async function proxy(request: NextRequest) {
  const { response, signedIn } = await refreshSession(request);
  const path = request.nextUrl.pathname;
  if (signedIn || publicPaths.some((p) => path === p || path.startsWith(`${p}/`))) return response;
  const target = request.nextUrl.clone();
  target.pathname = '/sign-in';
  target.search = '';
  const redirect = NextResponse.redirect(target);
  for (const cookie of response.cookies.getAll()) redirect.cookies.set(cookie);
  return redirect;
}

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
