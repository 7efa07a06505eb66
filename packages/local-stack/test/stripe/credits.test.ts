import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver, startWorld, WEBHOOK_SECRET, type World } from './harness';

/**
 * Billing credits through stripe-node: credit grants, the balance summary and transactions,
 * credits drawn down by metered usage when a period's usage is invoiced (in Stripe's order),
 * expiry and voiding, and the events all of it sends.
 */
let world: World;
let receiver: Receiver;
let usage: Awaited<ReturnType<typeof seedUsage>>;

async function seedUsage(stripe: Stripe) {
  const meter = await stripe.billing.meters.create({
    display_name: 'API calls',
    event_name: 'api_call',
    default_aggregation: { formula: 'sum' },
  });
  const product = await stripe.products.create({ name: 'API' });
  const metered = (unit_amount: number, currency = 'usd') =>
    stripe.prices.create({
      product: product.id,
      currency,
      unit_amount,
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });
  const calls = await metered(10);
  const otherCalls = await metered(20);
  const seat = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 1000,
    recurring: { interval: 'month' },
  });
  return { meter, calls, otherCalls, seat };
}

beforeAll(async () => {
  receiver = await startReceiver();
  world = await startWorld({ webhook: { url: receiver.url, secret: WEBHOOK_SECRET } });
  usage = await seedUsage(world.stripe);
});
afterAll(async () => {
  await world.stop();
  await receiver.stop();
});
beforeEach(() => world.control('webhooks/settings', { drop_rate: 0, duplicate_rate: 0, shuffle_window: 0 }));

const now = () => Math.floor(Date.now() / 1000);

function grant(customer: string, value: number, extra: Partial<Stripe.Billing.CreditGrantCreateParams> = {}) {
  return world.stripe.billing.creditGrants.create({
    customer,
    amount: { type: 'monetary', monetary: { currency: 'usd', value } },
    applicability_config: { scope: { price_type: 'metered' } },
    ...extra,
  });
}

async function balance(
  customer: string,
  filter: Stripe.Billing.CreditBalanceSummaryRetrieveParams['filter'] = {
    type: 'applicability_scope',
    applicability_scope: { price_type: 'metered' },
  },
) {
  const summary = await world.stripe.billing.creditBalanceSummaries.retrieve({ customer, filter });
  return summary.balances.map((b) => [
    b.available_balance.monetary?.currency,
    b.available_balance.monetary?.value,
    b.ledger_balance.monetary?.value,
  ]);
}

const calls = (customer: string, count: number, identifier: string) =>
  world.stripe.billing.meterEvents.create({
    event_name: 'api_call',
    payload: { stripe_customer_id: customer, value: String(count) },
    identifier,
  });

/** Events whose type starts with `prefix`, created after the event `after`, oldest first. */
async function eventsSince(after: string | undefined, prefix: string) {
  // Auto-paging with ending_before walks towards the newest event, oldest first (as on Stripe).
  const all = after
    ? await world.stripe.events.list({ limit: 100, ending_before: after }).autoPagingToArray({ limit: 1000 })
    : (await world.stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 1000 })).reverse();
  return all.filter((e) => e.type.startsWith(prefix));
}
const newestEvent = async () => (await world.stripe.events.list({ limit: 1 })).data[0]?.id;

