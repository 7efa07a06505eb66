import { AuthApiError, AuthWeakPasswordError, isAuthApiError } from '@supabase/supabase-js';
import { describe, expect, it } from 'vitest';
import { claimsOf, uniqueEmail, useAuthTarget } from './harness';

/** POST /signup and POST /token?grant_type=password. */

const target = useAuthTarget();

describe('sign-up with email and password', () => {
  it('confirms locally at once and answers with a session, writing the rows GoTrue writes', async ({ skip }) => {
    const t = target();
    const email = uniqueEmail('signup');
    const { data, error } = await t
      .client()
      .auth.signUp({ email, password: 'correct-horse-1', options: { data: { name: 'Ada' } } });
    expect(error).toBeNull();
    expect(data.session?.access_token).toBeTruthy();
    expect(data.session?.refresh_token).toHaveLength(12);
    expect(data.user).toMatchObject({
      email,
      aud: 'authenticated',
      role: 'authenticated',
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: { name: 'Ada', email, email_verified: true, sub: data.user?.id },
      is_anonymous: false,
    });
    expect(data.user?.email_confirmed_at).toBeTruthy();
    expect(data.user?.identities?.[0]).toMatchObject({ provider: 'email', id: data.user?.id, user_id: data.user?.id });

    if (!t.hasSql) return skip('no SUPABASE_DB_URL to read auth tables');
    const claims = claimsOf(data.session?.access_token ?? '');
    const [user] = await t.sql('select encrypted_password, email, raw_app_meta_data from auth.users where id = $1', [
      data.user?.id,
    ]);
    expect(user?.encrypted_password).toMatch(/^\$2[ab]\$10\$.{53}$/);
    const sessions = await t.sql('select id, user_id, aal::text as aal from auth.sessions where user_id = $1', [data.user?.id]);
    expect(sessions).toEqual([{ id: claims.session_id, user_id: data.user?.id, aal: 'aal1' }]);
    const tokens = await t.sql('select token, revoked, parent, session_id from auth.refresh_tokens where user_id = $1', [
      data.user?.id,
    ]);
    expect(tokens).toEqual([{ token: data.session?.refresh_token, revoked: false, parent: null, session_id: claims.session_id }]);
    const identities = await t.sql('select provider, provider_id, email from auth.identities where user_id = $1', [
      data.user?.id,
    ]);
    expect(identities).toEqual([{ provider: 'email', provider_id: data.user?.id, email }]);
  });

  it('refuses an address that is already registered, with user_already_exists', async () => {
    const t = target();
    const email = uniqueEmail('twice');
    const first = await t.client().auth.signUp({ email, password: 'correct-horse-1' });
    expect(first.error).toBeNull();
    const again = await t.client().auth.signUp({ email: email.toUpperCase(), password: 'another-pass-2' });
    expect(again.error).toBeInstanceOf(AuthApiError);
    expect(again.error).toMatchObject({ status: 422, code: 'user_already_exists', message: 'User already registered' });
  });

  it('refuses a weak password with weak_password and its reasons', async () => {
    const t = target();
    const weak = await t.client().auth.signUp({ email: uniqueEmail('weak'), password: 'short' });
    expect(weak.error).toBeInstanceOf(AuthWeakPasswordError);
    expect(weak.error).toMatchObject({ status: 422, code: 'weak_password', reasons: ['length'] });
    const strong = await t.client().auth.signUp({ email: uniqueEmail('strong'), password: 'long-enough-1' });
    expect(strong.error).toBeNull();
  });

  it('refuses a malformed address and a missing password with validation_failed', async () => {
    const t = target();
    const badEmail = await t.client().auth.signUp({ email: 'not-an-address', password: 'correct-horse-1' });
    expect(badEmail.error).toMatchObject({ status: 400, code: 'validation_failed' });
    const noPassword = await t.fetch('/signup', { method: 'POST', body: JSON.stringify({ email: uniqueEmail() }) });
    expect(noPassword.status).toBe(400);
    expect(await noPassword.json()).toEqual({ code: 'validation_failed', message: 'Signup requires a valid password' });
  });
});

