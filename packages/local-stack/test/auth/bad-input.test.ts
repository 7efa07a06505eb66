import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { LOCAL_ONLY } from './env';
import { type AuthTarget, uniqueEmail, useAuthTarget } from './harness';

/**
 * Client mistakes get GoTrue's 4xx error bodies, quickly: never a 500, never a hang. Each case
 * sits next to a well-formed request that succeeds.
 */

const target = useAuthTarget();

async function post(t: AuthTarget, path: string, body: string, init: { apiVersion?: string | null } = {}) {
  const res = await t.fetch(path, { method: 'POST', body, ...init });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, headers: res.headers };
}

describe('malformed and mistyped bodies', () => {
  it('answers broken JSON with bad_json on every JSON endpoint', async () => {
    const t = target();
    for (const path of ['/signup', '/token?grant_type=password', '/token?grant_type=refresh_token']) {
      for (const body of ['{"email": ', 'not json', '', '[1, 2]', '"a string"']) {
        const res = await post(t, path, body);
        expect({ path, body, status: res.status, code: res.body?.code }).toEqual({ path, body, status: 400, code: 'bad_json' });
        expect(res.body?.message).toMatch(/^Could not parse request body as JSON: /);
      }
    }
    const user = await t.createUser();
    const ok = await post(t, '/token?grant_type=password', JSON.stringify({ email: user.email, password: user.password }));
    expect(ok.status).toBe(200);
  });

  it('answers a field of the wrong type with bad_json', async () => {
    const t = target();
    const res = await post(t, '/token?grant_type=password', JSON.stringify({ email: 42, password: ['x'] }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'bad_json' });
    const signup = await post(t, '/signup', JSON.stringify({ email: uniqueEmail(), password: 'correct-horse-1', data: 'nope' }));
    expect(signup.body).toMatchObject({ code: 'bad_json' });
    const fine = await post(t, '/signup', JSON.stringify({ email: uniqueEmail(), password: 'correct-horse-1', data: null }));
    expect(fine.status).toBe(200);
  });

  it('answers an unknown grant type with 400', async () => {
    const t = target();
    const res = await post(t, '/token?grant_type=magic', '{}');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'invalid_credentials', message: 'unsupported_grant_type' });
  });

  it(`answers a JSON body over the size limit with 413 at once, and an ordinary one normally (${LOCAL_ONLY}: the limit is the local server's)`, async ({
    skip,
  }) => {
    const t = target();
    if (t.remote) return skip(LOCAL_ONLY);
    const huge = JSON.stringify({ email: uniqueEmail(), password: 'correct-horse-1', data: { blob: 'x'.repeat(1_500_000) } });
    const started = Date.now();
    const res = await post(t, '/signup', huge);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'request_entity_too_large' });
    const normal = await post(
      t,
      '/signup',
      JSON.stringify({ email: uniqueEmail(), password: 'correct-horse-1', data: { blob: 'x' } }),
    );
    expect(normal.status).toBe(200);
  });

  it(`answers a streamed body that never ends but passes the limit with 413 (${LOCAL_ONLY})`, async ({ skip }) => {
    const t = target();
    if (t.remote) return skip(LOCAL_ONLY);
    const chunk = new TextEncoder().encode(`{"data": "${'x'.repeat(64 * 1024)}`);
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Far past the limit, then silence: the request body never finishes.
        if (sent < 40) {
          sent += 1;
          controller.enqueue(chunk);
        }
      },
    });
    const started = Date.now();
    const res = await fetch(`${t.authUrl}/signup`, {
      method: 'POST',
      body: endless,
      headers: { apikey: t.anonKey, 'content-type': 'application/json', 'x-supabase-api-version': '2024-01-01' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'request_entity_too_large' });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('error body versions', () => {
  it('uses {code, error_code, msg} for clients without X-Supabase-Api-Version, {code, message} with it', async () => {
    const t = target();
    const body = JSON.stringify({ email: uniqueEmail(), password: 'wrong-password' });
    const legacy = await post(t, '/token?grant_type=password', body, { apiVersion: null });
    expect(legacy.status).toBe(400);
    expect(legacy.body).toEqual({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' });
    expect(legacy.headers.get('x-supabase-api-version')).toBeNull();
    const current = await post(t, '/token?grant_type=password', body);
    expect(current.body).toEqual({ code: 'invalid_credentials', message: 'Invalid login credentials' });
    expect(current.headers.get('x-supabase-api-version')).toBe('2024-01-01');
    const weak = await post(t, '/signup', JSON.stringify({ email: uniqueEmail(), password: 'abc' }), { apiVersion: null });
    expect(weak.status).toBe(422);
    expect(weak.body).toMatchObject({ code: 422, error_code: 'weak_password', weak_password: { reasons: ['length'] } });
  });
});

describe('bad tokens', () => {
  it('answers garbage bearer tokens on /user and /logout with bad_jwt, not 500', async () => {
    const t = target();
    for (const token of ['x', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', 'Bearer']) {
      for (const [method, path] of [
        ['GET', '/user'],
        ['PUT', '/user'],
        ['POST', '/logout'],
      ] as const) {
        const res = await t.fetch(path, {
          method,
          headers: { authorization: `Bearer ${token}` },
          body: method === 'GET' ? undefined : '{}',
        });
        expect({ token, path, status: res.status }).toEqual({ token, path, status: 403 });
        expect(await res.json()).toMatchObject({ code: 'bad_jwt' });
      }
    }
  });

  it(`answers an expired token with bad_jwt (${LOCAL_ONLY}: signs with the local JWT secret)`, async ({ skip }) => {
    const t = target();
    if (!t.keys) return skip(LOCAL_ONLY);
    const user = await t.createUser();
    const { session } = await t.signIn(user);
    const secret = new TextEncoder().encode(t.keys.jwtSecret);
    const token = (exp: number) =>
      new SignJWT({ sub: user.id, role: 'authenticated', aud: 'authenticated' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt(exp - 3600)
        .setExpirationTime(exp)
        .sign(secret);
    const now = Math.floor(Date.now() / 1000);
    const expired = await t.fetch('/user', { headers: { authorization: `Bearer ${await token(now - 60)}` } });
    expect(expired.status).toBe(403);
    expect(await expired.json()).toEqual({
      code: 'bad_jwt',
      message: 'invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired',
    });
    const valid = await t.fetch('/user', { headers: { authorization: `Bearer ${await token(now + 60)}` } });
    expect(valid.status).toBe(200);
    expect((await t.fetch('/user', { headers: { authorization: `Bearer ${session.access_token}` } })).status).toBe(200);
  });
});
