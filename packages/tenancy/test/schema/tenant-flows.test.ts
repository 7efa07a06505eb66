import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  addMember,
  attempt,
  createTenant,
  INSUFFICIENT_PRIVILEGE,
  inRequest,
  TenancyTestKit,
  type TestSession,
  testEmail,
  testSlug,
} from '../helpers';

/**
 * The tenant flows (create, switch, invite, accept, change role, remove, leave), each with what it
 * must refuse, the audit entry it leaves, and the last-owner guard, including under concurrency.
 */

const cluster = inject('cluster');
let kit: TenancyTestKit;

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

async function audit(tenantId: string) {
  return kit.adminQuery<{ action: string; actor_id: string | null; target_id: string | null; details: Record<string, unknown> }>(
    'select action, actor_id, target_id, details from public.audit_log where tenant_id = $1 order by occurred_at, action',
    [tenantId],
  );
}

async function lastAudit(tenantId: string) {
  return (await audit(tenantId)).at(-1);
}

function rpc(session: TestSession, sql: string, params: unknown[] = []) {
  return kit.as(session, (c) => attempt(c, sql, params));
}

describe('create_tenant', () => {
  it('makes the caller the owner, selects the tenant, and records it', async () => {
    const session = await kit.signIn(await kit.createUser());
    const slug = testSlug('Acme');
    const created = await rpc(session, 'select public.create_tenant($1, $2) as id', ['  Acme Inc  ', slug.toUpperCase()]);
    expect(created.ok).toBe(true);
    const id = created.ok ? (created.rows[0]?.id as string) : '';
    const [tenant] = await kit.adminQuery('select name, slug, status, owner_count from public.tenants where id = $1', [id]);
    expect(tenant).toEqual({ name: 'Acme Inc', slug, status: 'active', owner_count: 1 });
    const refreshed = await kit.refresh(session);
    expect(refreshed.claims.app_metadata).toMatchObject({ tenant_id: id, tenant_role: 'owner' });
    expect((await audit(id)).map((e) => [e.action, e.actor_id])).toEqual([
      ['tenant.created', session.user.id],
      ['member.added', session.user.id],
    ]);
  });

  it('refuses a taken slug, an invalid slug, and callers without a live session', async () => {
    const first = await createTenant(kit, 'Taken');
    const session = await kit.signIn(await kit.createUser());
    expect(await rpc(session, 'select public.create_tenant($1, $2)', ['Copy', first.slug])).toMatchObject({
      ok: false,
      code: '23505',
    });
    expect(await rpc(session, 'select public.create_tenant($1, $2)', ['Bad', 'No Spaces!'])).toMatchObject({
      ok: false,
      code: '22023',
    });
    expect(await kit.asAnon((c) => attempt(c, `select public.create_tenant('Anon', 'anon-tenant')`))).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
    });
    await kit.signOut(session);
    expect(await rpc(session, 'select public.create_tenant($1, $2)', ['Late', testSlug('late')])).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
    });
  });
});

describe('switch_tenant', () => {
  it('selects a tenant the caller belongs to, and refuses any other', async () => {
    const one = await createTenant(kit, 'One');
    const other = await createTenant(kit, 'Other');
    const two = await createTenant(kit, 'Two', one.owner);
    expect(await rpc(one.owner, 'select public.switch_tenant($1)', [other.id])).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
    });
    expect(await rpc(one.owner, 'select public.switch_tenant($1)', [one.id])).toMatchObject({ ok: true });
    expect((await kit.refresh(one.owner)).claims.app_metadata).toMatchObject({ tenant_id: one.id });
    expect(await lastAudit(one.id)).toMatchObject({ action: 'tenant.selected', actor_id: one.owner.user.id });
    expect(two.owner.claims.app_metadata).toMatchObject({ tenant_id: two.id });
  });
});

