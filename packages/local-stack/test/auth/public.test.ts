import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { LOCAL_ONLY } from './env';
import { claimsOf, useAuthTarget } from './harness';

/** GET /health, /settings, /.well-known/jwks.json, and what the gateway does before GoTrue. */

const target = useAuthTarget();

describe('health and settings', () => {
  it('answers /health without an API key', async () => {
    const t = target();
    const res = await fetch(`${t.authUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'GoTrue', version: expect.any(String), description: expect.any(String) });
  });

  it('answers /settings with email sign-up enabled', async () => {
    const t = target();
    const res = await t.fetch('/settings');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ external: { email: true }, disable_signup: false, mailer_autoconfirm: true });
  });
});

describe('signing keys', () => {
  it('signs access tokens with ES256 and a kid that the served JWKS verifies', async ({ skip }) => {
    const t = target();
    const jwksRes = await fetch(`${t.authUrl}/.well-known/jwks.json`);
    expect(jwksRes.status).toBe(200);
    const jwks = (await jwksRes.json()) as { keys: Array<Record<string, unknown>> };
    if (t.remote && jwks.keys.length === 0) {
      return skip('the target signs with the HS256 secret (no signing_keys_path configured), so its JWKS is empty');
    }
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).not.toHaveProperty('d');
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: expect.any(String) });
    }

    const user = await t.createUser();
    const { session } = await t.signIn(user);
    const header = decodeProtectedHeader(session.access_token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);

    const keySet = createRemoteJWKSet(new URL(`${t.authUrl}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(session.access_token, keySet, { issuer: t.authUrl, audience: 'authenticated' });
    expect(payload).toMatchObject({ sub: user.id, role: 'authenticated', session_id: expect.any(String) });
    expect(Object.keys(payload)).toEqual(
      expect.arrayContaining([
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'email',
        'phone',
        'app_metadata',
        'user_metadata',
        'role',
        'aal',
        'amr',
        'session_id',
        'is_anonymous',
      ]),
    );
    // Negative: a token altered after signing does not verify against the same key set.
    const [h, , signature] = session.access_token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...payload, role: 'service_role' })).toString('base64url');
    await expect(jwtVerify(`${h}.${forgedPayload}.${signature}`, keySet)).rejects.toThrow(/signature verification failed/);
  });

  it("verifies with supabase-js's getClaims(), which checks the signature against the JWKS", async ({ skip }) => {
    const t = target();
    const jwks = (await (await fetch(`${t.authUrl}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    if (t.remote && jwks.keys.length === 0) return skip('the target signs with HS256; getClaims() would ask the server');
    const user = await t.createUser();
    const { client, session } = await t.signIn(user);
    const { data, error } = await client.auth.getClaims();
    expect(error).toBeNull();
    expect(data?.claims).toMatchObject({ sub: user.id, session_id: claimsOf(session.access_token).session_id });
    expect(data?.header).toMatchObject({ alg: 'ES256' });
  });
});

describe('the API gateway', () => {
  it(`requires a project API key (${LOCAL_ONLY}: supabase start's gateway does not check it)`, async ({ skip }) => {
    const t = target();
    if (t.remote) return skip(LOCAL_ONLY);
    const none = await fetch(`${t.authUrl}/settings`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ message: 'No API key found in request' });
    const wrong = await fetch(`${t.authUrl}/settings`, { headers: { apikey: 'not-a-key' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ message: 'Invalid API key' });
    for (const key of [t.anonKey, t.serviceRoleKey, t.keys?.publishableKey, t.keys?.secretKey]) {
      const ok = await fetch(`${t.authUrl}/settings`, { headers: { apikey: key ?? '' } });
      expect(ok.status).toBe(200);
    }
  });

  it('answers CORS preflights for browser apps', async () => {
    const t = target();
    const res = await fetch(`${t.authUrl}/token?grant_type=password`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'apikey, authorization, content-type, x-client-info, x-supabase-api-version',
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toMatch(/http:\/\/localhost:3000|\*/);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
  });

  it('answers unknown auth routes with 404 and wrong methods with 405', async () => {
    const t = target();
    expect((await t.fetch('/no-such-endpoint')).status).toBe(404);
    expect((await t.fetch('/token?grant_type=password', { method: 'GET' })).status).toBe(405);
    expect((await t.fetch('/settings')).status).toBe(200);
  });
});
