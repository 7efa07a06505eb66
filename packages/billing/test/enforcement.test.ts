import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addMember, createTenant, type TestSession } from '../../tenancy/test/helpers/index';
import { type BillingWorld, openWorld } from './world';

/**
 * The database enforces the plan by itself: document creation needs the documents feature and
 * stays within its limit, invitations within the seat limit, and a paid plan counts only while
 * its subscription's status grants access. Billing rows are written here as billing_sync does.
 */
let world: BillingWorld;

beforeAll(async () => {
  world = await openWorld(inject('cluster'));
});
afterAll(async () => {
  await world?.close();
});

async function grantPlan(tenantId: string, status: string, grants: Record<string, number | null>, statusSince = 'now()') {
  const sub = `sub_enf${Math.random().toString(36).slice(2, 12)}`;
  await world.billingPool.query(
    `insert into public.billing_subscriptions (tenant_id, stripe_subscription_id, stripe_customer_id, status, status_since, livemode, stripe_created)
     values ($1, $2, 'cus_enforcement', $3, ${statusSince}, false, now())`,
    [tenantId, sub, status],
  );
  for (const [feature, limit] of Object.entries(grants)) {
    await world.billingPool.query(
      `insert into public.tenant_entitlements (tenant_id, feature, limit_value) values ($1, $2, $3)
       on conflict (tenant_id, feature) do update set limit_value = excluded.limit_value`,
      [tenantId, feature, limit],
    );
    // What this subscription grants: the helpers answer from these rows while its status grants access.
    await world.billingPool.query(
      `insert into public.billing_subscription_entitlements (tenant_id, stripe_subscription_id, feature, limit_value, stripe_feature_id)
       values ($1, $2, $3, $4, 'feat_' || $3)`,
      [tenantId, sub, feature, limit],
    );
  }
  return sub;
}

async function setStatus(sub: string, status: string) {
  await world.billingPool.query('update public.billing_subscriptions set status = $2 where stripe_subscription_id = $1', [
    sub,
    status,
  ]);
}

async function setFreeLimit(feature: string, limit: number | null) {
  await world.billingPool.query('update private.billing_free_features set limit_value = $2 where feature = $1', [feature, limit]);
}

const createDocument = (session: TestSession, title: string) =>
  world.kit.rpc(session, 'insert into public.documents (title) values ($1) returning id', [title]);

describe('documents respect the plan', () => {
  it('the free limit stops the next document in that tenant only; a paid plan lifts it', async () => {
    await setFreeLimit('documents', 2);
    try {
      const a = await createTenant(world.kit, 'Docs A');
      const b = await createTenant(world.kit, 'Docs B');
      await createDocument(a.owner, 'one');
      await createDocument(a.owner, 'two');
      await expect(createDocument(a.owner, 'three')).rejects.toMatchObject({
        code: '23514',
        message: expect.stringContaining('allows 2 documents'),
      });
      // Another tenant's count is its own.
      await createDocument(b.owner, 'b one');
      const count = await world.kit.adminQuery('select count(*)::int as n from public.documents where tenant_id = $1', [a.id]);
      expect(count).toEqual([{ n: 2 }]);

      await grantPlan(a.id, 'active', { documents: 3 });
      await createDocument(a.owner, 'three');
      await expect(createDocument(a.owner, 'four')).rejects.toMatchObject({ code: '23514' });
      await world.billingPool.query(
        'update public.billing_subscription_entitlements set limit_value = null where tenant_id = $1',
        [a.id],
      );
      await createDocument(a.owner, 'four'); // unlimited
    } finally {
      await setFreeLimit('documents', 100);
    }
  });

  it('without the documents feature at all, none can be created', async () => {
    const tenant = await createTenant(world.kit, 'No docs');
    await createDocument(tenant.owner, 'allowed on the free tier');
    await world.billingPool.query(`delete from private.billing_free_features where feature = 'documents'`);
    try {
      await expect(createDocument(tenant.owner, 'refused')).rejects.toMatchObject({
        code: '23514',
        message: expect.stringContaining('does not include documents'),
      });
    } finally {
      await world.billingPool.query(`insert into private.billing_free_features (feature, limit_value) values ('documents', 100)`);
    }
  });
});

describe('invitations respect the seat limit', () => {
  it('members plus pending invitations stay within it', async () => {
    await setFreeLimit('seats', 3);
    try {
      const tenant = await createTenant(world.kit, 'Seats');
      await addMember(world.kit, tenant.owner, 'member'); // 2 seats taken
      await world.kit.rpc(tenant.owner, 'select public.invite_member($1, $2)', ['pending@example.com', 'member']); // 3
      await expect(
        world.kit.rpc(tenant.owner, 'select public.invite_member($1, $2)', ['onetoomany@example.com', 'member']),
      ).rejects.toMatchObject({ code: '23514', message: expect.stringContaining('allows 3 members') });
      // Re-inviting the pending address replaces its invitation: still allowed.
      await world.kit.rpc(tenant.owner, 'select public.invite_member($1, $2)', ['pending@example.com', 'admin']);
      await grantPlan(tenant.id, 'active', { seats: 10 });
      await world.kit.rpc(tenant.owner, 'select public.invite_member($1, $2)', ['onetoomany@example.com', 'member']);
    } finally {
      await setFreeLimit('seats', 10);
    }
  });
});

