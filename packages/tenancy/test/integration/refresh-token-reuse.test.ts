import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addMember, createTenant, TenancyTestKit, type TestSession } from '../helpers';

/**
 * Supabase Auth answers a reused refresh token by revoking every refresh token of the session,
 * but keeps the session row and the access tokens it already issued. The tenancy helpers treat
 * such a session as dead on the next query (migration 20260102000400).
 */
const cluster = inject('cluster');
let kit: TenancyTestKit;
let tenant: { id: string; owner: TestSession };

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  tenant = await createTenant(kit, 'Reuse');
  await kit.rpc(tenant.owner, `insert into public.documents (title) values ('ledger')`);
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

const token = () => randomBytes(6).toString('hex');

async function documentsVisibleTo(session: TestSession) {
  return kit.as(session, async (c) => (await c.query('select id from public.documents')).rowCount);
}

/** The refresh-token chain Auth keeps for a session that was refreshed once. */
async function rotatedOnce(session: TestSession) {
  const [parent, child] = [token(), token()];
  await kit.adminQuery(
    `insert into auth.refresh_tokens (token, user_id, revoked, created_at, updated_at, parent, session_id)
     values ($1, $3, true, now(), now(), null, $4), ($2, $3, false, now(), now(), $1, $4)`,
    [parent, child, session.user.id, session.sessionId],
  );
}

describe('refresh-token reuse', () => {
  it('ends the session for every holder of its still-valid access tokens', async () => {
    const member = await addMember(kit, tenant.owner, 'member');
    await rotatedOnce(member);
    // Positive control: a session with an active refresh token is live.
    expect(await documentsVisibleTo(member)).toBe(1);

    // Reuse detected: Auth revokes the whole token family of the session.
    await kit.adminQuery('update auth.refresh_tokens set revoked = true where session_id = $1', [member.sessionId]);
    expect(await documentsVisibleTo(member)).toBe(0);
    const tenantId = await kit.as(member, async (c) => (await c.query('select private.current_tenant_id() as id')).rows[0]?.id);
    expect(tenantId).toBeNull();
  });

  it('leaves a session without refresh-token rows (the newer token format) live', async () => {
    const member = await addMember(kit, tenant.owner, 'viewer');
    const rows = await kit.adminQuery('select count(*)::int as n from auth.refresh_tokens where session_id = $1', [
      member.sessionId,
    ]);
    expect(rows[0]?.n).toBe(0);
    expect(await documentsVisibleTo(member)).toBe(1);
  });
});
