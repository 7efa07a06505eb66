import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { payCheckout, type Receiver, seedCatalog, startReceiver, startWorld, WEBHOOK_SECRET, type World } from './harness';

/**
 * Checkout, the Billing Portal, the subscription lifecycle and the entitlements they grant,
 * observed through the API, the events list and signed webhooks.
 */
let world: World;
let receiver: Receiver;
let catalog: Awaited<ReturnType<typeof seedCatalog>>;

beforeAll(async () => {
  receiver = await startReceiver();
  world = await startWorld({ webhook: { url: receiver.url, secret: WEBHOOK_SECRET } });
  catalog = await seedCatalog(world.stripe);
});
afterAll(async () => {
  await world.stop();
  await receiver.stop();
});
beforeEach(() => {
  receiver.answer = () => 200;
});

async function subscribe(options: { trialDays?: number; email?: string } = {}) {
  const customer = await world.stripe.customers.create({
    email: options.email ?? 'owner@example.com',
    metadata: { tenant: 'acme' },
  });
  const session = await world.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: catalog.teamPrice.id, quantity: 3 }],
    success_url: 'http://app.test/billing?session={CHECKOUT_SESSION_ID}',
    cancel_url: 'http://app.test/billing?canceled=1',
    client_reference_id: 'acme',
    metadata: { tenant: 'acme' },
    subscription_data: { metadata: { tenant: 'acme' }, ...(options.trialDays ? { trial_period_days: options.trialDays } : {}) },
  });
  const paid = await payCheckout(session.url ?? '');
  const completed = await world.stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription', 'line_items'] });
  const subscription = completed.subscription as Stripe.Subscription;
  return { customer, session, paid, completed, subscription };
}

const lookupKeys = async (customer: string) =>
  (await world.stripe.entitlements.activeEntitlements.list({ customer })).data.map((e) => e.lookup_key);

async function eventsFor(customer: string): Promise<Stripe.Event[]> {
  const all = await world.stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
  return all.reverse().filter((e) => {
    const object = e.data.object as unknown as Record<string, unknown>;
    return object.customer === customer || object.id === customer;
  });
}

