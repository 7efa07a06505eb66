import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type AccessTokenClaims,
  attempt,
  createTenant,
  createTwoTenants,
  INSUFFICIENT_PRIVILEGE,
  TenancyTestKit,
  type TwoTenants,
} from '../helpers';
import { createStaff } from './staff-fixtures';

/**
 * The staff console's database side (20260105* migrations): the staff claim comes from
 * private.staff_members only; every staff function refuses non-staff and aal1 callers; a
 * break-glass grant shows one tenant's documents, read-only, only through the audited read and
 * only while it is live; suspension locks a tenant's members out on their next request. Each
 * refusal is paired with the same call succeeding for the caller who may.
 */

const cluster = inject('cluster');
let kit: TenancyTestKit;
let world: TwoTenants;
const NIL_TENANT = '00000000-0000-0000-0000-000000000000';

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  world = await createTwoTenants(kit);
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

/** One statement as `claims`, committed; errors come back as outcomes. */
function call(claims: AccessTokenClaims, sql: string, params: unknown[] = []) {
  return kit.as(claims, (c) => attempt(c, sql, params));
}

async function auditCount(tenantId: string, action: string, actor: string): Promise<number> {
  const [row] = await kit.adminQuery<{ n: number }>(
    'select count(*)::int as n from public.audit_log where tenant_id = $1 and action = $2 and actor_id = $3',
    [tenantId, action, actor],
  );
  return row?.n ?? 0;
}

describe('the staff claim', () => {
  it('comes from private.staff_members, never from app_metadata a client or admin API wrote', async () => {
    const pretender = await kit.createUser({ appMetadata: { staff: true } });
    expect((await kit.signIn(pretender)).claims.app_metadata.staff).toBeUndefined();
    const staff = await createStaff(kit, { aal: 'aal2' });
    expect(staff.session.claims.app_metadata.staff).toBe(true);
    // Revoked: the next token has no claim, and the current aal2 token stops working at once.
    await kit.adminQuery('delete from private.staff_members where user_id = $1', [staff.session.user.id]);
    expect((await kit.refresh(staff.session)).claims.app_metadata.staff).toBeUndefined();
    const refused = await call(staff.claims, 'select * from public.staff_tenants()');
    expect(refused.ok ? 'allowed' : refused.code).toBe(INSUFFICIENT_PRIVILEGE);
  });
});

