import { AuthApiError } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ONLY, remoteTarget } from './env';
import { type AuthTarget, claimsOf, startLocal, useAuthTarget } from './harness';

/** POST /token?grant_type=refresh_token: rotation and reuse detection. */

const target = useAuthTarget();

async function refresh(t: AuthTarget, refreshToken: string) {
  return t.client().auth.refreshSession({ refresh_token: refreshToken });
}

async function refreshRaw(t: AuthTarget, refreshToken: string) {
  const res = await t.fetch('/token?grant_type=refresh_token', {
    method: 'POST',
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('refresh-token rotation', () => {
  it('swaps each refresh token for a new one in the same session, and the chain is recorded', async ({ skip }) => {
    const t = target();
    const { session } = await t.signIn(await t.createUser());
    const first = await refresh(t, session.refresh_token);
    expect(first.error).toBeNull();
    const r1 = first.data.session?.refresh_token ?? '';
    expect(r1).toHaveLength(12);
    expect(r1).not.toBe(session.refresh_token);
    const second = await refresh(t, r1);
    const r2 = second.data.session?.refresh_token ?? '';
    expect(r2).not.toBe(r1);
    const ids = [session, first.data.session, second.data.session].map((s) => claimsOf(s?.access_token ?? '').session_id);
    expect(new Set(ids).size).toBe(1);
    // Refreshed tokens keep how the session was established.
    expect(claimsOf(second.data.session?.access_token ?? '').amr).toEqual([
      { method: 'password', timestamp: expect.any(Number) },
    ]);

    if (!t.hasSql) return skip('no SUPABASE_DB_URL to read auth tables');
    const chain = await t.sql('select token, parent, revoked from auth.refresh_tokens where session_id = $1 order by id', [
      ids[0],
    ]);
    expect(chain).toEqual([
      { token: session.refresh_token, parent: null, revoked: true },
      { token: r1, parent: session.refresh_token, revoked: true },
      { token: r2, parent: r1, revoked: false },
    ]);
    const [row] = await t.sql('select refreshed_at is not null as refreshed from auth.sessions where id = $1', [ids[0]]);
    expect(row?.refreshed).toBe(true);
  });

  it('gives two tabs that refresh the same token at once the same session and token', async () => {
    const t = target();
    const { session } = await t.signIn(await t.createUser());
    const [a, b] = await Promise.all([refresh(t, session.refresh_token), refresh(t, session.refresh_token)]);
    expect(a.error).toBeNull();
    expect(b.error).toBeNull();
    expect(a.data.session?.refresh_token).toBe(b.data.session?.refresh_token);
    expect(claimsOf(a.data.session?.access_token ?? '').session_id).toBe(claimsOf(session.access_token).session_id);
    expect(claimsOf(b.data.session?.access_token ?? '').session_id).toBe(claimsOf(session.access_token).session_id);
    // And the shared token keeps working for whichever tab refreshes next.
    const next = await refresh(t, a.data.session?.refresh_token ?? '');
    expect(next.error).toBeNull();
  });

  it("answers the active token's parent with the active token (a client that lost the answer)", async () => {
    const t = target();
    const { session } = await t.signIn(await t.createUser());
    const first = await refresh(t, session.refresh_token);
    const again = await refresh(t, session.refresh_token);
    expect(again.error).toBeNull();
    expect(again.data.session?.refresh_token).toBe(first.data.session?.refresh_token);
  });

  it('lets an older used token back in within the reuse interval, in the same session', async () => {
    const t = target();
    const { session } = await t.signIn(await t.createUser());
    const r1 = (await refresh(t, session.refresh_token)).data.session?.refresh_token ?? '';
    const r2 = (await refresh(t, r1)).data.session?.refresh_token ?? '';
    // session.refresh_token is no longer the active token's parent, but was used moments ago.
    const late = await refresh(t, session.refresh_token);
    expect(late.error).toBeNull();
    expect(late.data.session?.refresh_token).not.toBe(r2);
    expect(claimsOf(late.data.session?.access_token ?? '').session_id).toBe(claimsOf(session.access_token).session_id);
  });

  it('answers an unknown or malformed refresh token with refresh_token_not_found', async () => {
    const t = target();
    for (const garbage of ['abcdefghijkl', 'x', 'not a refresh token at all, and far too long']) {
      expect(await refreshRaw(t, garbage)).toEqual({
        status: 400,
        body: { code: 'refresh_token_not_found', message: 'Invalid Refresh Token: Refresh Token Not Found' },
      });
    }
    const viaClient = await refresh(t, 'abcdefghijkl');
    expect(viaClient.error).toBeInstanceOf(AuthApiError);
    expect(viaClient.error).toMatchObject({ status: 400, code: 'refresh_token_not_found' });
    const { session } = await t.signIn(await t.createUser());
    expect((await refreshRaw(t, session.refresh_token)).status).toBe(200);
  });

  it('answers a missing refresh token with the OAuth-style invalid_request', async () => {
    const t = target();
    const missing = await refreshRaw(t, '');
    expect(missing).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'refresh_token required' } });
    const { session } = await t.signIn(await t.createUser());
    expect((await refreshRaw(t, session.refresh_token)).status).toBe(200);
  });

  it('refuses the refresh token of a signed-out session', async () => {
    const t = target();
    const { client, session } = await t.signIn(await t.createUser());
    expect((await client.auth.signOut({ scope: 'local' })).error).toBeNull();
    const after = await refreshRaw(t, session.refresh_token);
    expect(after).toMatchObject({ status: 400, body: { code: 'refresh_token_not_found' } });
  });
});

describe.skipIf(remoteTarget !== undefined)(`reuse after the reuse interval (${LOCAL_ONLY})`, () => {
  let local: Awaited<ReturnType<typeof startLocal>>;
  beforeAll(async () => {
    // A one-second interval instead of the configured ten, so the test need not wait long.
    local = await startLocal({ refresh_token_reuse_interval: 1 });
  });
  afterAll(async () => {
    await local?.dispose();
  });

  it('revokes every refresh token of the session, answers refresh_token_already_used, and the next refresh fails', async () => {
    const t = local.target;
    const { session } = await t.signIn(await t.createUser());
    const sessionId = claimsOf(session.access_token).session_id;
    const r1 = (await refresh(t, session.refresh_token)).data.session?.refresh_token ?? '';
    const r2 = (await refresh(t, r1)).data.session?.refresh_token ?? '';
    // Positive control, inside the interval: the parent of the active token still answers.
    expect((await refreshRaw(t, r1)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 1200));
    const reuse = await refreshRaw(t, session.refresh_token);
    expect(reuse).toEqual({
      status: 400,
      body: { code: 'refresh_token_already_used', message: 'Invalid Refresh Token: Already Used' },
    });
    const viaClient = await refresh(t, r2);
    expect(viaClient.error).toMatchObject({ status: 400, code: 'refresh_token_already_used' });

    // As in GoTrue with its legacy tokens, the session row stays; only its refresh tokens end.
    const tokens = await t.sql<{ revoked: boolean }>('select revoked from auth.refresh_tokens where session_id = $1', [
      sessionId,
    ]);
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((row) => row.revoked)).toBe(true);
    expect(await t.sql('select id from auth.sessions where id = $1', [sessionId])).toHaveLength(1);
  });
});