describe('invitations', () => {
  it('invite_member returns a one-time token stored only as its SHA-256', async () => {
    const tenant = await createTenant(kit, 'Invites');
    const email = testEmail('invitee');
    const result = await rpc(tenant.owner, 'select public.invite_member($1, $2) as token', [email.toUpperCase(), 'member']);
    const token = result.ok ? (result.rows[0]?.token as string) : '';
    expect(token).toMatch(/^bhinv_[A-Za-z0-9_-]{43}$/);
    const rows = await kit.adminQuery('select * from public.invitations where tenant_id = $1', [tenant.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ email, role: 'member', invited_by: tenant.owner.user.id, accepted_at: null });
    expect(Buffer.from(rows[0]?.token_hash).toString('hex')).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(token.slice(6));
    expect(JSON.stringify(await audit(tenant.id))).not.toContain(token.slice(6));
    expect(await lastAudit(tenant.id)).toMatchObject({ action: 'invitation.created', details: { email, role: 'member' } });
  });

  it('only admins and owners invite; only owners invite owners; a new invitation replaces a pending one', async () => {
    const tenant = await createTenant(kit, 'Who invites');
    const admin = await addMember(kit, tenant.owner, 'admin');
    const member = await addMember(kit, tenant.owner, 'member');
    const viewer = await addMember(kit, tenant.owner, 'viewer');
    for (const session of [member, viewer]) {
      expect(await rpc(session, 'select public.invite_member($1, $2)', [testEmail(), 'viewer'])).toMatchObject({
        ok: false,
        code: INSUFFICIENT_PRIVILEGE,
      });
    }
    expect(await rpc(admin, 'select public.invite_member($1, $2)', [testEmail(), 'owner'])).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
    });
    expect(await rpc(admin, 'select public.invite_member($1, $2)', [testEmail(), 'admin'])).toMatchObject({ ok: true });
    expect(await rpc(tenant.owner, 'select public.invite_member($1, $2)', [testEmail(), 'owner'])).toMatchObject({ ok: true });
    expect(await rpc(tenant.owner, 'select public.invite_member($1, $2)', [testEmail(), 'superuser'])).toMatchObject({
      ok: false,
      code: '22023',
    });

    const again = testEmail('again');
    await rpc(admin, 'select public.invite_member($1, $2)', [again, 'member']);
    await rpc(admin, 'select public.invite_member($1, $2)', [again, 'viewer']);
    const pending = await kit.adminQuery('select role from public.invitations where tenant_id = $1 and email = $2', [
      tenant.id,
      again,
    ]);
    expect(pending).toEqual([{ role: 'viewer' }]);
    expect((await audit(tenant.id)).slice(-2).map((e) => e.action)).toEqual(['invitation.revoked', 'invitation.created']);
  });

  it('accept_invitation: matching e-mail only, single use, not expired, not twice a member', async () => {
    const tenant = await createTenant(kit, 'Accept');
    const invitee = await kit.signIn(await kit.createUser());
    const stranger = await kit.signIn(await kit.createUser());
    const invite = async (email: string) => {
      const r = await rpc(tenant.owner, 'select public.invite_member($1, $2) as token', [email, 'admin']);
      return r.ok ? (r.rows[0]?.token as string) : '';
    };
    const token = await invite(invitee.user.email);

    // Someone else holding the token (forwarded e-mail) cannot use it.
    expect(await rpc(stranger, 'select public.accept_invitation($1)', [token])).toMatchObject({ ok: false, code: 'P0002' });
    expect(await rpc(invitee, 'select public.accept_invitation($1)', ['bhinv_wrong'])).toMatchObject({
      ok: false,
      code: 'P0002',
    });

    const accepted = await rpc(invitee, 'select public.accept_invitation($1) as tenant', [token]);
    expect(accepted).toMatchObject({ ok: true, rows: [{ tenant: tenant.id }] });
    expect((await kit.refresh(invitee)).claims.app_metadata).toMatchObject({ tenant_id: tenant.id, tenant_role: 'admin' });
    expect((await audit(tenant.id)).slice(-2).map((e) => [e.action, e.actor_id])).toEqual([
      ['member.added', invitee.user.id],
      ['invitation.accepted', invitee.user.id],
    ]);

    // Used once.
    expect(await rpc(invitee, 'select public.accept_invitation($1)', [token])).toMatchObject({ ok: false, code: '22023' });
    // Already a member.
    expect(await rpc(invitee, 'select public.accept_invitation($1)', [await invite(invitee.user.email)])).toMatchObject({
      ok: false,
      code: '23505',
    });
    // Expired.
    const late = await kit.signIn(await kit.createUser());
    const lateToken = await invite(late.user.email);
    await kit.admin.query(
      `update public.invitations set created_at = now() - interval '8 days', expires_at = now() - interval '1 day'
        where tenant_id = $1 and email = $2`,
      [tenant.id, late.user.email],
    );
    expect(await rpc(late, 'select public.accept_invitation($1)', [lateToken])).toMatchObject({ ok: false, code: '22023' });
    // A revoked session cannot accept.
    const revoked = await kit.signIn(await kit.createUser());
    const revokedToken = await invite(revoked.user.email);
    await kit.signOut(revoked);
    expect(await rpc(revoked, 'select public.accept_invitation($1)', [revokedToken])).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
    });
  });

  it('two concurrent accepts of one token: exactly one succeeds', async () => {
    const tenant = await createTenant(kit, 'Race accept');
    const user = await kit.createUser();
    const [first, second] = [await kit.signIn(user), await kit.signIn(user)];
    const r = await rpc(tenant.owner, 'select public.invite_member($1, $2) as token', [user.email, 'member']);
    const token = r.ok ? r.rows[0]?.token : '';
    const results = await Promise.allSettled(
      [first, second].map((s) => kit.as(s, (c) => c.query('select public.accept_invitation($1)', [token]))),
    );
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    const members = await kit.adminQuery('select 1 from public.memberships where tenant_id = $1 and user_id = $2', [
      tenant.id,
      user.id,
    ]);
    expect(members).toHaveLength(1);
  });
});