describe('access follows subscription status', () => {
  it('trialing, active and recent past_due grant the plan; paused, canceled, unpaid and old past_due fall back to free', async () => {
    const tenant = await createTenant(world.kit, 'Status');
    const other = await createTenant(world.kit, 'Status other');
    const sub = await grantPlan(tenant.id, 'trialing', { audit_export: null, documents: 5000 });
    const answer = async (session = tenant.owner, tenantId = tenant.id) =>
      world.kit.as(session, async (c) => {
        const { rows } = await c.query(
          `select private.has_feature($1, 'audit_export') as export, private.feature_limit($1, 'documents') as docs`,
          [tenantId],
        );
        return rows[0];
      });
    const paid = { export: true, docs: 5000 };
    const free = { export: false, docs: 100 };
    expect(await answer()).toEqual(paid);
    expect(await answer(other.owner, other.id)).toEqual(free); // the other tenant, as its owner
    expect(await answer(other.owner, tenant.id)).toEqual(free); // not theirs: RLS shows them nothing of it
    for (const [status, expected] of [
      ['active', paid],
      ['past_due', paid],
      ['paused', free],
      ['unpaid', free],
      ['canceled', free],
      ['incomplete', free],
      ['active', paid],
    ] as const) {
      await setStatus(sub, status);
      expect(await answer(), status).toEqual(expected);
    }
    // past_due for longer than the grace period no longer grants.
    await world.billingPool.query('delete from public.billing_subscriptions where stripe_subscription_id = $1', [sub]);
    await grantPlan(tenant.id, 'past_due', { audit_export: null, documents: 5000 }, `now() - interval '8 days'`);
    expect(await answer()).toEqual(free);
    await grantPlan(tenant.id, 'past_due', { audit_export: null, documents: 5000 }, `now() - interval '6 days'`);
    expect(await answer()).toEqual(paid);
  });

  it('status_since moves only when the status changes', async () => {
    const tenant = await createTenant(world.kit, 'Since');
    const sub = await grantPlan(tenant.id, 'active', {}, `now() - interval '3 days'`);
    const since = async () =>
      (
        await world.kit.adminQuery('select status_since from public.billing_subscriptions where stripe_subscription_id = $1', [
          sub,
        ])
      )[0]?.status_since as Date;
    const before = await since();
    await world.billingPool.query(
      'update public.billing_subscriptions set cancel_at_period_end = true where stripe_subscription_id = $1',
      [sub],
    );
    expect(await since()).toEqual(before);
    await setStatus(sub, 'past_due');
    expect((await since()).getTime()).toBeGreaterThan(before.getTime());
  });
});

describe('billing rows are written by billing_sync only', () => {
  it('members read their tenant rows but cannot write them; billing_sync can', async () => {
    const tenant = await createTenant(world.kit, 'Writers');
    await grantPlan(tenant.id, 'active', { audit_export: null });
    const read = await world.kit.as(tenant.owner, (c) => c.query('select feature from public.tenant_entitlements'));
    expect(read.rows).toEqual([{ feature: 'audit_export' }]);
    await expect(
      world.kit.rpc(tenant.owner, `insert into public.tenant_entitlements (tenant_id, feature) values ($1, 'sso')`, [tenant.id]),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(world.kit.rpc(tenant.owner, `update public.billing_subscriptions set status = 'active'`)).rejects.toMatchObject({
      code: '42501',
    });
    await expect(world.kit.rpc(tenant.owner, 'delete from public.tenant_entitlements')).rejects.toMatchObject({ code: '42501' });
    await world.billingPool.query(`insert into public.tenant_entitlements (tenant_id, feature) values ($1, 'sso')`, [tenant.id]);
  });

  it('tenancy_owner (the owner of the tables) reads no billing row without claims: FORCE binds it', async () => {
    const tenant = await createTenant(world.kit, 'Forced');
    await grantPlan(tenant.id, 'active', { audit_export: null });
    for (const table of ['billing_subscriptions', 'tenant_entitlements']) {
      const [total] = await world.kit.adminQuery(`select count(*)::int as n from public.${table}`);
      expect(total?.n).toBeGreaterThan(0);
      await world.kit.admin.query('begin');
      try {
        await world.kit.admin.query('set local role tenancy_owner');
        const { rows } = await world.kit.admin.query(`select count(*)::int as n from public.${table}`);
        expect(rows, table).toEqual([{ n: 0 }]);
      } finally {
        await world.kit.admin.query('rollback');
      }
    }
  });
});