describe('sign-in with password', () => {
  it('answers a session whose access token carries the user and session', async () => {
    const t = target();
    const user = await t.createUser();
    const { data, error } = await t.client().auth.signInWithPassword({ email: user.email, password: user.password });
    expect(error).toBeNull();
    expect(data.session).toMatchObject({ token_type: 'bearer', expires_in: expect.any(Number) });
    expect(data.session?.expires_at).toBe(claimsOf(data.session?.access_token ?? '').exp);
    expect(data.user?.id).toBe(user.id);
    expect(data.user?.last_sign_in_at).toBeTruthy();
    const claims = claimsOf(data.session?.access_token ?? '');
    expect(claims).toMatchObject({
      sub: user.id,
      aud: 'authenticated',
      role: 'authenticated',
      email: user.email,
      phone: '',
      aal: 'aal1',
      is_anonymous: false,
      amr: [{ method: 'password', timestamp: expect.any(Number) }],
      app_metadata: { provider: 'email', providers: ['email'] },
    });
    expect(claims.exp).toBe((claims.iat as number) + (data.session?.expires_in ?? 0));
    expect(claims.iss).toBe(t.authUrl);
  });

  it('gives an unknown address and a wrong password the same answer, invalid_credentials', async () => {
    const t = target();
    const user = await t.createUser();
    const wrong = await t.fetch('/token?grant_type=password', {
      method: 'POST',
      body: JSON.stringify({ email: user.email, password: 'not-the-password' }),
    });
    const unknown = await t.fetch('/token?grant_type=password', {
      method: 'POST',
      body: JSON.stringify({ email: uniqueEmail('nobody'), password: 'not-the-password' }),
    });
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    const expected = { code: 'invalid_credentials', message: 'Invalid login credentials' };
    expect(await wrong.json()).toEqual(expected);
    expect(await unknown.json()).toEqual(expected);

    const viaClient = await t.client().auth.signInWithPassword({ email: user.email, password: 'not-the-password' });
    expect(isAuthApiError(viaClient.error)).toBe(true);
    expect(viaClient.error).toMatchObject({ status: 400, code: 'invalid_credentials' });
    // Positive control: the right password signs in.
    const right = await t.client().auth.signInWithPassword({ email: user.email.toUpperCase(), password: user.password });
    expect(right.error).toBeNull();
  });

  it('refuses an unconfirmed address with email_not_confirmed', async () => {
    const t = target();
    const email = uniqueEmail('unconfirmed');
    const created = await t.admin().auth.admin.createUser({ email, password: 'correct-horse-1' });
    expect(created.error).toBeNull();
    const before = await t.client().auth.signInWithPassword({ email, password: 'correct-horse-1' });
    expect(before.error).toMatchObject({ status: 400, code: 'email_not_confirmed' });
    await t.admin().auth.admin.updateUserById(created.data.user?.id ?? '', { email_confirm: true });
    const after = await t.client().auth.signInWithPassword({ email, password: 'correct-horse-1' });
    expect(after.error).toBeNull();
  });

  it('refuses a banned user with user_banned, and lets them in once unbanned', async () => {
    const t = target();
    const user = await t.createUser();
    await t.admin().auth.admin.updateUserById(user.id, { ban_duration: '24h' });
    const banned = await t.client().auth.signInWithPassword({ email: user.email, password: user.password });
    expect(banned.error).toMatchObject({ status: 400, code: 'user_banned' });
    await t.admin().auth.admin.updateUserById(user.id, { ban_duration: 'none' });
    const unbanned = await t.client().auth.signInWithPassword({ email: user.email, password: user.password });
    expect(unbanned.error).toBeNull();
  });

  it('answers missing credentials with validation_failed', async () => {
    const t = target();
    const res = await t.fetch('/token?grant_type=password', { method: 'POST', body: JSON.stringify({ password: 'x' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 'validation_failed', message: 'missing email or phone' });
    const user = await t.createUser();
    const control = await t.fetch('/token?grant_type=password', {
      method: 'POST',
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    expect(control.status).toBe(200);
  });
});