describe('change_member_role and remove_member', () => {
  it('admins manage non-owners; owners manage anyone; members and viewers nobody', async () => {
    const tenant = await createTenant(kit, 'Manage');
    const admin = await addMember(kit, tenant.owner, 'admin');
    const member = await addMember(kit, tenant.owner, 'member');
    const viewer = await addMember(kit, tenant.owner, 'viewer');
    const target = await addMember(kit, tenant.owner, 'member');
    const change = (who: TestSession, userId: string, role: string) =>
      rpc(who, 'select public.change_member_role($1, $2)', [userId, role]);

    for (const who of [member, viewer]) {
      expect(await change(who, target.user.id, 'viewer')).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
      expect(await rpc(who, 'select public.remove_member($1)', [target.user.id])).toMatchObject({
        ok: false,
        code: INSUFFICIENT_PRIVILEGE,
      });
    }
    // Admin: demote and promote non-owners, never to or from owner.
    expect(await change(admin, target.user.id, 'viewer')).toMatchObject({ ok: true });
    expect(await lastAudit(tenant.id)).toMatchObject({
      action: 'member.role_changed',
      actor_id: admin.user.id,
      target_id: target.user.id,
      details: { from: 'member', to: 'viewer' },
    });
    expect(await change(admin, target.user.id, 'owner')).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    expect(await change(admin, tenant.owner.user.id, 'viewer')).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    expect(await rpc(admin, 'select public.remove_member($1)', [tenant.owner.user.id])).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
    });
    // Owner: promote to owner.
    expect(await change(tenant.owner, target.user.id, 'owner')).toMatchObject({ ok: true });
    expect((await kit.adminQuery('select owner_count from public.tenants where id = $1', [tenant.id]))[0]).toEqual({
      owner_count: 2,
    });
    // Admin removes a member; the removal is recorded.
    expect(await rpc(admin, 'select public.remove_member($1)', [member.user.id])).toMatchObject({ ok: true });
    expect(await lastAudit(tenant.id)).toMatchObject({
      action: 'member.removed',
      actor_id: admin.user.id,
      target_id: member.user.id,
    });
    // No such member.
    expect(await rpc(admin, 'select public.remove_member($1)', [member.user.id])).toMatchObject({
      ok: false,
      code: INSUFFICIENT_PRIVILEGE,
    });
  });

  it('leave_tenant: anyone but the last owner', async () => {
    const tenant = await createTenant(kit, 'Leave');
    const member = await addMember(kit, tenant.owner, 'member');
    expect(await rpc(member, 'select public.leave_tenant()')).toMatchObject({ ok: true });
    expect(await lastAudit(tenant.id)).toMatchObject({ action: 'member.left', actor_id: member.user.id });
    expect(await rpc(tenant.owner, 'select public.leave_tenant()')).toMatchObject({ ok: false, code: '23514' });
    const second = await addMember(kit, tenant.owner, 'owner');
    expect(await rpc(tenant.owner, 'select public.leave_tenant()')).toMatchObject({ ok: true });
    expect(await kit.adminQuery('select user_id, role from public.memberships where tenant_id = $1', [tenant.id])).toEqual([
      { user_id: second.user.id, role: 'owner' },
    ]);
  });
});

