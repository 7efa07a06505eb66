import { AuthSessionMissingError, AuthWeakPasswordError } from '@supabase/supabase-js';
import { describe, expect, it } from 'vitest';
import { type AuthTarget, claimsOf, type TestUser, uniqueEmail, useAuthTarget } from './harness';

/** GET/PUT /user and POST /logout, observed the way the kit observes them: through getUser(). */

const target = useAuthTarget();

async function userStatus(t: AuthTarget, accessToken: string) {
  const res = await t.fetch('/user', { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function threeSessions(t: AuthTarget, user: TestUser) {
  return [await t.signIn(user), await t.signIn(user), await t.signIn(user)] as const;
}

describe('GET /user', () => {
  it("answers the token's user", async () => {
    const t = target();
    const user = await t.createUser();
    const { client, session } = await t.signIn(user);
    const { data, error } = await client.auth.getUser();
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ id: user.id, email: user.email, aud: 'authenticated', role: 'authenticated' });
    const byToken = await t.client().auth.getUser(session.access_token);
    expect(byToken.data.user?.id).toBe(user.id);
  });

  it('rejects a token whose session no longer exists with session_not_found', async () => {
    const t = target();
    const user = await t.createUser();
    const [a, b] = [await t.signIn(user), await t.signIn(user)];
    expect((await a.client.auth.signOut({ scope: 'local' })).error).toBeNull();
    expect(await userStatus(t, a.session.access_token)).toEqual({
      status: 403,
      body: { code: 'session_not_found', message: 'Session from session_id claim in JWT does not exist' },
    });
    // auth-js turns session_not_found into AuthSessionMissingError.
    const viaClient = await t.client().auth.getUser(a.session.access_token);
    expect(viaClient.error).toBeInstanceOf(AuthSessionMissingError);
    // Positive control: the other session is untouched.
    expect((await userStatus(t, b.session.access_token)).status).toBe(200);
  });

  it('rejects garbage and wrongly signed tokens with bad_jwt, and a missing one with no_authorization', async () => {
    const t = target();
    const garbage = await userStatus(t, 'garbage');
    expect(garbage.status).toBe(403);
    expect(garbage.body).toMatchObject({ code: 'bad_jwt' });
    const { session } = await t.signIn(await t.createUser());
    const [header, payload] = session.access_token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    expect(await userStatus(t, forged)).toMatchObject({ status: 403, body: { code: 'bad_jwt' } });
    const missing = await t.fetch('/user', { headers: { authorization: 'Basic abc' } });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ code: 'no_authorization', message: 'This endpoint requires a Bearer token' });
    expect((await userStatus(t, session.access_token)).status).toBe(200);
  });

  it('rejects the anon key as a user token (no sub claim)', async () => {
    const t = target();
    const anon = await userStatus(t, t.anonKey);
    expect(anon).toEqual({ status: 403, body: { code: 'bad_jwt', message: 'invalid claim: missing sub claim' } });
  });
});

describe('POST /logout', () => {
  it('signs out every session of the user by default (scope=global)', async () => {
    const t = target();
    const [a, b, c] = await threeSessions(t, await t.createUser());
    expect((await userStatus(t, c.session.access_token)).status).toBe(200);
    expect((await a.client.auth.signOut()).error).toBeNull();
    for (const s of [a, b, c]) expect((await userStatus(t, s.session.access_token)).status).toBe(403);
  });

  it('signs out only the calling session with scope=local', async () => {
    const t = target();
    const [a, b, c] = await threeSessions(t, await t.createUser());
    expect((await a.client.auth.signOut({ scope: 'local' })).error).toBeNull();
    expect((await userStatus(t, a.session.access_token)).status).toBe(403);
    expect((await userStatus(t, b.session.access_token)).status).toBe(200);
    expect((await userStatus(t, c.session.access_token)).status).toBe(200);
  });

  it('signs out all other sessions with scope=others', async () => {
    const t = target();
    const [a, b, c] = await threeSessions(t, await t.createUser());
    expect((await a.client.auth.signOut({ scope: 'others' })).error).toBeNull();
    expect((await userStatus(t, a.session.access_token)).status).toBe(200);
    expect((await userStatus(t, b.session.access_token)).status).toBe(403);
    expect((await userStatus(t, c.session.access_token)).status).toBe(403);
  });

  it('answers 204, deletes the auth.sessions rows, and refuses an unknown scope', async ({ skip }) => {
    const t = target();
    const user = await t.createUser();
    const { session } = await t.signIn(user);
    const bad = await t.fetch('/logout?scope=everywhere', {
      method: 'POST',
      headers: { authorization: `Bearer ${session.access_token}` },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: 'validation_failed', message: 'Unsupported logout scope "everywhere"' });
    const res = await t.fetch('/logout', { method: 'POST', headers: { authorization: `Bearer ${session.access_token}` } });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    if (!t.hasSql) return skip('no SUPABASE_DB_URL to read auth tables');
    expect(await t.sql('select id from auth.sessions where user_id = $1', [user.id])).toEqual([]);
  });
});