describe('Checkout', () => {
  it('shows a page with Pay and Cancel; Cancel leaves the session open', async () => {
    const customer = await world.stripe.customers.create({ email: 'page@example.com' });
    const session = await world.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: catalog.teamPrice.id, quantity: 1 }],
      success_url: 'http://app.test/ok',
      cancel_url: 'http://app.test/cancel',
    });
    expect(session).toMatchObject({ object: 'checkout.session', status: 'open', payment_status: 'unpaid', amount_total: 1000 });
    const html = await (await fetch(session.url ?? '')).text();
    expect(html).toContain('<button type="submit">Pay</button>');
    expect(html).toContain('href="http://app.test/cancel"');
    expect((await world.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    expect((await world.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
  });

  it('rejects a session without quantity or with a one-time mode, creating nothing', async () => {
    const before = (await world.stripe.events.list({ limit: 1 })).data[0]?.id;
    await expect(
      world.stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ price: catalog.teamPrice.id }],
        success_url: 'http://app.test/ok',
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'line_items[0][quantity]' });
    await expect(
      world.stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price: catalog.teamPrice.id, quantity: 1 }],
        success_url: 'x',
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'mode' });
    expect((await world.stripe.events.list({ limit: 1 })).data[0]?.id).toBe(before);
  });

  it('Pay creates an active subscription, items, a paid invoice, the events in order, and redirects', async () => {
    const { customer, session, paid, completed, subscription } = await subscribe();
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`http://app.test/billing?session=${session.id}`);
    expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid', customer: customer.id, url: null });
    expect((completed.line_items?.data ?? []).map((li) => li.quantity)).toEqual([3]);

    expect(subscription).toMatchObject({
      object: 'subscription',
      status: 'active',
      customer: customer.id,
      metadata: { tenant: 'acme' },
    });
    const item = subscription.items.data[0];
    expect(item).toMatchObject({ object: 'subscription_item', quantity: 3, price: { id: catalog.teamPrice.id } });
    expect(item?.current_period_end).toBeGreaterThan(item?.current_period_start ?? Number.POSITIVE_INFINITY);

    const invoice = await world.stripe.invoices.retrieve(String(subscription.latest_invoice));
    expect(invoice).toMatchObject({ status: 'paid', amount_paid: 3000, billing_reason: 'subscription_create' });
    expect(invoice.parent?.subscription_details?.subscription).toBe(subscription.id);

    const types: string[] = (await eventsFor(customer.id)).map((e) => e.type);
    const at = (type: string) => types.indexOf(type);
    expect(at('customer.subscription.created')).toBeGreaterThanOrEqual(0);
    expect(at('customer.subscription.created')).toBeLessThan(at('checkout.session.completed'));
    expect(at('checkout.session.completed')).toBeLessThan(at('invoice.paid'));
    expect(at('invoice.paid')).toBeLessThan(at('entitlements.active_entitlement_summary.updated'));
    expect(await lookupKeys(customer.id)).toEqual(['documents']);

    const retrieved = await world.stripe.subscriptions.retrieve(subscription.id, { expand: ['items.data.price.product'] });
    expect(retrieved.items.data[0]?.price.product).toMatchObject({ object: 'product', name: 'Team' });
  });

  it('delivers every event signed so that constructEvent accepts it, and rejects a tampered body', async () => {
    const { customer } = await subscribe();
    await world.control('webhooks/flush');
    const mine = receiver.received.filter((r) => JSON.stringify(r.event.data.object).includes(customer.id));
    expect(mine.length).toBeGreaterThanOrEqual(6);
    for (const delivery of mine) {
      const event = world.stripe.webhooks.constructEvent(delivery.body, delivery.signature, WEBHOOK_SECRET);
      expect(event.id).toBe(delivery.event.id);
      expect(event).toMatchObject({ object: 'event', livemode: false, api_version: expect.any(String) });
    }
    const sample = mine[0];
    const tampered = sample?.body.replace(customer.id, 'cus_someoneelse') ?? '';
    expect(() => world.stripe.webhooks.constructEvent(tampered, sample?.signature ?? '', WEBHOOK_SECRET)).toThrow(
      /No signatures found matching/,
    );
    expect(() => world.stripe.webhooks.constructEvent(sample?.body ?? '', sample?.signature ?? '', 'whsec_wrong')).toThrow();
  });

  it('with trial days the subscription is trialing and its first invoice is zero', async () => {
    const { subscription, completed } = await subscribe({ trialDays: 14 });
    expect(subscription.status).toBe('trialing');
    expect(subscription.trial_end).toBe((subscription.trial_start ?? 0) + 14 * 86_400);
    expect(subscription.items.data[0]?.current_period_end).toBe(subscription.trial_end);
    expect(completed.payment_status).toBe('no_payment_required');
    expect((await world.stripe.invoices.retrieve(String(subscription.latest_invoice))).amount_paid).toBe(0);

    // The trial ends (the card from Checkout pays): active, a new period from the trial end, a paid invoice.
    await world.control(`subscriptions/${subscription.id}/advance`);
    const active = await world.stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
    expect(active.status).toBe('active');
    expect(active.items.data[0]?.current_period_start).toBe(subscription.trial_end);
    expect(active.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 3000, billing_reason: 'subscription_cycle' });
  });
});

