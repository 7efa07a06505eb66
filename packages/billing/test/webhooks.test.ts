import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { addMember, createTenant } from '../../tenancy/test/helpers/index';
import { receiveWebhook } from '../src/webhooks/receive';
import { type BillingWorld, customerOfTenant, featureAs, openWorld, subscribe, WEBHOOK_SECRET } from './world';

/**
 * The webhook endpoint's contract: what it refuses (nothing stored), what it records, and that
 * an event changes a tenant's access only through a fresh read of Stripe — once.
 */
let world: BillingWorld;

beforeAll(async () => {
  world = await openWorld(inject('cluster'));
});
afterAll(async () => {
  await world?.close();
});
beforeEach(() => {
  world.intercept = null;
});

const inboxCount = async () =>
  Number((await world.kit.adminQuery('select count(*) as n from private.stripe_webhook_inbox'))[0]?.n);
const signer = new Stripe('sk_test_signer_only');

function signed(event: Record<string, unknown>, options: { secret?: string; timestamp?: number } = {}) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? WEBHOOK_SECRET,
    timestamp: options.timestamp,
  });
  return { payload, header };
}

function fakeEvent(overrides: Record<string, unknown> = {}) {
  return {
    id: `evt_test${Math.random().toString(36).slice(2, 12)}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type: 'customer.subscription.updated',
    data: { object: { id: 'sub_unknown', object: 'subscription', customer: 'cus_unknown' } },
    ...overrides,
  };
}

const deps = () => ({ pool: world.billingPool, stripe: world.stripe, webhookSecret: WEBHOOK_SECRET, livemode: false });

describe('refused deliveries store nothing', () => {
  it('a wrong signature, a tampered body, a missing header and a stale timestamp are 400', async () => {
    const before = await inboxCount();
    const good = signed(fakeEvent({ type: 'some.unknown_type' }));
    const wrongSecret = signed(fakeEvent(), { secret: 'whsec_someone_else' });
    expect((await receiveWebhook(wrongSecret.payload, wrongSecret.header, deps())).status).toBe(400);
    expect((await receiveWebhook(`${good.payload} `, good.header, deps())).status).toBe(400);
    expect((await receiveWebhook(good.payload, null, deps())).status).toBe(400);
    const stale = signed(fakeEvent(), { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect((await receiveWebhook(stale.payload, stale.header, deps())).status).toBe(400);
    expect(await inboxCount()).toBe(before);
    // Positive control: the same well-signed body is accepted and recorded.
    expect((await receiveWebhook(good.payload, good.header, deps())).status).toBe(200);
    expect(await inboxCount()).toBe(before + 1);
  });

  it('an event from the other mode (livemode mismatch) is refused and not stored', async () => {
    const before = await inboxCount();
    const live = signed(fakeEvent({ livemode: true }));
    const response = await receiveWebhook(live.payload, live.header, deps());
    expect(response).toMatchObject({ status: 400, body: { outcome: 'rejected' } });
    expect(await inboxCount()).toBe(before);
    // The same endpoint configured with a live key accepts the live event's mode check.
    const liveDeps = { ...deps(), livemode: true };
    const unknownLive = signed(fakeEvent({ livemode: true, type: 'some.other_type' }));
    expect((await receiveWebhook(unknownLive.payload, unknownLive.header, liveDeps)).status).toBe(200);
  });
});

describe('recorded deliveries', () => {
  it('an unknown type is acknowledged and recorded as ignored', async () => {
    const event = fakeEvent({ type: 'radar.early_fraud_warning.created' });
    const { payload, header } = signed(event);
    expect(await receiveWebhook(payload, header, deps())).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
    const rows = await world.kit.adminQuery(
      'select type, status, attempts from private.stripe_webhook_inbox where event_id = $1',
      [event.id],
    );
    expect(rows).toEqual([{ type: 'radar.early_fraud_warning.created', status: 'ignored', attempts: 1 }]);
  });

  it('a handler that fails answers 5xx and marks the row failed; the retry succeeds', async () => {
    const tenant = await createTenant(world.kit, 'Retry');
    await subscribe(world, tenant.owner);
    await world.flush();
    const customer = await customerOfTenant(world, tenant.id);
    // A well-formed event whose re-fetch fails: the customer is unknown to Stripe.
    const event = fakeEvent({
      type: 'invoice.paid',
      data: { object: { id: 'in_x', object: 'invoice', customer: 'cus_doesnotexist' } },
    });
    const first = signed(event);
    const failed = await receiveWebhook(first.payload, first.header, deps());
    expect(failed.status).toBe(500);
    const [row] = await world.kit.adminQuery(
      'select status, attempts, last_error from private.stripe_webhook_inbox where event_id = $1',
      [event.id],
    );
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(String(row?.last_error)).not.toBe('');

    // Stripe retries the same event later, by which time it concerns a customer that exists.
    const retried = { ...event, data: { object: { id: 'in_x', object: 'invoice', customer } } };
    const second = signed(retried);
    expect(await receiveWebhook(second.payload, second.header, deps())).toMatchObject({
      status: 200,
      body: { outcome: 'processed' },
    });
    const [after] = await world.kit.adminQuery(
      'select status, attempts, last_error from private.stripe_webhook_inbox where event_id = $1',
      [event.id],
    );
    expect(after).toEqual({ status: 'processed', attempts: 2, last_error: null });
  });
});

describe('events change access only through Stripe, and only once', () => {
  it('a paid checkout unlocks the plan for that tenant only', async () => {
    const a = await createTenant(world.kit, 'Payer');
    const b = await createTenant(world.kit, 'Bystander');
    const member = await addMember(world.kit, a.owner, 'member');
    expect(await featureAs(world, a.owner, a.id, 'audit_export')).toEqual({ enabled: false, lim: null });
    expect(await featureAs(world, a.owner, a.id, 'documents')).toEqual({ enabled: true, lim: 100 });

    await subscribe(world, a.owner, 'pro');
    await world.flush();

    expect(await featureAs(world, a.owner, a.id, 'audit_export')).toEqual({ enabled: true, lim: null });
    expect(await featureAs(world, member, a.id, 'documents')).toEqual({ enabled: true, lim: 10000 });
    expect(await featureAs(world, member, a.id, 'seats')).toEqual({ enabled: true, lim: 50 });
    // The other tenant is still on the free tier, and A's member cannot read B's plan either.
    expect(await featureAs(world, b.owner, b.id, 'audit_export')).toEqual({ enabled: false, lim: null });
    expect(await featureAs(world, member, b.id, 'documents')).toEqual({ enabled: true, lim: 100 });

    // Members read their own tenant's billing rows and nothing of B's (positive control first).
    const own = await world.kit.as(member, (c) => c.query('select status::text from public.billing_subscriptions'));
    expect(own.rows).toEqual([{ status: 'active' }]);
    const entitlements = await world.kit.as(b.owner, (c) => c.query('select * from public.tenant_entitlements'));
    expect(entitlements.rows).toEqual([]);
  });

  it('a duplicate delivery has no effect; a forged payload is not trusted', async () => {
    const tenant = await createTenant(world.kit, 'Dup');
    await subscribe(world, tenant.owner);
    await world.flush();
    const customer = await customerOfTenant(world, tenant.id);
    // A payload claiming the subscription is canceled: the handler re-fetches it and finds it active.
    const forged = fakeEvent({
      type: 'customer.subscription.deleted',
      data: { object: { id: 'sub_whatever', object: 'subscription', customer, status: 'canceled' } },
    });
    const { payload, header } = signed(forged);
    expect(await receiveWebhook(payload, header, deps())).toMatchObject({ status: 200, body: { outcome: 'processed' } });
    expect(await featureAs(world, tenant.owner, tenant.id, 'audit_export')).toEqual({ enabled: true, lim: null });
    // Delivered again: acknowledged as a duplicate, nothing runs.
    const again = signed(forged);
    expect(await receiveWebhook(again.payload, again.header, deps())).toMatchObject({
      status: 200,
      body: { outcome: 'duplicate' },
    });
    const [row] = await world.kit.adminQuery('select attempts, status from private.stripe_webhook_inbox where event_id = $1', [
      forged.id,
    ]);
    expect(row).toEqual({ attempts: 1, status: 'processed' });
  });

  it('cancelling on Stripe locks the plan again, per status', async () => {
    const tenant = await createTenant(world.kit, 'Leaver');
    await subscribe(world, tenant.owner);
    await world.flush();
    expect((await featureAs(world, tenant.owner, tenant.id, 'audit_export')).enabled).toBe(true);
    const [sub] = (await world.stripe.subscriptions.list({ customer: await customerOfTenant(world, tenant.id) })).data;
    await world.stripe.subscriptions.cancel(sub?.id ?? '');
    await world.flush();
    expect((await featureAs(world, tenant.owner, tenant.id, 'audit_export')).enabled).toBe(false);
    expect(await featureAs(world, tenant.owner, tenant.id, 'documents')).toEqual({ enabled: true, lim: 100 });
  });
});