describe('credit grants', () => {
  it('creates, retrieves, lists and updates a grant, with its ledger credit and events', async () => {
    const customer = await world.stripe.customers.create({});
    const other = await world.stripe.customers.create({});
    const mark = await newestEvent();
    const created = await grant(customer.id, 5000, {
      name: 'Prepaid pack',
      category: 'promotional',
      priority: 20,
      expires_at: now() + 30 * 86_400,
      metadata: { pack: 'starter' },
    });
    expect(created).toMatchObject({
      object: 'billing.credit_grant',
      amount: { type: 'monetary', monetary: { currency: 'usd', value: 5000 } },
      applicability_config: { scope: { price_type: 'metered' } },
      category: 'promotional',
      customer: customer.id,
      livemode: false,
      metadata: { pack: 'starter' },
      name: 'Prepaid pack',
      priority: 20,
      voided_at: null,
    });
    expect(created.id).toMatch(/^credgr_test_/);
    expect(created.effective_at).toBe(created.created);
    const defaults = await grant(other.id, 100);
    expect(defaults).toMatchObject({ category: 'paid', priority: 50, expires_at: null, name: null });

    expect(await world.stripe.billing.creditGrants.retrieve(created.id)).toEqual(created);
    const listed = await world.stripe.billing.creditGrants.list({ customer: customer.id });
    expect(listed.data.map((g) => g.id)).toEqual([created.id]);
    expect(await balance(customer.id)).toEqual([['usd', 5000, 5000]]);

    const transactions = await world.stripe.billing.creditBalanceTransactions.list({ customer: customer.id });
    expect(transactions.data).toHaveLength(1);
    const credit = transactions.data[0];
    expect(credit).toMatchObject({
      object: 'billing.credit_balance_transaction',
      type: 'credit',
      credit_grant: created.id,
      credit: { type: 'credits_granted', amount: { monetary: { currency: 'usd', value: 5000 } } },
      debit: null,
    });
    expect(
      await world.stripe.billing.creditBalanceTransactions.retrieve(credit?.id ?? '', { expand: ['credit_grant'] }),
    ).toMatchObject({
      credit_grant: { id: created.id, object: 'billing.credit_grant' },
    });

    const later = now() + 60 * 86_400;
    const updated = await world.stripe.billing.creditGrants.update(created.id, {
      expires_at: later,
      metadata: { pack: '', note: 'extended' },
    });
    expect(updated).toMatchObject({ expires_at: later, metadata: { note: 'extended' } });
    const never = await world.stripe.billing.creditGrants.update(created.id, { expires_at: '' });
    expect(never.expires_at).toBeNull();

    const events = (await eventsSince(mark, 'billing.')).filter(
      (e) =>
        (e.data.object as { customer?: string }).customer === customer.id ||
        (e.data.object as { credit_grant?: string }).credit_grant === created.id,
    );
    expect(events.map((e) => e.type)).toEqual([
      'billing.credit_grant.created',
      'billing.credit_balance_transaction.created',
      'billing.credit_grant.updated',
      'billing.credit_grant.updated',
    ]);
    expect(events[2]?.data.previous_attributes).toMatchObject({ expires_at: created.expires_at, metadata: { pack: 'starter' } });
  });

  it('rejects bad grants with the param at fault, storing nothing', async () => {
    const customer = await world.stripe.customers.create({});
    const base = {
      customer: customer.id,
      amount: { type: 'monetary' as const, monetary: { currency: 'usd', value: 100 } },
      applicability_config: { scope: { price_type: 'metered' as const } },
    };
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ amount: undefined }, 'amount'],
      [{ amount: { type: 'monetary', monetary: { currency: 'usd', value: 0 } } }, 'amount[monetary][value]'],
      [
        { applicability_config: { scope: { price_type: 'metered', prices: [{ id: usage.calls.id }] } } },
        'applicability_config[scope][prices]',
      ],
      [{ applicability_config: { scope: { prices: [{ id: usage.seat.id }] } } }, 'applicability_config[scope][prices][0][id]'],
      [{ priority: 101 }, 'priority'],
      [{ category: 'gift' }, 'category'],
      [{ effective_at: now() + 100, expires_at: now() + 50 }, 'expires_at'],
      [{ customer: 'cus_missing' }, 'customer'],
    ];
    for (const [change, param] of bad) {
      await expect(
        world.stripe.billing.creditGrants.create({ ...base, ...change } as Stripe.Billing.CreditGrantCreateParams),
      ).rejects.toMatchObject({ param });
    }
    expect((await world.stripe.billing.creditGrants.list({ customer: customer.id })).data).toEqual([]);
    expect(await balance(customer.id)).toEqual([]);
    // The same request, well formed, is accepted.
    await world.stripe.billing.creditGrants.create(base);
    expect(await balance(customer.id)).toEqual([['usd', 100, 100]]);
  });
});

