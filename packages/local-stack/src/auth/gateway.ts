import type { LocalApiKeys } from '../keys';

/**
 * What the API gateway in front of GoTrue does on Supabase (Kong locally, the platform gateway
 * when hosted): require a project API key in `apikey`, and hand GoTrue a JWT in Authorization —
 * the caller's own bearer token, or, for the opaque sb_publishable_/sb_secret_ keys and for
 * requests without one, the legacy anon/service_role JWT that stands for the key.
 */

export interface GatewayRejection {
  status: 401;
  body: { message: string; hint: string };
}

/** Routes the gateway lets through without a key: health checks and the public JWKS. */
export function isOpenRoute(path: string): boolean {
  return path === '/health' || path === '/.well-known/jwks.json';
}

function jwtForKey(key: string, keys: LocalApiKeys): string | undefined {
  if (key === keys.secretKey || key === keys.serviceRoleKey) return keys.serviceRoleKey;
  if (key === keys.publishableKey || key === keys.anonKey) return keys.anonKey;
  return undefined;
}

/** The Authorization header GoTrue gets, or the gateway's 401. */
export function passGateway(
  apikeyHeader: string | undefined,
  queryApiKey: string | null,
  authorization: string | undefined,
  keys: LocalApiKeys,
): { authorization: string } | { rejected: GatewayRejection } {
  const apikey = apikeyHeader ?? queryApiKey ?? undefined;
  if (!apikey) {
    return {
      rejected: {
        status: 401,
        body: { message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' },
      },
    };
  }
  const keyJwt = jwtForKey(apikey, keys);
  if (!keyJwt) {
    return {
      rejected: {
        status: 401,
        body: { message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' },
      },
    };
  }
  if (authorization === undefined) return { authorization: `Bearer ${keyJwt}` };
  const opaque = /^[Bb]earer (sb_\S+)$/.exec(authorization)?.[1];
  const swapped = opaque ? jwtForKey(opaque, keys) : undefined;
  return { authorization: swapped ? `Bearer ${swapped}` : authorization };
}
