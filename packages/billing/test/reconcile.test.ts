import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTenant } from '../../tenancy/test/helpers/index';
import { diffState, fetchCustomerState, readLocalState } from '../src/customer-state';
import { sendOutbox } from '../src/outbox/send';
import { reconcile } from '../src/reconcile/run';
import { type BillingWorld, customerOfTenant, featureAs, openWorld, subscribe } from './world';

/**
 * Reconciliation converges on Stripe's state whatever the webhooks did: the chaos run drops,
 * duplicates and shuffles deliveries across 100 tenants; afterwards no tenant differs from the
 * stand-in and no event took effect twice. It also repairs drift no event announces.
 */
let world: BillingWorld;

beforeAll(async () => {
  world = await openWorld(inject('cluster'));
});
afterAll(async () => {
  await world?.close();
});

const deps = () => ({ pool: world.billingPool, stripe: world.stripe });

/** Every tenant with a customer, and how it differs from the stand-in right now. */
async function driftByTenant(): Promise<Map<string, string[]>> {
  const { rows } = await world.billingPool.query<{ tenant_id: string; stripe_customer_id: string }>(
    'select tenant_id, stripe_customer_id from public.billing_customers',
  );
  const out = new Map<string, string[]>();
  const client = await world.billingPool.connect();
  try {
    for (const row of rows) {
      const differences = diffState(
        await readLocalState(client, row.tenant_id),
        await fetchCustomerState(world.stripe, row.stripe_customer_id),
      );
      if (differences.length > 0) out.set(row.tenant_id, differences);
    }
  } finally {
    client.release();
  }
  return out;
}

describe('drift no event announces', () => {
  it('is reported by a dry run without changes, then repaired, and recorded for the tenant', async () => {
    const tenant = await createTenant(world.kit, 'Silent');
    await subscribe(world, tenant.owner);
    await world.flush();
    const customer = (await customerOfTenant(world, tenant.id)) as string;
    const [sub] = (await world.stripe.subscriptions.list({ customer })).data;
    // Stripe changes the subscription and never generates an event for it.
    await world.control('events/suppress', { enabled: true });
    try {
      await world.stripe.subscriptions.cancel(sub?.id ?? '');
    } finally {
      await world.control('events/suppress', { enabled: false });
    }
    const status = async () =>
      (await world.kit.adminQuery('select status::text from public.billing_subscriptions where tenant_id = $1', [tenant.id]))[0]
        ?.status;
    expect(await status()).toBe('active');

    const dry = await reconcile(deps(), { dryRun: true });
    expect(dry.drift.find((d) => d.tenantId === tenant.id)?.differences).toContain(
      `subscription ${sub?.id} status: local active, Stripe canceled`,
    );
    expect(await status()).toBe('active');

    const run = await reconcile(deps());
    expect(run.drift.find((d) => d.tenantId === tenant.id)?.repaired).toBe(true);
    expect(await status()).toBe('canceled');
    const recorded = await world.kit.as(tenant.owner, (c) =>
      c.query('select dry_run, repaired from public.billing_reconciliation_runs order by checked_at'),
    );
    expect(recorded.rows).toEqual([
      { dry_run: true, repaired: false },
      { dry_run: false, repaired: true },
    ]);
    expect((await reconcile(deps())).drift).toEqual([]);
  });
});