describe('entitlements follow subscription status', () => {
  it('active, past_due and paused grant; canceled does not; summary events say so except for a pause', async () => {
    const active = await subscribe();
    const canceled = await subscribe();
    expect(await lookupKeys(active.customer.id)).toEqual(['documents']);
    expect(await lookupKeys(canceled.customer.id)).toEqual(['documents']);

    await world.control(`subscriptions/${active.subscription.id}/payment_failed`);
    const pastDue = await world.stripe.subscriptions.retrieve(active.subscription.id);
    expect(pastDue.status).toBe('past_due');
    expect(await lookupKeys(active.customer.id)).toEqual(['documents']);
    const failed = (await eventsFor(active.customer.id)).filter((e) => e.type === 'invoice.payment_failed');
    expect(failed).toHaveLength(1);

    await world.stripe.subscriptions.cancel(canceled.subscription.id);
    expect(await lookupKeys(canceled.customer.id)).toEqual([]);
    const summaries = (await eventsFor(canceled.customer.id)).filter(
      (e) => e.type === 'entitlements.active_entitlement_summary.updated',
    );
    expect(summaries).toHaveLength(2);
    const last = summaries.at(-1)?.data.object as unknown as { entitlements: { data: unknown[] } };
    expect(last.entitlements.data).toEqual([]);
    expect((await eventsFor(canceled.customer.id)).map((e) => e.type)).toContain('customer.subscription.deleted');

    const trial = await subscribe({ trialDays: 7 });
    const summariesBefore = (await eventsFor(trial.customer.id)).filter((e) => e.type.startsWith('entitlements.')).length;
    await world.control(`subscriptions/${trial.subscription.id}/trial_end_without_payment_method`);
    expect((await world.stripe.subscriptions.retrieve(trial.subscription.id)).status).toBe('paused');
    const after = await eventsFor(trial.customer.id);
    expect(after.map((e) => e.type)).toContain('customer.subscription.paused');
    expect(after.filter((e) => e.type.startsWith('entitlements.')).length).toBe(summariesBefore);
    expect(await lookupKeys(trial.customer.id)).toEqual(['documents']);

    // Resuming works only for a paused subscription.
    await expect(world.stripe.subscriptions.resume(active.subscription.id)).rejects.toMatchObject({ statusCode: 400 });
    const resumed = await world.stripe.subscriptions.resume(trial.subscription.id);
    expect(resumed.status).toBe('active');
    expect((await eventsFor(trial.customer.id)).map((e) => e.type)).toContain('customer.subscription.resumed');
  });

  it('features added to a product reach a subscription at its next period', async () => {
    const { customer, subscription } = await subscribe();
    const extra = await world.stripe.entitlements.features.create({ name: 'Audit log', lookup_key: 'audit_log' });
    const attached = await world.stripe.products.createFeature(catalog.team.id, { entitlement_feature: extra.id });
    expect(await lookupKeys(customer.id)).toEqual(['documents']);
    await world.control(`subscriptions/${subscription.id}/advance`);
    expect((await lookupKeys(customer.id)).sort()).toEqual(['audit_log', 'documents']);
    await world.stripe.products.deleteFeature(catalog.team.id, attached.id);
  });
});