describe('the last owner', () => {
  it('cannot be demoted or removed, through the flows or directly', async () => {
    const tenant = await createTenant(kit, 'Last owner');
    const ownerId = tenant.owner.user.id;
    expect(await rpc(tenant.owner, 'select public.change_member_role($1, $2)', [ownerId, 'admin'])).toMatchObject({
      ok: false,
      code: '23514',
    });
    expect(await rpc(tenant.owner, 'select public.remove_member($1)', [ownerId])).toMatchObject({ ok: false, code: '23514' });
    expect(await rpc(tenant.owner, `update public.memberships set role = 'viewer' where user_id = $1`, [ownerId])).toMatchObject({
      ok: false,
      code: '23514',
    });
    expect(await rpc(tenant.owner, 'delete from public.memberships where user_id = $1', [ownerId])).toMatchObject({
      ok: false,
      code: '23514',
    });
    // Not even through postgres (BYPASSRLS): the guard is a trigger, not a policy.
    const postgres = new pg.Client({ connectionString: kit.db.migrationUrl });
    await postgres.connect();
    try {
      expect(
        await postgres
          .query('begin')
          .then(() => attempt(postgres, 'delete from public.memberships where tenant_id = $1', [tenant.id])),
      ).toMatchObject({
        ok: false,
        code: '23514',
      });
      await postgres.query('rollback');
    } finally {
      await postgres.end();
    }
    // Positive control: with a second owner, the first may step down.
    await addMember(kit, tenant.owner, 'owner');
    expect(await rpc(tenant.owner, 'select public.change_member_role($1, $2)', [ownerId, 'admin'])).toMatchObject({ ok: true });
  });

  for (const isolation of ['read committed', 'repeatable read'] as const) {
    it(`two owners demoting each other at once: exactly one succeeds (${isolation})`, async () => {
      const tenant = await createTenant(kit, `Race ${isolation}`);
      const second = await addMember(kit, tenant.owner, 'owner');
      const first = tenant.owner;
      const [c1, c2] = [await kit.appServer.connect(), await kit.appServer.connect()];
      try {
        const demote = (client: pg.PoolClient, me: TestSession, other: TestSession) =>
          inRequest(
            client,
            me.claims,
            async (c) => {
              await c.query('select count(*) from public.memberships'); // both take their snapshot first
              await gate;
              await c.query('select public.change_member_role($1, $2)', [other.user.id, 'admin']);
            },
            { isolation },
          );
        let open: () => void = () => {};
        const gate = new Promise<void>((resolve) => {
          open = resolve;
        });
        const results = Promise.allSettled([demote(c1, first, second), demote(c2, second, first)]);
        await new Promise((r) => setTimeout(r, 50));
        open();
        const settled = await results;
        const failures = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(failures).toHaveLength(1);
        // Which refusal the loser gets depends on timing, and each is right: the last-owner guard
        // (23514) or a serialization failure (40001) when both ran at once; or, in read committed,
        // when the winner committed before the loser's statement began, the loser is no longer an
        // owner and may not change roles at all (42501).
        const allowed = isolation === 'read committed' ? ['23514', '40001', '42501'] : ['23514', '40001'];
        expect(allowed).toContain((failures[0]?.reason as { code?: string } | undefined)?.code);
      } finally {
        c1.release();
        c2.release();
      }
      const owners = await kit.adminQuery(
        'select count(*)::int as n from public.memberships where tenant_id = $1 and role = $2',
        [tenant.id, 'owner'],
      );
      expect(owners).toEqual([{ n: 1 }]);
      expect(await kit.adminQuery('select owner_count from public.tenants where id = $1', [tenant.id])).toEqual([
        { owner_count: 1 },
      ]);
    });
  }
});

describe('audit_log', () => {
  it('is append-only for everyone, postgres included', async () => {
    const tenant = await createTenant(kit, 'Append only');
    const postgres = new pg.Client({ connectionString: kit.db.migrationUrl });
    await postgres.connect();
    try {
      for (const sql of [
        'update public.audit_log set action = action',
        'delete from public.audit_log',
        'truncate public.audit_log',
      ]) {
        await postgres.query('begin');
        expect(await attempt(postgres, sql), sql).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
        await postgres.query('rollback');
      }
      // Positive control: postgres reads it (BYPASSRLS), and the tenant's admin does through RLS.
      expect((await postgres.query('select 1 from public.audit_log where tenant_id = $1', [tenant.id])).rowCount).toBeGreaterThan(
        0,
      );
    } finally {
      await postgres.end();
    }
    const asOwner = await kit.as(tenant.owner, (c) => c.query('select action from public.audit_log'));
    expect(asOwner.rows.map((r) => r.action)).toEqual(expect.arrayContaining(['tenant.created', 'member.added']));
  });

  it('outlives a tenant deleted by a break-glass script, which records the deletion', async () => {
    const tenant = await createTenant(kit, 'Deleted');
    await addMember(kit, tenant.owner, 'member');
    await kit.rpc(tenant.owner, `insert into public.documents (title) values ('gone soon')`);
    const postgres = new pg.Client({ connectionString: kit.db.migrationUrl });
    await postgres.connect();
    try {
      await postgres.query('delete from public.tenants where id = $1', [tenant.id]);
    } finally {
      await postgres.end();
    }
    const [left] = await kit.adminQuery(
      `select (select count(*)::int from public.memberships where tenant_id = $1) as memberships,
              (select count(*)::int from public.documents where tenant_id = $1) as documents`,
      [tenant.id],
    );
    expect(left).toEqual({ memberships: 0, documents: 0 });
    const actions = (await audit(tenant.id)).map((e) => [e.action, e.actor_id]);
    expect(actions).toContainEqual(['tenant.deleted', null]);
    expect(actions.filter(([action]) => action === 'member.removed')).toEqual([
      ['member.removed', null],
      ['member.removed', null],
    ]);
  });
});
