import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payCheckout, startWorld, type World } from './harness';

/**
 * Several live subscriptions on one customer: an annual base plan next to a monthly add-on,
 * each with its own items and periods, entitlements as the union of what each grants, the
 * Portal acting on one of them, and Stripe's one-currency-per-customer rule.
 */
let world: World;
let plan: Awaited<ReturnType<typeof seedPlans>>;

async function seedPlans(stripe: Stripe) {
  const feature = (lookup_key: string) => stripe.entitlements.features.create({ name: lookup_key, lookup_key });
  const [reports, seats, exports] = [await feature('reports'), await feature('seats'), await feature('exports')];
  const base = await stripe.products.create({ name: 'Base' });
  const addOn = await stripe.products.create({ name: 'Exports add-on' });
  await stripe.products.createFeature(base.id, { entitlement_feature: reports.id });
  await stripe.products.createFeature(base.id, { entitlement_feature: seats.id });
  // Both grant seats: cancelling the add-on must leave seats in place.
  await stripe.products.createFeature(addOn.id, { entitlement_feature: seats.id });
  await stripe.products.createFeature(addOn.id, { entitlement_feature: exports.id });
  const recurring = (interval: 'month' | 'year') => ({ interval, usage_type: 'licensed' as const });
  const baseAnnual = await stripe.prices.create({
    product: base.id,
    currency: 'usd',
    unit_amount: 120_000,
    recurring: recurring('year'),
  });
  const addOnMonthly = await stripe.prices.create({
    product: addOn.id,
    currency: 'usd',
    unit_amount: 1500,
    recurring: recurring('month'),
  });
  const addOnEuro = await stripe.prices.create({
    product: addOn.id,
    currency: 'eur',
    unit_amount: 1400,
    recurring: recurring('month'),
  });
  return { baseAnnual, addOnMonthly, addOnEuro };
}

beforeAll(async () => {
  world = await startWorld();
  plan = await seedPlans(world.stripe);
});
afterAll(() => world.stop());

const lookupKeys = async (customer: string) =>
  (await world.stripe.entitlements.activeEntitlements.list({ customer })).data.map((e) => e.lookup_key).sort();

async function checkout(customer: string, price: string, quantity = 1) {
  const session = await world.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer,
    line_items: [{ price, quantity }],
    success_url: 'http://app.test/billing?session={CHECKOUT_SESSION_ID}',
  });
  expect((await payCheckout(session.url ?? '')).status).toBe(303);
  const completed = await world.stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
  return completed.subscription as Stripe.Subscription;
}

const post = (url: string, form: Record<string, string>) =>
  fetch(url, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });

describe('several subscriptions on one customer', () => {
  it('holds an annual base plan and a monthly add-on, grants their union, and the Portal cancels just the add-on', async () => {
    const customer = await world.stripe.customers.create({ email: 'multi@example.com' });
    const base = await checkout(customer.id, plan.baseAnnual.id, 5);
    expect(await lookupKeys(customer.id)).toEqual(['reports', 'seats']);
    // A second Checkout on the same customer starts a second subscription, not a change of the first.
    const addOn = await checkout(customer.id, plan.addOnMonthly.id);
    expect(addOn.id).not.toBe(base.id);
    expect(addOn.customer).toBe(customer.id);

    const live = await world.stripe.subscriptions.list({ customer: customer.id });
    expect(live.data.map((s) => s.id).sort()).toEqual([base.id, addOn.id].sort());
    const [baseItem, addOnItem] = [base.items.data[0], addOn.items.data[0]];
    expect(baseItem).toMatchObject({ quantity: 5, price: { id: plan.baseAnnual.id, recurring: { interval: 'year' } } });
    expect(addOnItem).toMatchObject({ quantity: 1, price: { id: plan.addOnMonthly.id, recurring: { interval: 'month' } } });
    // Each item keeps its own period: a year for the base plan, a month for the add-on.
    const days = (item?: Stripe.SubscriptionItem) =>
      ((item?.current_period_end ?? 0) - (item?.current_period_start ?? 0)) / 86_400;
    expect(days(baseItem)).toBeGreaterThanOrEqual(365);
    expect(days(addOnItem)).toBeGreaterThanOrEqual(28);
    expect(days(addOnItem)).toBeLessThanOrEqual(31);
    expect(await lookupKeys(customer.id)).toEqual(['exports', 'reports', 'seats']);

    // Renewing the add-on moves only its period and bills only its item.
    await world.control(`subscriptions/${addOn.id}/advance`);
    const renewed = await world.stripe.subscriptions.retrieve(addOn.id, { expand: ['latest_invoice'] });
    const invoice = renewed.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', amount_paid: 1500 });
    expect(renewed.items.data[0]?.current_period_start).toBe(addOnItem?.current_period_end);
    expect((await world.stripe.subscriptions.retrieve(base.id)).items.data[0]?.current_period_end).toBe(
      baseItem?.current_period_end,
    );

    // The Portal shows both and cancels the add-on alone.
    const portal = await world.stripe.billingPortal.sessions.create({ customer: customer.id });
    const page = await (await fetch(portal.url)).text();
    expect(page).toContain(`data-subscription="${base.id}"`);
    expect(page).toContain(`data-subscription="${addOn.id}"`);
    const origin = new URL(portal.url).origin;
    const canceled = await post(`${origin}/p/session/${portal.id}/subscriptions/${addOn.id}/cancel`, { when: 'now' });
    expect(canceled.status).toBe(303);
    expect((await world.stripe.subscriptions.retrieve(addOn.id)).status).toBe('canceled');
    expect((await world.stripe.subscriptions.retrieve(base.id)).status).toBe('active');
    // Seats stay (the base plan grants them too); only exports go.
    expect(await lookupKeys(customer.id)).toEqual(['reports', 'seats']);
    const summaries = (
      await world.stripe.events.list({ type: 'entitlements.active_entitlement_summary.updated', limit: 100 })
    ).data
      .filter((e) => (e.data.object as unknown as { customer: string }).customer === customer.id)
      .map((e) =>
        (e.data.object as unknown as { entitlements: { data: Array<{ lookup_key: string }> } }).entitlements.data
          .map((x) => x.lookup_key)
          .sort(),
      );
    // Newest first: after the cancel, after the add-on, after the base plan.
    expect(summaries).toEqual([
      ['reports', 'seats'],
      ['exports', 'reports', 'seats'],
      ['reports', 'seats'],
    ]);
  });

  it('pausing one subscription leaves the other as it was', async () => {
    const customer = await world.stripe.customers.create({});
    const base = await world.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: plan.baseAnnual.id }],
      trial_period_days: 14,
    });
    const addOn = await world.stripe.subscriptions.create({ customer: customer.id, items: [{ price: plan.addOnMonthly.id }] });
    const before = (await world.stripe.events.list({ limit: 1 })).data[0]?.id ?? '';
    await world.control(`subscriptions/${base.id}/trial_end_without_payment_method`);
    expect((await world.stripe.subscriptions.retrieve(base.id)).status).toBe('paused');
    expect(await world.stripe.subscriptions.retrieve(addOn.id)).toMatchObject({ status: 'active', items: addOn.items });
    // As on Stripe, a paused trial keeps its entitlements and sends no summary: the kit reads each subscription's status.
    expect(await lookupKeys(customer.id)).toEqual(['exports', 'reports', 'seats']);
    const since = (await world.stripe.events.list({ ending_before: before, limit: 100 })).data;
    expect(since.map((e) => e.type).sort()).toEqual(['customer.subscription.paused', 'customer.subscription.updated']);
    expect(since.every((e) => (e.data.object as { id?: string }).id === base.id)).toBe(true);
  });

  it('refuses a live subscription in a second currency with Stripe’s error, creating nothing', async () => {
    const customer = await world.stripe.customers.create({});
    const usd = await world.stripe.subscriptions.create({ customer: customer.id, items: [{ price: plan.addOnMonthly.id }] });
    // A Checkout Session made before the conflict arose cannot complete once it exists.
    const early = await world.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: (await world.stripe.customers.create({})).id,
      line_items: [{ price: plan.addOnEuro.id, quantity: 1 }],
      success_url: 'http://app.test/ok',
    });
    const message =
      'You cannot combine currencies on a single customer. This customer has an active subscription, subscription schedule, discount, quote, or invoice item with currency usd.';
    await expect(
      world.stripe.subscriptions.create({ customer: customer.id, items: [{ price: plan.addOnEuro.id }] }),
    ).rejects.toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', message, param: 'items' });
    await expect(
      world.stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: customer.id,
        line_items: [{ price: plan.addOnEuro.id, quantity: 1 }],
        success_url: 'http://app.test/ok',
      }),
    ).rejects.toMatchObject({ statusCode: 400, message, param: 'line_items' });
    expect((await world.stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data.map((s) => s.id)).toEqual([
      usd.id,
    ]);

    const earlyCustomer = early.customer as string;
    await world.stripe.subscriptions.create({ customer: earlyCustomer, items: [{ price: plan.baseAnnual.id }] });
    const refused = await payCheckout(early.url ?? '');
    expect(refused.status).toBe(200);
    expect(await refused.text()).toContain('You cannot combine currencies on a single customer.');
    expect((await world.stripe.checkout.sessions.retrieve(early.id)).status).toBe('open');
    expect((await world.stripe.subscriptions.list({ customer: earlyCustomer })).data).toHaveLength(1);

    // Once nothing in dollars is live, euros are fine (Stripe's multi-currency customers).
    await world.stripe.subscriptions.cancel(usd.id);
    const eur = await world.stripe.subscriptions.create({ customer: customer.id, items: [{ price: plan.addOnEuro.id }] });
    expect(eur).toMatchObject({ status: 'active', currency: 'eur' });
  });
});