describe('staff functions', () => {
  it('refuse tenant users and staff at aal1, and work for staff at aal2 (audited)', async () => {
    const aal1 = await createStaff(kit, { aal: 'aal1' });
    const aal2 = await createStaff(kit, { aal: 'aal2' });
    const calls: Array<[string, unknown[]]> = [
      ['select * from public.staff_tenants($1, 50, 0)', ['']],
      ['select public.staff_tenant($1) as t', [world.b.id]],
      ['select * from public.staff_grants()', []],
      ['select public.staff_open_grant($1, $2, 10)', [world.b.id, 'support ticket 1234: export failing']],
      ['select public.staff_set_tenant_status($1, $2, $3)', [world.b.id, 'active', 'no-op']],
      ['select public.staff_end_user_sessions($1)', [world.b.member.user.id]],
      ['select * from public.staff_tenant_documents($1)', [world.b.id]],
    ];
    for (const [sql, params] of calls) {
      for (const claims of [world.a.owner.claims, aal1.claims]) {
        const outcome = await call(claims, sql, params);
        expect(outcome.ok ? 'allowed' : outcome.code, sql).toBe(INSUFFICIENT_PRIVILEGE);
      }
    }
    // Positive control: staff at aal2 lists tenants, with member counts, and the read is logged.
    const listed = await call(
      aal2.claims,
      'select id, name, slug, status, member_count, total_count from public.staff_tenants($1, 50, 0)',
      [''],
    );
    if (!listed.ok) throw new Error(listed.message);
    const b = listed.rows.find((r) => r.id === world.b.id);
    expect(b).toMatchObject({ slug: world.b.slug, status: 'active' });
    expect(Number(b?.member_count)).toBeGreaterThan(0);
    expect(await auditCount(NIL_TENANT, 'staff.listed_tenants', aal2.session.user.id)).toBe(1);

    const detail = await call(aal2.claims, 'select public.staff_tenant($1) as t', [world.b.id]);
    if (!detail.ok) throw new Error(detail.message);
    const tenant = detail.rows[0]?.t as { slug: string; members: { email: string }[]; audit_log: unknown[] };
    expect(tenant.slug).toBe(world.b.slug);
    expect(tenant.members.map((m) => m.email)).toContain(world.b.owner.user.email);
    expect(await auditCount(world.b.id, 'staff.viewed_tenant', aal2.session.user.id)).toBe(1);
  });

  it('shows every live subscription as the plan, base plan first, and the base plan’s seats', async () => {
    const staff = await createStaff(kit, { aal: 'aal2' });
    const { id: tenant, slug } = await createTenant(kit, 'Staff list plans');
    const subscription = async (id: string, status: string, plan: string, created: string, seats: number) => {
      await kit.adminQuery(
        `insert into public.billing_subscriptions
           (tenant_id, stripe_subscription_id, stripe_customer_id, status, plan_lookup_key, livemode, stripe_created)
         values ($1, $2, 'cus_staff_list', $3, $4, false, $5)`,
        [tenant, id, status, plan, created],
      );
      await kit.adminQuery(
        `insert into public.billing_subscription_items
           (tenant_id, stripe_item_id, stripe_subscription_id, stripe_price_id, price_lookup_key, quantity)
         values ($1, $2, $3, 'price_x', $4, $5)`,
        [tenant, `si_${id}`, id, plan, seats],
      );
    };
    const planOf = async () => {
      const listed = await call(staff.claims, 'select plan, seats from public.staff_tenants($1, 10, 0)', [slug]);
      if (!listed.ok) throw new Error(listed.message);
      return listed.rows[0];
    };
    expect(await planOf()).toEqual({ plan: null, seats: null }); // nothing live: the free tier
    await subscription('sub_staff_old', 'canceled', 'starter_monthly', '2026-01-01', 3);
    await subscription('sub_staff_base', 'active', 'pro_monthly', '2026-02-01', 7);
    await subscription('sub_staff_addon', 'active', 'team_pack_monthly', '2026-03-01', 1);
    expect(await planOf()).toEqual({ plan: 'pro_monthly + team_pack_monthly', seats: 7 });
  });

  it('search and paginate the tenant list', async () => {
    const staff = await createStaff(kit, { aal: 'aal2' });
    const found = await call(staff.claims, 'select slug from public.staff_tenants($1, 10, 0)', [world.a.slug]);
    expect(found.ok && found.rows.map((r) => r.slug)).toEqual([world.a.slug]);
    const first = await call(staff.claims, 'select id, total_count from public.staff_tenants($1, 1, 0)', ['']);
    const second = await call(staff.claims, 'select id from public.staff_tenants($1, 1, 1)', ['']);
    if (!first.ok || !second.ok) throw new Error('listing failed');
    expect(Number(first.rows[0]?.total_count)).toBeGreaterThanOrEqual(2);
    expect(second.rows[0]?.id).not.toBe(first.rows[0]?.id);
  });
});

