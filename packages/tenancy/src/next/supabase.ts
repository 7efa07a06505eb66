import 'server-only';
import { createServerClient } from '@supabase/ssr';
import { cookies } from 'next/headers';
import type { NextRequest, NextResponse } from 'next/server';
import { tenancyEnv } from '../env';

/**
 * Supabase clients for Next.js, following Supabase's SSR guidance: cookies are the session
 * store, and only getAll/setAll are implemented.
 */

/**
 * The session cookie's scope. Same name in every app (derived from API_URL), so apps on one host
 * share the session; with AUTH_COOKIE_DOMAIN set, apps on its subdomains share it too.
 */
function cookieOptions(env: ReturnType<typeof tenancyEnv>) {
  return env.AUTH_COOKIE_DOMAIN ? { domain: env.AUTH_COOKIE_DOMAIN } : undefined;
}

interface CookieToSet {
  name: string;
  value: string;
  options?: { domain?: string };
}

/**
 * With a cookie domain, @supabase/ssr writes some cookies twice under one name: with the domain,
 * and host-only (to clear a copy from before the domain was set). Next keeps one cookie per name,
 * the last written, so the shared cookie's update or deletion was lost: sign-out left the domain
 * cookie behind. Keep one entry per name, the one for the domain when there is one.
 */
export function onePerName<T extends CookieToSet>(toSet: T[]): T[] {
  const byName = new Map<string, T>();
  for (const cookie of toSet) if (!byName.has(cookie.name) || cookie.options?.domain) byName.set(cookie.name, cookie);
  return [...byName.values()];
}

/** For Server Components, Server Actions and Route Handlers. */
export async function createSupabaseServerClient() {
  // cookies() first: it marks the route as rendered per request before anything else runs.
  const cookieStore = await cookies();
  const env = tenancyEnv();
  return createServerClient(env.API_URL, env.ANON_KEY, {
    cookieOptions: cookieOptions(env),
    cookies: {
      getAll: () => cookieStore.getAll(),
      setAll: (toSet) => {
        try {
          for (const { name, value, options } of onePerName(toSet)) cookieStore.set(name, value, options);
        } catch {
          // Server Components cannot set cookies; the proxy refreshes the session before
          // rendering, so nothing is lost here.
        }
      },
    },
  });
}

/**
 * For proxy.ts: reads the request's cookies and writes refreshed ones to both the request
 * (so the page rendered next sees them) and the response (so the browser keeps them).
 */
export function createSupabaseProxyClient(request: NextRequest, response: { current: NextResponse }, next: () => NextResponse) {
  const env = tenancyEnv();
  return createServerClient(env.API_URL, env.ANON_KEY, {
    cookieOptions: cookieOptions(env),
    cookies: {
      getAll: () => request.cookies.getAll(),
      setAll: (all, headers) => {
        const toSet = onePerName(all);
        for (const { name, value } of toSet) request.cookies.set(name, value);
        response.current = next();
        for (const { name, value, options } of toSet) response.current.cookies.set(name, value, options);
        for (const [key, value] of Object.entries(headers ?? {})) response.current.headers.set(key, value);
      },
    },
  });
}
