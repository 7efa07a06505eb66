import { requireSessionOrSignIn } from '@bulkhead/tenancy/next';
import type { NextRequest } from 'next/server';

/** Pages anyone may open are public; everything else needs a session (sign-in sends you back). */
export function proxy(request: NextRequest) {
  return requireSessionOrSignIn(request, {
    publicPaths: ['/sign-in', '/sign-up', '/api/health', '/invite'],
    returnTo: true,
  });
}

// Stripe's webhook carries no session (it is authenticated by its signature), so it skips the
// proxy entirely: a sign-in redirect would answer 200 and Stripe would never retry.
export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico|api/stripe/webhook).*)'],
};