describe('break-glass grants', () => {
  it('need a reason and last at most an hour', async () => {
    const staff = await createStaff(kit, { aal: 'aal2' });
    const tooLong = await call(staff.claims, 'select public.staff_open_grant($1, $2, 61)', [world.b.id, 'a good reason here']);
    expect(tooLong.ok ? 'allowed' : tooLong.code).toBe('22023');
    const noReason = await call(staff.claims, 'select public.staff_open_grant($1, $2, 30)', [world.b.id, '  ']);
    expect(noReason.ok ? 'allowed' : noReason.code).toBe('22023');
    const ok = await call(staff.claims, 'select public.staff_open_grant($1, $2, 60) as id', [world.b.id, 'a good reason here']);
    expect(ok.ok).toBe(true);
    // The table enforces the hour too, whoever writes it.
    await expect(
      kit.adminQuery(
        `insert into private.staff_access_grants (staff_user_id, granted_tenant_id, reason, expires_at)
         values ($1, $2, 'written by hand, too long', now() + interval '61 minutes')`,
        [staff.session.user.id, world.b.id],
      ),
    ).rejects.toThrow(/at_most_one_hour/);
  });

  it('show the tenant’s documents only through the audited read, read-only, until the grant ends', async () => {
    const staff = await createStaff(kit, { aal: 'aal2' });
    const actor = staff.session.user.id;
    const read = () => call(staff.claims, 'select id, title from public.staff_tenant_documents($1)', [world.b.id]);

    // No grant: the read is logged and shows nothing.
    const before = await read();
    expect(before.ok && before.rows).toEqual([]);
    const opened = await call(staff.claims, 'select public.staff_open_grant($1, $2, 15) as id', [
      world.b.id,
      'ticket 42: data export',
    ]);
    if (!opened.ok) throw new Error(opened.message);
    const grantId = opened.rows[0]?.id as string;
    expect(await auditCount(world.b.id, 'staff.grant_opened', actor)).toBe(1);

    // Live grant: B's document appears, and every read is one more audit entry.
    const during = await read();
    expect(during.ok && during.rows.map((r) => r.id)).toEqual([world.b.documentId]);
    await read();
    expect(await auditCount(world.b.id, 'staff.read_data', actor)).toBe(3);

    // Not around the audit: the table itself shows nothing without the audited read.
    const direct = await call(staff.claims, 'select id from public.documents where tenant_id = $1', [world.b.id]);
    expect(direct.ok && direct.rows).toEqual([]);
    // Never a write, not even inside the audited read.
    const writes = await kit.as(
      staff.claims,
      async (c) => {
        await c.query('select private.staff_begin_read($1, $2)', [world.b.id, 'write attempt']);
        const seen = await c.query('select id from public.documents where tenant_id = $1', [world.b.id]);
        const updated = await attempt(c, `update public.documents set title = 'staff was here' where tenant_id = $1`, [
          world.b.id,
        ]);
        const deleted = await attempt(c, 'delete from public.documents where tenant_id = $1', [world.b.id]);
        const inserted = await attempt(c, `insert into public.documents (tenant_id, title) values ($1, 'staff')`, [world.b.id]);
        return { seen: seen.rowCount, updated, deleted, inserted };
      },
      { rollback: true },
    );
    expect(writes.seen).toBe(1);
    expect(writes.updated.ok && writes.updated.rowCount).toBe(0);
    expect(writes.deleted.ok && writes.deleted.rowCount).toBe(0);
    expect(writes.inserted.ok ? 'allowed' : writes.inserted.code).toBe(INSUFFICIENT_PRIVILEGE);

    // Ended: zero rows again.
    const ended = await call(staff.claims, 'select public.staff_end_grant($1) as ended', [grantId]);
    expect(ended.ok && ended.rows[0]?.ended).toBe(true);
    const after = await read();
    expect(after.ok && after.rows).toEqual([]);
    expect(await auditCount(world.b.id, 'staff.grant_ended', actor)).toBe(1);
  });

  it('show nothing at aal1 or after expiry', async () => {
    for (const staff of [
      await createStaff(kit, { aal: 'aal2', grant: { tenantId: world.b.id, state: 'expired' } }),
      await createStaff(kit, { aal: 'aal2', grant: { tenantId: world.b.id, state: 'ended' } }),
    ]) {
      const rows = await call(staff.claims, 'select id from public.staff_tenant_documents($1)', [world.b.id]);
      expect(rows.ok && rows.rows).toEqual([]);
    }
    const aal1 = await createStaff(kit, { aal: 'aal1', grant: { tenantId: world.b.id, state: 'live' } });
    const refused = await call(aal1.claims, 'select id from public.staff_tenant_documents($1)', [world.b.id]);
    expect(refused.ok ? 'allowed' : refused.code).toBe(INSUFFICIENT_PRIVILEGE);
    // Positive control: the same live grant at aal2.
    const lifted = await call({ ...aal1.claims, aal: 'aal2' }, 'select id from public.staff_tenant_documents($1)', [world.b.id]);
    expect(lifted.ok && lifted.rows.map((r) => r.id)).toEqual([world.b.documentId]);
  });
});