describe('PUT /user', () => {
  it('merges user_metadata, removing keys set to null', async () => {
    const t = target();
    const { client } = await t.signIn(await t.createUser());
    await client.auth.updateUser({ data: { theme: 'dark', lang: 'en' } });
    const { data, error } = await client.auth.updateUser({ data: { lang: null, tz: 'UTC' } });
    expect(error).toBeNull();
    expect(data.user?.user_metadata).toMatchObject({ theme: 'dark', tz: 'UTC' });
    expect(data.user?.user_metadata).not.toHaveProperty('lang');
  });

  it('changes the password and ends every other session, keeping the one that changed it', async () => {
    const t = target();
    const user = await t.createUser();
    const [a, b] = [await t.signIn(user), await t.signIn(user)];
    const { error } = await a.client.auth.updateUser({ password: 'a-brand-new-password' });
    expect(error).toBeNull();
    expect((await userStatus(t, a.session.access_token)).status).toBe(200);
    expect(await userStatus(t, b.session.access_token)).toMatchObject({ status: 403, body: { code: 'session_not_found' } });
    const old = await t.client().auth.signInWithPassword({ email: user.email, password: user.password });
    expect(old.error).toMatchObject({ code: 'invalid_credentials' });
    const fresh = await t.client().auth.signInWithPassword({ email: user.email, password: 'a-brand-new-password' });
    expect(fresh.error).toBeNull();
  });

  it('refuses the current password, a weak one, and app_metadata from the user', async () => {
    const t = target();
    const user = await t.createUser();
    const { client } = await t.signIn(user);
    const same = await client.auth.updateUser({ password: user.password });
    expect(same.error).toMatchObject({ status: 422, code: 'same_password' });
    const weak = await client.auth.updateUser({ password: 'abc' });
    expect(weak.error).toBeInstanceOf(AuthWeakPasswordError);
    const { session } = await t.signIn(user);
    const appData = await t.fetch('/user', {
      method: 'PUT',
      headers: { authorization: `Bearer ${session.access_token}` },
      body: JSON.stringify({ app_metadata: { tenant_role: 'owner' } }),
    });
    expect(appData.status).toBe(403);
    expect(await appData.json()).toEqual({ code: 'not_admin', message: 'Updating app_metadata requires admin privileges' });
    const allowed = await client.auth.updateUser({ data: { fine: true } });
    expect(allowed.error).toBeNull();
    expect(claimsOf(session.access_token).app_metadata).not.toHaveProperty('tenant_role');
  });

  it('records a new email as pending (new_email) and refuses one that is taken', async ({ skip }) => {
    const t = target();
    if (t.remote) return skip('a real target mails the addresses, which is rate-limited');
    const user = await t.createUser();
    const other = await t.createUser();
    const { client } = await t.signIn(user);
    const taken = await client.auth.updateUser({ email: other.email });
    expect(taken.error).toMatchObject({ status: 422, code: 'email_exists' });
    const wanted = uniqueEmail('changed');
    const { data, error } = await client.auth.updateUser({ email: wanted });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ email: user.email, new_email: wanted });
    expect(data.user?.email_change_sent_at).toBeTruthy();
  });
});
