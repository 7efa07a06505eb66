import { requireSessionOrSignIn } from '@bulkhead/tenancy/next';
import type { NextRequest } from 'next/server';

/**
 * Refreshes the shared Supabase session before any page renders. The session cookie is the one
 * apps/web sets (same API URL, so the same cookie name; same host), which is what makes a user
 * signed in there signed in here. Who may see the console is decided by the pages and, for
 * every query, by the database.
 */
export function proxy(request: NextRequest) {
  return requireSessionOrSignIn(request, { publicPaths: ['/sign-in', '/api/health'] });
}

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