describe('chaos', () => {
  it('100 tenants, 1,000+ events, 20% duplicated, shuffled, 30% dropped: zero drift after reconcile, nothing applied twice', async () => {
    await world.control('webhooks/settings', { duplicate_rate: 0.2, drop_rate: 0.3, shuffle_window: 40, seed: 8 });
    const startedAt = Math.floor(Date.now() / 1000) - 1;
    const tenants: { id: string; customer: string; subscription: string; item: string }[] = [];
    for (let i = 0; i < 100; i++) {
      const tenant = await createTenant(world.kit, `Chaos ${i}`);
      await subscribe(world, tenant.owner, i % 3 === 0 ? 'business' : 'pro');
      const customer = (
        await world.kit.adminQuery('select stripe_customer_id from public.billing_customers where tenant_id = $1', [tenant.id])
      )[0]?.stripe_customer_id as string;
      const [sub] = (await world.stripe.subscriptions.list({ customer })).data;
      tenants.push({ id: tenant.id, customer, subscription: sub?.id ?? '', item: sub?.items.data[0]?.id ?? '' });
    }
    // Life after checkout: seat changes, plan switches, failed payments, cancellations.
    const prices = Object.fromEntries(
      (await world.stripe.prices.list({ lookup_keys: ['pro_monthly', 'business_monthly'] })).data.map((p) => [
        p.lookup_key,
        p.id,
      ]),
    );
    for (const [i, t] of tenants.entries()) {
      await world.stripe.subscriptionItems.update(t.item, { quantity: 5 + (i % 7) });
      if (i % 5 === 0)
        await world.stripe.subscriptionItems.update(t.item, { price: prices[i % 3 === 0 ? 'pro_monthly' : 'business_monthly'] });
      if (i % 7 === 0) await world.control(`subscriptions/${t.subscription}/payment_failed`);
      if (i % 6 === 0) await world.stripe.subscriptions.cancel(t.subscription);
      else if (i % 11 === 0) await world.stripe.subscriptions.update(t.subscription, { cancel_at_period_end: true });
    }
    await world.flush();
    await world.control('webhooks/settings', { duplicate_rate: 0, drop_rate: 0, shuffle_window: 0 });

    const events = (
      await world.stripe.events.list({ created: { gte: startedAt }, limit: 100 }).autoPagingToArray({ limit: 10_000 })
    ).length;
    expect(events).toBeGreaterThanOrEqual(1000);
    const deliveries = (await world.control('webhooks/deliveries')).data as {
      event: string;
      status: string;
      duplicate: boolean;
    }[];
    const ours = deliveries.filter((d) => d.status !== 'queued');
    expect(ours.filter((d) => d.duplicate).length).toBeGreaterThan(events * 0.1);
    expect(ours.filter((d) => d.status === 'dropped').length).toBeGreaterThan(events * 0.2);
    // Positive control: the dropped deliveries left real drift behind.
    const before = await driftByTenant();
    expect(before.size).toBeGreaterThan(0);

    const report = await reconcile(deps());
    expect(report.eventsFailed).toEqual([]);
    expect(report.eventsReplayed).toBeGreaterThan(0);
    expect(await driftByTenant()).toEqual(new Map());

    // No event took effect twice: one inbox row per event, each processed in one attempt.
    const inbox = await world.kit.adminQuery<{ attempts: number; status: string; n: number }>(
      `select status, attempts, count(*)::int as n from private.stripe_webhook_inbox where created >= to_timestamp($1) group by 1, 2 order by 1, 2`,
      [startedAt],
    );
    expect(inbox.every((r) => r.attempts === 1)).toBe(true);
    const duplicatesAnswered = world.responses.filter((r) => r.body.outcome === 'duplicate').length;
    expect(duplicatesAnswered).toBeGreaterThan(0);
    // And a second run finds nothing left to do.
    const again = await reconcile(deps());
    expect({ replayed: again.eventsReplayed, drift: again.drift }).toEqual({ replayed: 0, drift: [] });

    // Safe while webhooks arrive: more changes, delivered with chaos while a reconciliation runs.
    await world.control('webhooks/settings', { duplicate_rate: 0.2, drop_rate: 0.3, shuffle_window: 10, seed: 9 });
    for (const [i, t] of tenants.entries()) {
      if (i % 6 !== 0) await world.stripe.subscriptionItems.update(t.item, { quantity: 20 + (i % 5) });
    }
    const [during] = await Promise.all([reconcile(deps()), world.flush()]);
    expect(during.eventsFailed).toEqual([]);
    await world.control('webhooks/settings', { duplicate_rate: 0, drop_rate: 0, shuffle_window: 0 });
    await reconcile(deps()); // picks up what was dropped after the concurrent run listed events
    expect(await driftByTenant()).toEqual(new Map());
    const retried = await world.kit.adminQuery(
      'select event_id, attempts from private.stripe_webhook_inbox where created >= to_timestamp($1) and attempts <> 1',
      [startedAt],
    );
    expect(retried).toEqual([]);
  }, 300_000);

  it('mixed subscriptions and credit events, with the same chaos: zero drift after reconcile, nothing applied twice', async () => {
    await world.control('webhooks/settings', { duplicate_rate: 0.2, drop_rate: 0.3, shuffle_window: 40, seed: 21 });
    const startedAt = Math.floor(Date.now() / 1000) - 1;
    const live = (
      subs: { data: { id: string; status: string; items: { data: { price: { lookup_key: string | null } }[] } }[] },
      key: string,
    ) => subs.data.find((s) => s.status !== 'canceled' && s.items.data.some((i) => i.price.lookup_key === key))?.id ?? '';
    const tenants: { id: string; owner: Awaited<ReturnType<typeof createTenant>>['owner']; customer: string }[] = [];
    for (let i = 0; i < 24; i++) {
      const tenant = await createTenant(world.kit, `Mixed ${i}`);
      // Usage tenants pay overage, so a credit event the webhooks lost cannot refuse a document here.
      await subscribe(world, tenant.owner, i % 3 === 0 ? 'pro' : 'pro_annual');
      if (i % 2 === 0) await subscribe(world, tenant.owner, 'team_pack');
      if (i % 3 === 0) await subscribe(world, tenant.owner, 'document_usage');
      const customer = (await customerOfTenant(world, tenant.id)) as string;
      tenants.push({ id: tenant.id, owner: tenant.owner, customer });
    }
    const grants: string[] = [];
    for (const [i, t] of tenants.entries()) {
      if (i % 3 !== 0) continue;
      for (const [n, cents] of [20, 15].entries()) {
        const grant = await world.stripe.billing.creditGrants.create({
          customer: t.customer,
          name: `Chaos grant ${n}`,
          amount: { type: 'monetary', monetary: { value: cents, currency: 'usd' } },
          applicability_config: { scope: { price_type: 'metered' } },
          category: n === 0 ? 'paid' : 'promotional',
          priority: 10 + n,
        });
        grants.push(grant.id);
      }
      for (let d = 0; d < 3 + (i % 4); d++)
        await world.kit.rpc(t.owner, 'insert into public.documents (title) values ($1)', [`usage ${d}`]);
    }
    await sendOutbox(deps());
    // Life after checkout: add-ons cancelled or paused silently, usage invoiced against credits,
    // grants voided, expired without an event, or given an expiry.
    for (const [i, t] of tenants.entries()) {
      const subs = await world.stripe.subscriptions.list({ customer: t.customer, status: 'all' });
      if (i % 4 === 0) await world.stripe.subscriptions.cancel(live(subs, 'team_pack_monthly'));
      if (i % 4 === 2) await world.control(`subscriptions/${live(subs, 'team_pack_monthly')}/set`, { status: 'paused' });
      if (i % 3 === 0) await world.control(`subscriptions/${live(subs, 'document_usage')}/advance`);
    }
    for (const [n, id] of grants.entries()) {
      if (n % 5 === 0) await world.stripe.billing.creditGrants.voidGrant(id).catch(() => undefined);
      else if (n % 5 === 1) await world.control(`credit_grants/${id}/set`, { end: 'expire' }).catch(() => undefined);
      else if (n % 5 === 2)
        await world.stripe.billing.creditGrants.update(id, { expires_at: Math.floor(Date.now() / 1000) + 30 * 24 * 3600 });
    }
    await world.flush();
    await world.control('webhooks/settings', { duplicate_rate: 0, drop_rate: 0, shuffle_window: 0 });
    // Last, changes no event announces at all (each event re-reads the whole customer, so only
    // what happens after a customer's last delivery is sure to be left behind).
    for (const [n, id] of grants.entries()) if (n % 5 === 3) await world.control(`credit_grants/${id}/set`, { end: 'void' });

    const types = new Set(
      (await world.stripe.events.list({ created: { gte: startedAt }, limit: 100 }).autoPagingToArray({ limit: 10_000 })).map(
        (e) => e.type,
      ),
    );
    for (const type of [
      'billing.credit_grant.created',
      'billing.credit_grant.updated',
      'billing.credit_balance_transaction.created',
    ])
      expect(types, type).toContain(type);
    // Positive control: the chaos and the silent changes left drift, in credits as well.
    const before = await driftByTenant();
    expect([...before.values()].flat().some((d) => d.startsWith('credit'))).toBe(true);

    const report = await reconcile(deps());
    expect(report.eventsFailed).toEqual([]);
    expect(await driftByTenant()).toEqual(new Map());
    const again = await reconcile(deps());
    expect({ replayed: again.eventsReplayed, drift: again.drift }).toEqual({ replayed: 0, drift: [] });
    const retried = await world.kit.adminQuery(
      'select event_id, attempts from private.stripe_webhook_inbox where created >= to_timestamp($1) and attempts <> 1',
      [startedAt],
    );
    expect(retried).toEqual([]);
    // Access after it all: a cancelled or paused add-on grants nothing, a live one still does.
    for (const [i, t] of tenants.entries()) {
      const support = await featureAs(world, t.owner, t.id, 'priority_support');
      expect(support.enabled, `tenant ${i}`).toBe(i % 4 === 0 ? false : i % 4 === 2 ? false : i % 2 === 0);
    }
  }, 300_000);
});