describe('subscription updates', () => {
  it('changes seats through the item and the subscription; previous_attributes carry the old items', async () => {
    const { customer, subscription } = await subscribe();
    const item = subscription.items.data[0];
    const updatedItem = await world.stripe.subscriptionItems.update(item?.id ?? '', { quantity: 5, proration_behavior: 'none' });
    expect(updatedItem.quantity).toBe(5);
    const viaSubscription = await world.stripe.subscriptions.update(subscription.id, {
      items: [{ id: item?.id, quantity: 7 }],
      metadata: { seats: '7' },
      proration_behavior: 'create_prorations',
    });
    expect(viaSubscription.items.data[0]?.quantity).toBe(7);
    const updates = (await eventsFor(customer.id)).filter((e) => e.type === 'customer.subscription.updated');
    expect(updates).toHaveLength(2);
    const previous = updates[1]?.data.previous_attributes as { items: Stripe.ApiList<Stripe.SubscriptionItem> };
    expect(previous.items.data[0]?.quantity).toBe(5);

    // Bad input changes nothing: not the item, not what it grants.
    await expect(
      world.stripe.subscriptions.update(subscription.id, {
        items: [{ id: item?.id, quantity: 9, price: catalog.businessPrice.id }, { price: 'price_missing' }],
      }),
    ).rejects.toMatchObject({ statusCode: 404 });
    const unchanged = await world.stripe.subscriptions.retrieve(subscription.id);
    expect(unchanged.items.data[0]).toMatchObject({ quantity: 7, price: { id: catalog.teamPrice.id } });
    expect(await lookupKeys(customer.id)).toEqual(['documents']);
    expect((await eventsFor(customer.id)).filter((e) => e.type === 'customer.subscription.updated')).toHaveLength(2);
  });

  it('lists by customer and status, canceled only with status=all or canceled', async () => {
    const { customer, subscription } = await subscribe();
    await world.stripe.subscriptions.cancel(subscription.id);
    expect((await world.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
    expect((await world.stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data.map((s) => s.id)).toEqual([
      subscription.id,
    ]);
    expect((await world.stripe.subscriptions.list({ customer: customer.id, status: 'canceled' })).data).toHaveLength(1);
    await expect(world.stripe.subscriptions.cancel(subscription.id)).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('Billing Portal', () => {
  async function portalFor(customer: string) {
    const session = await world.stripe.billingPortal.sessions.create({ customer, return_url: 'http://app.test/billing' });
    expect(session).toMatchObject({ object: 'billing_portal.session', customer, return_url: 'http://app.test/billing' });
    return session;
  }
  const post = (url: string, form: Record<string, string>) =>
    fetch(url, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });

  it('switches plan: the item changes price, entitlements follow, an update event carries the old price', async () => {
    const { customer, subscription } = await subscribe();
    const session = await portalFor(customer.id);
    const page = await (await fetch(session.url)).text();
    expect(page).toContain(subscription.id);
    expect(page).toContain('href="http://app.test/billing"');
    expect(page).toContain(catalog.businessPrice.id);

    const base = `${new URL(session.url).origin}/p/session/${session.id}/subscriptions/${subscription.id}`;
    const switched = await post(`${base}/plan`, { price: catalog.businessPrice.id });
    expect(switched.status).toBe(303);
    const now = await world.stripe.subscriptions.retrieve(subscription.id);
    expect(now.items.data[0]?.price.id).toBe(catalog.businessPrice.id);
    expect(now.items.data[0]?.quantity).toBe(3);
    expect((await lookupKeys(customer.id)).sort()).toEqual(['documents', 'sso']);
    const update = (await eventsFor(customer.id)).filter((e) => e.type === 'customer.subscription.updated').at(-1);
    const previous = update?.data.previous_attributes as { items: Stripe.ApiList<Stripe.SubscriptionItem> };
    expect(previous.items.data[0]?.price.id).toBe(catalog.teamPrice.id);
  });

  it('refuses a plan its other items cannot share, with a message, changing nothing', async () => {
    const meter = await world.stripe.billing.meters.create({
      display_name: 'Docs',
      event_name: 'portal_docs',
      default_aggregation: { formula: 'sum' },
    });
    const usage = await world.stripe.prices.create({
      product: catalog.team.id,
      currency: 'usd',
      unit_amount: 1,
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });
    const yearly = await world.stripe.prices.create({
      product: catalog.business.id,
      currency: 'usd',
      unit_amount: 50_000,
      recurring: { interval: 'year' },
    });
    const customer = await world.stripe.customers.create({});
    const subscription = await world.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: catalog.teamPrice.id, quantity: 2 }, { price: usage.id }],
    });
    expect(subscription.items.data.map((i) => i.quantity)).toEqual([2, undefined]);
    const session = await portalFor(customer.id);
    const base = `${new URL(session.url).origin}/p/session/${session.id}/subscriptions/${subscription.id}`;
    const refused = await post(`${base}/plan`, { price: yearly.id });
    expect(refused.status).toBe(200);
    expect(await refused.text()).toContain('same recurring interval');
    const after = await world.stripe.subscriptions.retrieve(subscription.id);
    expect(after.items.data.map((i) => i.price.id)).toEqual([catalog.teamPrice.id, usage.id]);
    expect(await lookupKeys(customer.id)).toEqual(['documents']);
  });

  it('cancels at period end (ends on renewal) and cancels now', async () => {
    const later = await subscribe();
    const session = await portalFor(later.customer.id);
    const base = `${new URL(session.url).origin}/p/session/${session.id}/subscriptions/${later.subscription.id}`;
    await post(`${base}/cancel`, { when: 'period_end' });
    const pending = await world.stripe.subscriptions.retrieve(later.subscription.id);
    expect(pending).toMatchObject({ status: 'active', cancel_at_period_end: true });
    expect(pending.cancel_at).toBe(pending.items.data[0]?.current_period_end);
    expect(await lookupKeys(later.customer.id)).toEqual(['documents']);
    await world.control(`subscriptions/${later.subscription.id}/advance`);
    expect((await world.stripe.subscriptions.retrieve(later.subscription.id)).status).toBe('canceled');
    expect(await lookupKeys(later.customer.id)).toEqual([]);

    const now = await subscribe();
    const nowSession = await portalFor(now.customer.id);
    await post(`${new URL(nowSession.url).origin}/p/session/${nowSession.id}/subscriptions/${now.subscription.id}/cancel`, {
      when: 'now',
    });
    expect((await world.stripe.subscriptions.retrieve(now.subscription.id)).status).toBe('canceled');
    expect((await eventsFor(now.customer.id)).map((e) => e.type)).toContain('customer.subscription.deleted');

    // A portal session only reaches its own customer's subscriptions.
    const foreign = await post(
      `${new URL(nowSession.url).origin}/p/session/${nowSession.id}/subscriptions/${later.subscription.id}/cancel`,
      {
        when: 'now',
      },
    );
    expect(foreign.status).toBe(404);
  });
});
