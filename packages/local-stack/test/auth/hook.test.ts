import { AuthApiError, AuthRetryableFetchError } from '@supabase/supabase-js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ONLY, remoteTarget } from './env';
import { type AuthTarget, claimsOf, type LocalServer, startLocal, uniqueEmail } from './harness';

/**
 * The custom access token hook. The suite installs its own hook function (the kit's real hook
 * lives in the migrations) whose behaviour each test picks through the user's app_metadata.hook,
 * which the hook reads from the claims it is given.
 */

const HOOK = 'contract_access_token_hook';
const URI = `pg-functions://postgres/public/${HOOK}`;

const hookSql = `
create function public.${HOOK}(event jsonb) returns jsonb
language plpgsql set search_path = '' as $$
declare
  claims jsonb := event->'claims';
  -- Users made through sign-up have no app_metadata.hook; their address picks the mode.
  mode text := coalesce(event->'claims'->'app_metadata'->>'hook',
    substring(event->'claims'->>'email' from '^hook-([a-z-]+)[+]'), '');
begin
  case mode
    when 'error' then
      return jsonb_build_object('error', jsonb_build_object('http_code', 403, 'message', 'Tenant access revoked'));
    when 'error-no-status' then
      return jsonb_build_object('error', jsonb_build_object('message', 'Hook says no'));
    when 'missing-claim' then
      return jsonb_build_object('claims', claims - 'session_id');
    when 'wrong-type' then
      return jsonb_build_object('claims', jsonb_set(claims, '{exp}', '"soon"'));
    when 'null' then
      return null;
    when 'raise' then
      raise exception 'the hook failed on purpose';
    when 'sleep' then
      perform pg_sleep(5);
      return event;
    else
      claims := jsonb_set(claims, '{app_metadata}',
        coalesce(claims->'app_metadata', '{}') || '{"tenant_id": "tenant-42", "tenant_role": "owner"}');
      return jsonb_build_object('claims', claims || jsonb_build_object(
        'authentication_method', event->>'authentication_method',
        'hook_user_id', event->>'user_id'));
  end case;
end $$;
grant usage on schema public to supabase_auth_admin;
grant execute on function public.${HOOK}(jsonb) to supabase_auth_admin;
revoke execute on function public.${HOOK}(jsonb) from public, anon, authenticated;
`;

