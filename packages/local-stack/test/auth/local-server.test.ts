import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { quoteIdent, withClient } from '../../src/db';
import { createTestDatabase, type TestDatabase } from '../../src/testing/index';
import { LOCAL_ONLY, remoteTarget } from './env';
import { type AuthOverrides, type AuthTarget, startLocal } from './harness';

/**
 * What only the local server can show: session limits and token lifetime from config.toml,
 * signing keys kept across restarts, and surviving a database that goes away underneath it.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function refreshRaw(t: AuthTarget, refreshToken: string) {
  const res = await t.fetch('/token?grant_type=refresh_token', {
    method: 'POST',
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function userStatus(t: AuthTarget, accessToken: string) {
  return (await t.fetch('/user', { headers: { authorization: `Bearer ${accessToken}` } })).status;
}

describe.skipIf(remoteTarget !== undefined)(`local auth server (${LOCAL_ONLY})`, () => {
  let database: TestDatabase;
  const started: Array<{ dispose(): Promise<void> }> = [];
  const keyDir = mkdtempSync(join(tmpdir(), 'bulkhead-keys-'));
  const serverWith = async (overrides: AuthOverrides, signingKeysPath?: string) => {
    const local = await startLocal(overrides, { database, signingKeysPath });
    started.push(local);
    return local;
  };

  beforeAll(async () => {
    database = await createTestDatabase(inject('cluster'));
  });
  afterAll(async () => {
    for (const local of started.splice(0)) await local.dispose().catch(() => undefined);
    await database?.drop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('ends a session at refresh after [auth.sessions] inactivity_timeout', async () => {
    const { target: t } = await serverWith({ sessions: { inactivity_timeout: '1s' } });
    const { session } = await t.signIn(await t.createUser());
    const active = await refreshRaw(t, session.refresh_token);
    expect(active.status).toBe(200);
    await sleep(1200);
    expect(await refreshRaw(t, String(active.body.refresh_token))).toEqual({
      status: 400,
      body: { code: 'session_expired', message: 'Invalid Refresh Token: Session Expired (Inactivity)' },
    });
  });

  it('ends a session at refresh after [auth.sessions] timebox, while its access token lives on', async () => {
    const { target: t } = await serverWith({ sessions: { timebox: '1s' } });
    const { session } = await t.signIn(await t.createUser());
    const early = await refreshRaw(t, session.refresh_token);
    expect(early.status).toBe(200);
    await sleep(1200);
    expect(await refreshRaw(t, String(early.body.refresh_token))).toEqual({
      status: 400,
      body: { code: 'session_expired', message: 'Invalid Refresh Token: Session Expired' },
    });
    // As on Supabase, limits are enforced when refreshing; the access token lasts until exp.
    expect(await userStatus(t, String(early.body.access_token))).toBe(200);
  });

  it('issues access tokens that expire after jwt_expiry, and a refresh replaces them', async () => {
    // Two seconds, so a token is still good for at least one second after it is issued.
    const { target: t } = await serverWith({ jwt_expiry: 2 });
    const { session } = await t.signIn(await t.createUser());
    expect(session.expires_in).toBe(2);
    expect(await userStatus(t, session.access_token)).toBe(200);
    await sleep(2100);
    const expired = await t.fetch('/user', { headers: { authorization: `Bearer ${session.access_token}` } });
    expect(expired.status).toBe(403);
    expect(await expired.json()).toMatchObject({ code: 'bad_jwt', message: expect.stringMatching(/token is expired/) });
    const renewed = await refreshRaw(t, session.refresh_token);
    expect(await userStatus(t, String(renewed.body.access_token))).toBe(200);
  });

  it('signs in with a password that minimum_password_length no longer allows, flagging weak_password', async () => {
    const { target: t } = await serverWith({ minimum_password_length: 20 });
    const old = await t.createUser({ password: 'twelve-chars' });
    const weak = await t.client().auth.signInWithPassword({ email: old.email, password: old.password });
    expect(weak.error).toBeNull();
    expect(weak.data.weakPassword).toEqual({ message: 'Password should be at least 20 characters.', reasons: ['length'] });
    const strong = await t.createUser({ password: 'a-password-of-24-chars!!' });
    const fine = await t.client().auth.signInWithPassword({ email: strong.email, password: strong.password });
    expect(fine.error).toBeNull();
    expect(fine.data.weakPassword).toBeUndefined();
  });

  it('answers signup with signup_disabled when enable_signup = false', async () => {
    const { target: t } = await serverWith({ enable_signup: false });
    const { error } = await t.client().auth.signUp({ email: `closed-${Date.now()}@example.com`, password: 'correct-horse-1' });
    expect(error).toMatchObject({ status: 422, code: 'signup_disabled' });
    // Admin-created users can still sign in.
    const user = await t.createUser();
    expect((await t.signIn(user)).session.access_token).toBeTruthy();
  });

  it('creates the signing key once (mode 0600) and keeps using it after a restart', async () => {
    const path = join(keyDir, 'nested', 'signing-keys.json');
    const first = await serverWith({}, path);
    expect(first.target.signingKeysPath).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Array<Record<string, unknown>>;
    expect(stored[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: expect.any(String), d: expect.any(String) });

    const { session } = await first.target.signIn(await first.target.createUser());
    await first.dispose();
    started.splice(started.indexOf(first), 1);

    const second = await serverWith({}, path);
    const jwks = (await (await fetch(`${second.target.authUrl}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string }>;
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual([stored[0]?.kid]);
    const keySet = createRemoteJWKSet(new URL(`${second.target.authUrl}/.well-known/jwks.json`));
    await expect(jwtVerify(session.access_token, keySet)).resolves.toBeTruthy();
    // A server with a fresh key file does not accept the old server's tokens.
    const other = await serverWith({});
    expect(await userStatus(other.target, session.access_token)).toBe(403);
  });

  it('recovers on the next request after the database is dropped and recreated under it (stack reset)', async () => {
    const { target: t } = await serverWith({});
    const before = await t.createUser();
    expect((await t.signIn(before)).session.access_token).toBeTruthy();
    // What `pnpm stack reset` does: drop the database (killing every connection) and recreate it.
    const cluster = inject('cluster');
    await withClient(cluster.superuserUrl, async (client) => {
      await client.query(`drop database ${quoteIdent(database.name)} with (force)`);
      await client.query(`create database ${quoteIdent(database.name)} template ${quoteIdent(cluster.template)}`);
    });
    const gone = await t.client().auth.signInWithPassword({ email: before.email, password: before.password });
    expect(gone.error).toMatchObject({ status: 400, code: 'invalid_credentials' });
    const after = await t.createUser();
    expect((await t.signIn(after)).session.access_token).toBeTruthy();
  });
});
