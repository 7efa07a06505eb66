import { describe, expect, it } from 'vitest';
import { LOCAL_ONLY } from './env';
import { type AuthTarget, claimsOf, uniqueEmail, useAuthTarget } from './harness';

/** The admin API under the service-role key. */

const target = useAuthTarget();

async function userStatus(t: AuthTarget, accessToken: string) {
  return (await t.fetch('/user', { headers: { authorization: `Bearer ${accessToken}` } })).status;
}

describe('admin users', () => {
  it('creates, gets and lists users', async () => {
    const t = target();
    const admin = t.admin().auth.admin;
    const email = uniqueEmail('admin-create');
    const created = await admin.createUser({
      email,
      password: 'correct-horse-1',
      email_confirm: true,
      user_metadata: { name: 'Grace' },
      app_metadata: { plan: 'pro' },
    });
    expect(created.error).toBeNull();
    expect(created.data.user).toMatchObject({
      email,
      role: 'authenticated',
      app_metadata: { provider: 'email', providers: ['email'], plan: 'pro' },
      user_metadata: { name: 'Grace', email_verified: true },
    });
    expect(created.data.user?.email_confirmed_at).toBeTruthy();
    const id = created.data.user?.id ?? '';

    const fetched = await admin.getUserById(id);
    expect(fetched.data.user).toMatchObject({ id, email });

    const page = await admin.listUsers({ page: 1, perPage: 1 });
    expect(page.error).toBeNull();
    expect(page.data.users).toHaveLength(1);
    expect(page.data).toMatchObject({ total: expect.any(Number), lastPage: expect.any(Number) });
    const res = await t.fetch('/admin/users?page=1&per_page=1', {
      headers: { apikey: t.serviceRoleKey, authorization: `Bearer ${t.serviceRoleKey}` },
    });
    const total = Number(res.headers.get('x-total-count'));
    expect(total).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('link')).toContain(`rel="last"`);
    if (total > 1) expect(res.headers.get('link')).toMatch(/^<[^>]*[?&]page=2[&>].*rel="next"/);
    const all = await admin.listUsers({ perPage: 1000 });
    expect(all.data.users.some((u) => u.id === id)).toBe(true);
  });

  it('answers unknown and malformed ids with 404', async () => {
    const t = target();
    const missing = await t.admin().auth.admin.getUserById('00000000-0000-4000-8000-000000000000');
    expect(missing.error).toMatchObject({ status: 404, code: 'user_not_found' });
    const res = await t.fetch('/admin/users/not-a-uuid', {
      headers: { apikey: t.serviceRoleKey, authorization: `Bearer ${t.serviceRoleKey}` },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'validation_failed', message: 'user_id must be an UUID' });
    const user = await t.createUser();
    expect((await t.admin().auth.admin.getUserById(user.id)).error).toBeNull();
  });

  it('refuses a duplicate email with email_exists', async () => {
    const t = target();
    const user = await t.createUser();
    const dup = await t.admin().auth.admin.createUser({ email: user.email, password: 'correct-horse-1' });
    expect(dup.error).toMatchObject({ status: 422, code: 'email_exists' });
  });

  it('updates app_metadata, which the next token carries, and merges rather than replaces', async () => {
    const t = target();
    const user = await t.createUser({ appMetadata: { keep: 1 } });
    const { client, session } = await t.signIn(user);
    // Keys the kit's access token hook leaves alone (it owns tenant_id and tenant_role).
    const updated = await t.admin().auth.admin.updateUserById(user.id, { app_metadata: { plan: 'team', keep: 2 } });
    expect(updated.error).toBeNull();
    expect(updated.data.user?.app_metadata).toMatchObject({ provider: 'email', plan: 'team', keep: 2 });
    // The current token is unchanged until refreshed.
    expect(claimsOf(session.access_token).app_metadata).not.toHaveProperty('plan');
    const refreshed = await client.auth.refreshSession({ refresh_token: session.refresh_token });
    expect(claimsOf(refreshed.data.session?.access_token ?? '').app_metadata).toMatchObject({ plan: 'team', keep: 2 });
  });

  it('changing a password through the admin API ends every session of the user', async () => {
    const t = target();
    const user = await t.createUser();
    const { session } = await t.signIn(user);
    const res = await t.admin().auth.admin.updateUserById(user.id, { password: 'admin-set-password' });
    expect(res.error).toBeNull();
    expect(await userStatus(t, session.access_token)).toBe(403);
    const signIn = await t.client().auth.signInWithPassword({ email: user.email, password: 'admin-set-password' });
    expect(signIn.error).toBeNull();
  });

  it('deletes a user, and their sessions with them', async () => {
    const t = target();
    const user = await t.createUser();
    const other = await t.createUser();
    const { session } = await t.signIn(user);
    const { session: otherSession } = await t.signIn(other);
    const deleted = await t.admin().auth.admin.deleteUser(user.id);
    expect(deleted.error).toBeNull();
    expect((await t.admin().auth.admin.getUserById(user.id)).error).toMatchObject({ status: 404 });
    const gone = await t.fetch('/user', { headers: { authorization: `Bearer ${session.access_token}` } });
    expect(gone.status).toBe(403);
    expect(await gone.json()).toMatchObject({ code: 'user_not_found' });
    expect(await userStatus(t, otherSession.access_token)).toBe(200);
  });

  it("signs a user out with the user's token (admin.signOut)", async () => {
    const t = target();
    const user = await t.createUser();
    const [a, b] = [await t.signIn(user), await t.signIn(user)];
    const { error } = await t.admin().auth.admin.signOut(a.session.access_token, 'local');
    expect(error).toBeNull();
    expect(await userStatus(t, a.session.access_token)).toBe(403);
    expect(await userStatus(t, b.session.access_token)).toBe(200);
    expect((await t.admin().auth.admin.signOut(b.session.access_token)).error).toBeNull();
    expect(await userStatus(t, b.session.access_token)).toBe(403);
  });
});

describe('admin authorization', () => {
  it('refuses the anon key and user tokens with not_admin', async () => {
    const t = target();
    const asAnon = await t.clientFor(t.anonKey).auth.admin.listUsers();
    expect(asAnon.error).toMatchObject({ status: 403, code: 'not_admin' });
    const { session } = await t.signIn(await t.createUser());
    const asUser = await t.fetch('/admin/users', { headers: { authorization: `Bearer ${session.access_token}` } });
    expect(asUser.status).toBe(403);
    expect(await asUser.json()).toEqual({ code: 'not_admin', message: 'User not allowed' });
    expect((await t.admin().auth.admin.listUsers()).error).toBeNull();
  });

  it(`accepts the opaque sb_secret_ key and refuses sb_publishable_ (${LOCAL_ONLY})`, async ({ skip }) => {
    const t = target();
    if (!t.keys) return skip(LOCAL_ONLY);
    const secret = t.clientFor(t.keys.secretKey);
    expect((await secret.auth.admin.listUsers()).error).toBeNull();
    const publishable = t.clientFor(t.keys.publishableKey);
    expect((await publishable.auth.admin.listUsers()).error).toMatchObject({ status: 403, code: 'not_admin' });
  });
});