describe('suspension', () => {
  it("locks the tenant's members out on their next query, tells them why, and lifts cleanly", async () => {
    const staff = await createStaff(kit, { aal: 'aal2' });
    const owner = world.a.owner.claims;
    const documents = (claims: AccessTokenClaims) => call(claims, 'select id from public.documents');
    const suspendedFlag = async (claims: AccessTokenClaims) => {
      const r = await call(claims, 'select private.claimed_tenant_suspended() as s');
      return r.ok && r.rows[0]?.s;
    };
    const before = await documents(owner);
    expect(before.ok && before.rows.length).toBeGreaterThan(0);
    expect(await suspendedFlag(owner)).toBe(false);

    const suspended = await call(staff.claims, 'select public.staff_set_tenant_status($1, $2, $3) as changed', [
      world.a.id,
      'suspended',
      'unpaid invoices',
    ]);
    expect(suspended.ok && suspended.rows[0]?.changed).toBe(true);
    expect(await auditCount(world.a.id, 'staff.suspended_tenant', staff.session.user.id)).toBe(1);

    // Same token, next query: nothing, and no writes either.
    const during = await documents(owner);
    expect(during.ok && during.rows).toEqual([]);
    const tenantRow = await call(owner, 'select id from public.tenants where id = $1', [world.a.id]);
    expect(tenantRow.ok && tenantRow.rows).toEqual([]);
    const write = await kit.as(owner, (c) => attempt(c, `insert into public.documents (title) values ('while suspended')`), {
      rollback: true,
    });
    expect(write.ok ? 'allowed' : write.code).not.toBe('allowed');
    expect(await suspendedFlag(owner)).toBe(true);
    // Positive control: tenant B is untouched.
    const other = await documents(world.b.owner.claims);
    expect(other.ok && other.rows.length).toBeGreaterThan(0);
    expect(await suspendedFlag(world.b.owner.claims)).toBe(false);

    const lifted = await call(staff.claims, 'select public.staff_set_tenant_status($1, $2, $3) as changed', [
      world.a.id,
      'active',
      'paid',
    ]);
    expect(lifted.ok && lifted.rows[0]?.changed).toBe(true);
    const after = await documents(owner);
    expect(after.ok && after.rows.length).toBe(before.ok ? before.rows.length : -1);
  });
});

describe('ending a user’s sessions', () => {
  it('ends every session of the user at once, and is audited in their tenants', async () => {
    const staff = await createStaff(kit, { aal: 'aal2' });
    const victim = await kit.signIn(world.b.member.user);
    const live = await call(victim.claims, 'select private.current_user_id() as id');
    expect(live.ok && live.rows[0]?.id).toBe(world.b.member.user.id);
    const ended = await call(staff.claims, 'select public.staff_end_user_sessions($1) as n', [world.b.member.user.id]);
    expect(ended.ok && Number(ended.rows[0]?.n)).toBeGreaterThanOrEqual(2);
    const dead = await call(victim.claims, 'select private.current_user_id() as id');
    expect(dead.ok && dead.rows[0]?.id).toBeNull();
    expect(await auditCount(world.b.id, 'staff.ended_sessions', staff.session.user.id)).toBe(1);
    // Positive control: another user's session is untouched.
    const bystander = await call(world.b.owner.claims, 'select private.current_user_id() as id');
    expect(bystander.ok && bystander.rows[0]?.id).toBe(world.b.owner.user.id);
  });
});