describe('credits drawn down by metered usage', () => {
  it('applies grants in Stripe’s order when usage is invoiced, and bills what they do not cover', async () => {
    const customer = await world.stripe.customers.create({});
    const subscription = await world.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: usage.calls.id }, { price: usage.seat.id, quantity: 1 }],
    });
    // Lower priority number first; then the soonest expiry; then promotional before paid; then the earlier effective_at.
    const c = await grant(customer.id, 200, { priority: 10 });
    const b = await grant(customer.id, 300, { category: 'promotional', expires_at: now() + 10 * 86_400 });
    const a = await grant(customer.id, 500);
    const g = await grant(customer.id, 100, { category: 'promotional' });
    const h = await grant(customer.id, 400, { effective_at: now() - 3600 });
    // Never used here: another price only, another currency, not yet in effect, voided.
    const d = await grant(customer.id, 1000, { applicability_config: { scope: { prices: [{ id: usage.otherCalls.id }] } } });
    await world.stripe.billing.creditGrants.create({
      customer: customer.id,
      amount: { type: 'monetary', monetary: { currency: 'eur', value: 900 } },
      applicability_config: { scope: { price_type: 'metered' } },
    });
    await grant(customer.id, 700, { effective_at: now() + 30 * 86_400 });
    const voided = await grant(customer.id, 800, { priority: 0 });
    await world.stripe.billing.creditGrants.voidGrant(voided.id);
    expect(await balance(customer.id)).toEqual([
      ['usd', 2500, 2500],
      ['eur', 900, 900],
    ]);

    // Usage before the subscription's period ends is not yet invoiced: balances stand.
    await calls(customer.id, 70, 'u-1');
    await calls(customer.id, 50, 'u-2');
    await calls(customer.id, 50, 'u-2');
    expect(await balance(customer.id, { type: 'credit_grant', credit_grant: c.id })).toEqual([['usd', 200, 200]]);

    const mark = await newestEvent();
    await world.control(`subscriptions/${subscription.id}/advance`);
    const renewed = await world.stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
    const invoice = renewed.latest_invoice as Stripe.Invoice & {
      total_pretax_credit_amounts: Array<{ amount: number; credit_balance_transaction: string }>;
    };
    const usageLine = invoice.lines.data.find((l) => l.pricing?.price_details?.price === usage.calls.id);
    // 120 calls × 10 = 1200, all covered: C 200, B 300, G 100, H 400, A 200 of 500.
    expect(usageLine).toMatchObject({ amount: 1200, quantity: 120 });
    expect(invoice).toMatchObject({ subtotal: 2200, total: 1000, amount_due: 1000, amount_paid: 1000, status: 'paid' });
    const debits = (await world.stripe.billing.creditBalanceTransactions.list({ customer: customer.id, limit: 100 })).data
      .filter((t) => t.debit?.type === 'credits_applied')
      .reverse();
    expect(debits.map((t) => [t.credit_grant, t.debit?.amount.monetary?.value])).toEqual([
      [c.id, 200],
      [b.id, 300],
      [g.id, 100],
      [h.id, 400],
      [a.id, 200],
    ]);
    expect(debits.every((t) => t.debit?.credits_applied?.invoice === invoice.id)).toBe(true);
    expect(debits.every((t) => t.debit?.credits_applied?.invoice_line_item === usageLine?.id)).toBe(true);
    expect(invoice.total_pretax_credit_amounts.map((x) => x.credit_balance_transaction)).toEqual(debits.map((t) => t.id));
    const expanded = await world.stripe.billing.creditBalanceTransactions.retrieve(debits[0]?.id ?? '', {
      expand: ['debit.credits_applied.invoice'],
    });
    expect(expanded.debit?.credits_applied?.invoice).toMatchObject({ id: invoice.id, object: 'invoice' });
    expect(await balance(customer.id)).toEqual([
      ['usd', 1300, 1300],
      ['eur', 900, 900],
    ]);
    expect(await balance(customer.id, { type: 'credit_grant', credit_grant: a.id })).toEqual([['usd', 300, 300]]);
    expect(
      await balance(customer.id, { type: 'applicability_scope', applicability_scope: { prices: [{ id: usage.otherCalls.id }] } }),
    ).toEqual([
      ['usd', 1300, 1300],
      ['eur', 900, 900],
    ]);
    // D names another price only: untouched.
    expect(await balance(customer.id, { type: 'credit_grant', credit_grant: d.id })).toEqual([['usd', 1000, 1000]]);

    // Credits are applied after the draft and before finalizing, one event per debit.
    const types = (await eventsSince(mark, '')).map((e) => e.type);
    const sequence = types.filter((t) => t.startsWith('invoice.') || t.startsWith('billing.credit_balance_transaction'));
    expect(sequence).toEqual([
      'invoice.created',
      ...Array(5).fill('billing.credit_balance_transaction.created'),
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
    ]);

    // The next period: 50 calls = 500; A's last 300 cover part, 200 is overage. Nothing is left to draw.
    await calls(customer.id, 50, 'u-3');
    await world.control(`subscriptions/${subscription.id}/advance`);
    const next = (await world.stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] }))
      .latest_invoice as Stripe.Invoice;
    expect(next).toMatchObject({ subtotal: 1500, total: 1200, amount_paid: 1200 });
    expect(await balance(customer.id, { type: 'credit_grant', credit_grant: a.id })).toEqual([['usd', 0, 0]]);
    // A period without usage bills the seat alone and draws nothing.
    await world.control(`subscriptions/${subscription.id}/advance`);
    const quiet = (await world.stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] }))
      .latest_invoice as Stripe.Invoice;
    expect(quiet).toMatchObject({ subtotal: 1000, total: 1000 });
  });

  it('bills trial usage at zero and draws no credits for it', async () => {
    const customer = await world.stripe.customers.create({});
    const subscription = await world.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: usage.calls.id }],
      trial_period_days: 7,
    });
    await grant(customer.id, 1000);
    await calls(customer.id, 30, 'trial-1');
    await world.control(`subscriptions/${subscription.id}/advance`);
    const invoice = (await world.stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] }))
      .latest_invoice as Stripe.Invoice;
    expect(invoice.lines.data[0]).toMatchObject({ amount: 0, quantity: 30 });
    expect(await balance(customer.id)).toEqual([['usd', 1000, 1000]]);
  });
});