async function signInRaw(t: AuthTarget, email: string, password: string) {
  const res = await t.fetch('/token?grant_type=password', { method: 'POST', body: JSON.stringify({ email, password }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function sessionCount(t: AuthTarget, userId: string): Promise<number> {
  const rows = await t.sql<{ n: number }>('select count(*)::int as n from auth.sessions where user_id = $1', [userId]);
  return rows[0]?.n ?? -1;
}

describe.skipIf(remoteTarget !== undefined)(`custom access token hook (${LOCAL_ONLY})`, () => {
  let local: LocalServer & { dispose(): Promise<void> };
  let t: AuthTarget;
  beforeAll(async () => {
    local = await startLocal({ hook: { custom_access_token: { enabled: true, uri: URI } } });
    t = local.target;
    await t.sql(hookSql);
  });
  afterAll(async () => {
    await local?.dispose();
  });

  async function userWithMode(mode?: string) {
    return t.createUser({ appMetadata: mode ? { hook: mode } : {} });
  }

  it('puts the claims it returns into the token, and tokens still verify against the JWKS', async () => {
    const user = await userWithMode();
    const { session } = await t.signIn(user);
    const claims = claimsOf(session.access_token);
    expect(claims.app_metadata).toMatchObject({ tenant_id: 'tenant-42', tenant_role: 'owner' });
    expect(claims).toMatchObject({ hook_user_id: user.id, authentication_method: 'password', sub: user.id });
    const keySet = createRemoteJWKSet(new URL(`${t.authUrl}/.well-known/jwks.json`));
    await expect(jwtVerify(session.access_token, keySet)).resolves.toBeTruthy();
  });

  it("is told authentication_method 'password' at sign-in and 'token_refresh' at refresh", async () => {
    const { client, session } = await t.signIn(await userWithMode());
    expect(claimsOf(session.access_token).authentication_method).toBe('password');
    const refreshed = await client.auth.refreshSession({ refresh_token: session.refresh_token });
    expect(refreshed.error).toBeNull();
    expect(claimsOf(refreshed.data.session?.access_token ?? '').authentication_method).toBe('token_refresh');
  });

  it('fails the grant with the status and message of an {error} it returns, and writes no session', async () => {
    const user = await userWithMode('error');
    expect(await signInRaw(t, user.email, user.password)).toEqual({
      status: 403,
      body: { code: 'unknown', message: 'Tenant access revoked' },
    });
    const viaClient = await t.client().auth.signInWithPassword({ email: user.email, password: user.password });
    expect(viaClient.error).toBeInstanceOf(AuthApiError);
    expect(viaClient.error).toMatchObject({ status: 403, message: 'Tenant access revoked' });
    expect(await sessionCount(t, user.id)).toBe(0);
    // Positive control: once the hook lets the user through, sign-in works and writes a session.
    await t.admin().auth.admin.updateUserById(user.id, { app_metadata: { hook: null } });
    expect((await signInRaw(t, user.email, user.password)).status).toBe(200);
    expect(await sessionCount(t, user.id)).toBe(1);
  });

  it('fails a sign-up after the user is created: no session, and the address is taken', async () => {
    const email = uniqueEmail('hook-error+signup');
    const first = await t.client().auth.signUp({ email, password: 'correct-horse-1' });
    expect(first.error).toMatchObject({ status: 403, message: 'Tenant access revoked' });
    const [user] = await t.sql<{ id: string; confirmed: boolean }>(
      'select id, email_confirmed_at is not null as confirmed from auth.users where email = $1',
      [email],
    );
    expect(user?.confirmed).toBe(true);
    expect(await sessionCount(t, user?.id ?? '')).toBe(0);
    const again = await t.client().auth.signUp({ email, password: 'correct-horse-1' });
    expect(again.error).toMatchObject({ status: 422, code: 'user_already_exists' });
    // Positive control: an address the hook lets through signs up with a session.
    const fine = await t.client().auth.signUp({ email: uniqueEmail('hook-ok'), password: 'correct-horse-1' });
    expect(fine.data.session?.access_token).toBeTruthy();
  });

  it('answers an {error} without http_code with 500', async () => {
    const user = await userWithMode('error-no-status');
    expect(await signInRaw(t, user.email, user.password)).toEqual({
      status: 500,
      body: { code: 'unexpected_failure', message: 'Hook says no' },
    });
    const viaClient = await t.client().auth.signInWithPassword({ email: user.email, password: user.password });
    expect(viaClient.error).toBeInstanceOf(AuthRetryableFetchError);
  });

  it('refuses output that misses a required claim or has a wrong type', async () => {
    const missing = await userWithMode('missing-claim');
    expect(await signInRaw(t, missing.email, missing.password)).toEqual({
      status: 500,
      body: {
        code: 'unexpected_failure',
        message: 'output claims do not conform to the expected schema: \n- (root): session_id is required\n',
      },
    });
    const wrongType = await userWithMode('wrong-type');
    const res = await signInRaw(t, wrongType.email, wrongType.password);
    expect(res.status).toBe(500);
    expect(res.body.message).toMatch(/^output claims do not conform to the expected schema: \n- exp: Invalid type/);
    const nothing = await userWithMode('null');
    expect((await signInRaw(t, nothing.email, nothing.password)).body.message).toBe(
      'output claims do not conform to the expected schema: \n- (root): Invalid type. Expected: object, given: null\n',
    );
    expect(await sessionCount(t, missing.id)).toBe(0);
  });

  it('answers a hook that raises with "Error running hook URI"', async () => {
    const user = await userWithMode('raise');
    expect(await signInRaw(t, user.email, user.password)).toEqual({
      status: 500,
      body: { code: 'unexpected_failure', message: `Error running hook URI: ${URI}` },
    });
  });

  it('stops a hook that runs past 2 s with an error, not a hang', async () => {
    const user = await userWithMode('sleep');
    const started = Date.now();
    const res = await signInRaw(t, user.email, user.password);
    const elapsed = Date.now() - started;
    expect(res).toEqual({ status: 500, body: { code: 'unexpected_failure', message: `Error running hook URI: ${URI}` } });
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(4500);
    expect(await sessionCount(t, user.id)).toBe(0);
  });

  it('fails a refresh inside its transaction: the refresh token is not used up', async () => {
    const user = await userWithMode();
    const { session } = await t.signIn(user);
    const refresh = async () => {
      const res = await t.fetch('/token?grant_type=refresh_token', {
        method: 'POST',
        body: JSON.stringify({ refresh_token: session.refresh_token }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    await t.admin().auth.admin.updateUserById(user.id, { app_metadata: { hook: 'error' } });
    expect(await refresh()).toEqual({ status: 403, body: { code: 'unknown', message: 'Tenant access revoked' } });
    await t.admin().auth.admin.updateUserById(user.id, { app_metadata: { hook: null } });
    const retried = await refresh();
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).not.toBe(session.refresh_token);
  });
});