describe('a tenant Stripe refuses', () => {
  it('is reported as failed while the other tenants are still repaired', async () => {
    const broken = await createTenant(world.kit, 'Gone customer');
    const healthy = await createTenant(world.kit, 'Healthy');
    await subscribe(world, healthy.owner);
    await world.flush();
    // A customer Stripe no longer knows (deleted in the Dashboard, or another account's).
    await world.kit.adminQuery(
      `insert into public.billing_customers (tenant_id, stripe_customer_id, livemode) values ($1, 'cus_gone_for_reconcile', false)`,
      [broken.id],
    );
    await world.kit.adminQuery(`update public.billing_subscriptions set status = 'past_due' where tenant_id = $1`, [healthy.id]);
    try {
      const run = await reconcile(deps());
      expect(run.tenantsFailed).toEqual([expect.stringContaining(`${broken.id} (cus_gone_for_reconcile)`)]);
      expect(run.drift.find((d) => d.tenantId === healthy.id)?.repaired).toBe(true);
      const [row] = await world.kit.adminQuery('select status::text from public.billing_subscriptions where tenant_id = $1', [
        healthy.id,
      ]);
      expect(row?.status).toBe('active');
    } finally {
      await world.kit.adminQuery('delete from public.billing_customers where tenant_id = $1', [broken.id]);
    }
  });
});
