import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';

/**
 * The local stack's API keys. They are the well-known, clearly-local development values of
 * `supabase start`: HS256 JWTs for the legacy anon/service_role keys, signed with the local JWT
 * secret, and sb_publishable_/sb_secret_ keys derived from it. Never use them anywhere else.
 */
export const LOCAL_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
export const LOCAL_DB_PASSWORD = 'postgres';

export interface LocalApiKeys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
}

async function legacyKey(role: 'anon' | 'service_role', secret: string): Promise<string> {
  // Fixed iat/exp so the key is the same on every machine and every start.
  return new SignJWT({ iss: 'supabase-demo', role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(1983812996)
    .sign(new TextEncoder().encode(secret));
}

function derivedKey(prefix: string, label: string, secret: string): string {
  return prefix + createHmac('sha256', secret).update(label).digest('base64url').slice(0, 32);
}

export async function localApiKeys(secret = LOCAL_JWT_SECRET): Promise<LocalApiKeys> {
  return {
    jwtSecret: secret,
    anonKey: await legacyKey('anon', secret),
    serviceRoleKey: await legacyKey('service_role', secret),
    publishableKey: derivedKey('sb_publishable_', 'publishable', secret),
    secretKey: derivedKey('sb_secret_', 'secret', secret),
  };
}
