import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  addMember,
  attempt,
  createTenant,
  INSUFFICIENT_PRIVILEGE,
  setSessionNotAfter,
  TenancyTestKit,
  type TestSession,
} from '../helpers';

/**
 * Access ends on the very next request, not when the token expires: removing a member, signing a
 * session out, a session reaching its not_after, and a demotion all apply while the member's
 * access token is still a perfectly valid JWT. Each test reads successfully first (the positive
 * control), changes one thing, and repeats the same statements with the same token in a new
 * request transaction (within one transaction, see request-proof.test.ts).
 */

const cluster = inject('cluster');
let kit: TenancyTestKit;
let tenant: { id: string; owner: TestSession };

async function visible(session: TestSession | TestSession['claims']) {
  return kit.as(session, async (c) => ({
    documents: (await c.query('select id from public.documents')).rowCount,
    tenants: (await c.query('select id from public.tenants')).rowCount,
    memberships: (await c.query('select id from public.memberships')).rowCount,
    tenantId: (await c.query('select private.current_tenant_id() as id')).rows[0]?.id ?? null,
  }));
}

async function canWrite(session: TestSession | TestSession['claims']) {
  return kit.as(session, (c) => attempt(c, `insert into public.documents (title) values ('still here?')`), { rollback: true });
}

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  tenant = await createTenant(kit, 'Revocation');
  await kit.rpc(tenant.owner, `insert into public.documents (title) values ('secret plan')`);
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

describe('a removed member', () => {
  it('reads zero rows and writes nothing on the next query, with the same still-valid token', async () => {
    const member = await addMember(kit, tenant.owner, 'member');
    expect(await visible(member)).toEqual({ documents: 1, tenants: 1, memberships: 2, tenantId: tenant.id });
    expect(await canWrite(member)).toMatchObject({ ok: true, rowCount: 1 });

    await kit.rpc(tenant.owner, 'select public.remove_member($1)', [member.user.id]);

    expect(member.claims.app_metadata.tenant_id).toBe(tenant.id);
    expect(await visible(member)).toEqual({ documents: 0, tenants: 0, memberships: 0, tenantId: null });
    expect(await canWrite(member)).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    // And their next token carries no tenant at all.
    const refreshed = await kit.refresh(member);
    expect(refreshed.claims.app_metadata.tenant_id).toBeUndefined();
    expect(refreshed.claims.app_metadata.tenant_role).toBeUndefined();
  });
});

describe('a revoked session', () => {
  it('reads zero rows on the next query after sign-out, while the same user’s other session still works', async () => {
    const member = await addMember(kit, tenant.owner, 'member');
    const otherDevice = await kit.signIn(member.user);
    expect(await visible(member)).toMatchObject({ documents: 1, tenantId: tenant.id });

    await kit.signOut(member);

    expect(member.claims.app_metadata.tenant_id).toBe(tenant.id);
    expect(await visible(member)).toEqual({ documents: 0, tenants: 0, memberships: 0, tenantId: null });
    expect(await canWrite(member)).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    // Signing out one session ends that session only.
    expect(await visible(otherDevice)).toMatchObject({ documents: 1, tenantId: tenant.id });
    // The revoked session cannot use the definer flows either.
    const flow = await kit.as(member, (c) => attempt(c, `select public.create_tenant('Ghost', 'ghost-tenant')`), {
      rollback: true,
    });
    expect(flow).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
  });

  it('reads zero rows once the session passes its not_after, and again while not_after is in the future', async () => {
    const member = await addMember(kit, tenant.owner, 'member');
    await setSessionNotAfter(kit.admin, member.sessionId, new Date(Date.now() + 60_000));
    expect(await visible(member)).toMatchObject({ documents: 1 });

    await setSessionNotAfter(kit.admin, member.sessionId, new Date(Date.now() - 1_000));
    expect(await visible(member)).toEqual({ documents: 0, tenants: 0, memberships: 0, tenantId: null });

    await setSessionNotAfter(kit.admin, member.sessionId, null);
    expect(await visible(member)).toMatchObject({ documents: 1 });
  });

  it('a token whose session belongs to another user is not live (session ids are not bearer secrets)', async () => {
    const member = await addMember(kit, tenant.owner, 'member');
    const intruder = await kit.signIn(await kit.createUser());
    // A token with the member's session id but the intruder's sub: the session check binds both.
    const mixed = { ...intruder.claims, session_id: member.sessionId, app_metadata: member.claims.app_metadata };
    expect(await visible(mixed)).toEqual({ documents: 0, tenants: 0, memberships: 0, tenantId: null });
    expect(await visible(member)).toMatchObject({ documents: 1 });
  });
});

describe('a demoted member', () => {
  it('loses write access on the next query: the role comes from memberships, not from the token', async () => {
    const member = await addMember(kit, tenant.owner, 'member');
    expect(await canWrite(member)).toMatchObject({ ok: true, rowCount: 1 });

    await kit.rpc(tenant.owner, 'select public.change_member_role($1, $2)', [member.user.id, 'viewer']);

    expect(member.claims.app_metadata.tenant_role).toBe('member');
    expect(await canWrite(member)).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    expect(await visible(member)).toMatchObject({ documents: 1, tenantId: tenant.id });
  });
});