describe('ending grants', () => {
  it('expires and voids grants: what is left leaves the balance, with events; an ended grant stays ended', async () => {
    const customer = await world.stripe.customers.create({});
    const expiring = await grant(customer.id, 400);
    const voiding = await grant(customer.id, 600);
    const kept = await grant(customer.id, 50);
    const mark = await newestEvent();

    const expired = await world.stripe.billing.creditGrants.expire(expiring.id);
    expect(expired.expires_at).toBeGreaterThan(0);
    const voided = await world.stripe.billing.creditGrants.voidGrant(voiding.id);
    expect(voided.voided_at).toBeGreaterThan(0);
    expect(await balance(customer.id)).toEqual([['usd', 50, 50]]);

    const debits = (await world.stripe.billing.creditBalanceTransactions.list({ customer: customer.id })).data.filter(
      (t) => t.type === 'debit',
    );
    expect(debits.map((t) => [t.credit_grant, t.debit?.type, t.debit?.amount.monetary?.value]).sort()).toEqual(
      [
        [expiring.id, 'credits_expired', 400],
        [voiding.id, 'credits_voided', 600],
      ].sort(),
    );
    const byGrant = await world.stripe.billing.creditBalanceTransactions.list({
      customer: customer.id,
      credit_grant: voiding.id,
    });
    expect(byGrant.data.map((t) => t.type)).toEqual(['debit', 'credit']);
    const types = (await eventsSince(mark, 'billing.')).map((e) => e.type);
    expect(types).toEqual([
      'billing.credit_grant.updated',
      'billing.credit_balance_transaction.created',
      'billing.credit_grant.updated',
      'billing.credit_balance_transaction.created',
    ]);

    for (const id of [expiring.id, voiding.id]) {
      await expect(world.stripe.billing.creditGrants.voidGrant(id)).rejects.toMatchObject({ statusCode: 400 });
      await expect(world.stripe.billing.creditGrants.expire(id)).rejects.toMatchObject({ statusCode: 400 });
      await expect(world.stripe.billing.creditGrants.update(id, { expires_at: now() + 86_400 })).rejects.toMatchObject({
        statusCode: 400,
        param: 'expires_at',
      });
    }
    // Metadata of an ended grant can still change; the open grant is untouched throughout.
    expect((await world.stripe.billing.creditGrants.update(voiding.id, { metadata: { why: 'refund' } })).metadata).toEqual({
      why: 'refund',
    });
    expect(await world.stripe.billing.creditGrants.retrieve(kept.id)).toEqual(kept);
    await expect(world.stripe.billing.creditGrants.expire('credgr_test_missing')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('a grant whose expiry date has passed stops counting', async () => {
    const customer = await world.stripe.customers.create({});
    const old = await grant(customer.id, 300, { effective_at: now() - 7200 });
    await grant(customer.id, 20);
    // Moves the expiry into the past without an event (what time passing looks like here).
    const mark = await newestEvent();
    await world.control(`credit_grants/${old.id}/set`, { expires_at: now() - 60 });
    expect(await balance(customer.id)).toEqual([['usd', 20, 20]]);
    const expiry = (await world.stripe.billing.creditBalanceTransactions.list({ customer: customer.id, credit_grant: old.id }))
      .data[0];
    expect(expiry).toMatchObject({ type: 'debit', debit: { type: 'credits_expired', amount: { monetary: { value: 300 } } } });
    expect(await eventsSince(mark, '')).toEqual([]);
    // An ended grant cannot be ended or re-dated again, even locally.
    await expect(world.control(`credit_grants/${old.id}/set`, { end: 'void' })).rejects.toThrow(/already expired/);
  });
});

describe('credit events and the chaos switches', () => {
  it('go through dropped delivery and event suppression like every other event', async () => {
    const customer = await world.stripe.customers.create({});
    await world.control('webhooks/flush');
    const before = receiver.received.length;
    await world.control('webhooks/settings', { drop_rate: 1 });
    const dropped = await grant(customer.id, 100);
    await world.control('webhooks/flush');
    expect(receiver.received.length).toBe(before);
    const undelivered = await world.stripe.events.list({ type: 'billing.*', delivery_success: false, limit: 100 });
    const mine = undelivered.data.filter(
      (e) =>
        (e.data.object as { id?: string; credit_grant?: string }).id === dropped.id ||
        (e.data.object as { credit_grant?: string }).credit_grant === dropped.id,
    );
    expect(mine.map((e) => e.type).sort()).toEqual([
      'billing.credit_balance_transaction.created',
      'billing.credit_grant.created',
    ]);

    await world.control('webhooks/settings', { drop_rate: 0 });
    await world.control('events/suppress', { enabled: true });
    const mark = await newestEvent();
    const silent = await grant(customer.id, 100);
    await world.stripe.billing.creditGrants.voidGrant(silent.id);
    await world.control('events/suppress', { enabled: false });
    expect(await eventsSince(mark, '')).toEqual([]);
    expect((await world.stripe.billing.creditGrants.retrieve(silent.id)).voided_at).not.toBeNull();
    expect(await balance(customer.id)).toEqual([['usd', 100, 100]]);

    // With delivery back on, a new grant's events reach the endpoint, signed.
    const heard = await grant(customer.id, 5);
    await world.control('webhooks/flush');
    const received = receiver.received.slice(before).map((r) => r.event);
    expect(received.filter((e) => e.data.object.id === heard.id).map((e) => e.type)).toEqual(['billing.credit_grant.created']);
  });
});
