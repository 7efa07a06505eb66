import { invalidRequest } from './errors';
import { newId, nowSeconds } from './ids';
import { failInvoice, openInvoice, payInvoice } from './invoicing';
import type { Invoice, Metadata, Price, Subscription, SubscriptionItem } from './objects';
import { currentPeriod, periodEnd } from './periods';
import { productFeatureIds } from './resources/catalog';
import { announceEntitlements } from './resources/entitlements';
import { previousAttributes, type StandIn } from './standin';
import { takeUsage } from './usage';

/**
 * The subscription lifecycle shared by the API, the Checkout and Portal pages and the local
 * control endpoints: create, change plan, cancel, pause, resume and renew (invoicing.ts bills
 * them) — each writing the events Stripe writes for it. Every customer of the stand-in pays
 * with a working test card unless a control endpoint says otherwise.
 */
export interface Line {
  price: Price;
  quantity?: number;
}

/** Checks a set of items the way Stripe does before it builds a subscription from them. */
export function validateLines(lines: Line[], param: string): void {
  if (lines.length === 0) throw invalidRequest('At least one item is required.', param);
  const first = lines[0]?.price;
  for (const { price, quantity } of lines) {
    if (!price.active) throw invalidRequest(`The price specified is inactive: ${price.id}.`, param);
    if (!price.recurring) throw invalidRequest(`The price specified is not recurring: ${price.id}.`, param);
    if (price.currency !== first?.currency) throw invalidRequest('All prices must be in the same currency.', param);
    if (
      price.recurring.interval !== first.recurring?.interval ||
      price.recurring.interval_count !== first.recurring.interval_count
    ) {
      throw invalidRequest('All prices on a subscription must have the same recurring interval.', param);
    }
    if (price.recurring.usage_type === 'metered' && quantity !== undefined) {
      throw invalidRequest('Quantity should not be specified where usage_type is `metered`.', param);
    }
    if (quantity !== undefined && quantity < 0) throw invalidRequest('Quantity must be at least 0.', param);
  }
  if (new Set(lines.map((l) => l.price.id)).size !== lines.length) {
    throw invalidRequest('Cannot add multiple subscription items with the same price.', param);
  }
}

/** Subscriptions that still bill the customer (what Stripe counts for its one-currency rule). */
function isLive(subscription: Subscription): boolean {
  return subscription.status !== 'canceled' && subscription.status !== 'incomplete_expired';
}

/**
 * A customer may hold any number of live subscriptions (other prices, other intervals), but
 * all in one currency: Stripe refuses a subscription in another currency while one is live.
 */
export function assertCustomerCurrency(s: StandIn, customer: string, currency: string, param: string): void {
  const other = Object.values(s.state.subscriptions).find(
    (sub) => sub.customer === customer && isLive(sub) && sub.currency !== currency,
  );
  if (other) {
    throw invalidRequest(
      `You cannot combine currencies on a single customer. This customer has an active subscription, subscription schedule, discount, quote, or invoice item with currency ${other.currency}.`,
      param,
      'currency_mismatch',
    );
  }
}

function makeItem(s: StandIn, subscription: string, line: Line, start: number, end: number): SubscriptionItem {
  const item: SubscriptionItem = {
    id: newId('si', 14),
    object: 'subscription_item',
    billing_thresholds: null,
    created: nowSeconds(),
    current_period_end: end,
    current_period_start: start,
    discounts: [],
    metadata: {},
    price: structuredClone(line.price),
    ...(line.price.recurring?.usage_type === 'metered' ? {} : { quantity: line.quantity ?? 1 }),
    subscription,
    tax_rates: [],
  };
  s.state.itemFeatures[item.id] = productFeatureIds(s, line.price.product);
  return item;
}

/** An item changed price: it now grants that price's product features, from now on. */
export function setItemPrice(s: StandIn, item: SubscriptionItem, price: Price): void {
  item.price = structuredClone(price);
  s.state.itemFeatures[item.id] = productFeatureIds(s, price.product);
  if (price.recurring?.usage_type === 'metered') delete item.quantity;
  else item.quantity ??= 1;
}

function startNewPeriod(s: StandIn, subscription: Subscription, start: number): void {
  for (const item of subscription.items.data) {
    item.current_period_start = start;
    item.current_period_end = item.price.recurring ? periodEnd(start, item.price.recurring) : start;
    // Feature changes on the product reach the subscription at the start of a period.
    s.state.itemFeatures[item.id] = productFeatureIds(s, item.price.product);
  }
}

export function createSubscription(
  s: StandIn,
  input: { customer: string; lines: Line[]; metadata: Metadata; trialDays: number | null; paymentMethod: string | null },
): { subscription: Subscription; invoice: Invoice } {
  assertCustomerCurrency(s, input.customer, input.lines[0]?.price.currency ?? 'usd', 'items');
  const now = nowSeconds();
  const id = newId('sub', 24);
  const trialEnd = input.trialDays ? now + input.trialDays * 86_400 : null;
  const items = input.lines.map((line) => {
    const end = trialEnd ?? (line.price.recurring ? periodEnd(now, line.price.recurring) : now);
    return makeItem(s, id, line, now, end);
  });
  const first = input.lines[0]?.price;
  const subscription: Subscription = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: trialEnd ?? now,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: 'charge_automatically',
    created: now,
    currency: first?.currency ?? 'usd',
    customer: input.customer,
    days_until_due: null,
    default_payment_method: input.paymentMethod,
    default_source: null,
    description: null,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: {
      object: 'list',
      data: items,
      has_more: false,
      total_count: items.length,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: null,
    livemode: false,
    metadata: input.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: null,
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: trialEnd ? 'trialing' : 'active',
    test_clock: null,
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: trialEnd ? now : null,
  };
  s.state.subscriptions[id] = subscription;
  s.emit('customer.subscription.created', subscription);
  const invoice = openInvoice(s, subscription, 'subscription_create');
  return { subscription, invoice };
}

/** Emits customer.subscription.updated for a change made by `change` (if anything changed). */
export function updateSubscription(s: StandIn, subscription: Subscription, change: () => void): void {
  const before = structuredClone(subscription);
  const features = { ...s.state.itemFeatures };
  try {
    change();
  } catch (error) {
    // Bad input changes nothing: put every field back (and what the items grant) before reporting it.
    for (const key of Object.keys(subscription)) delete (subscription as unknown as Record<string, unknown>)[key];
    Object.assign(subscription, before);
    s.state.itemFeatures = features;
    throw error;
  }
  const previous = previousAttributes(before, subscription);
  if (Object.keys(previous).length > 0) s.emit('customer.subscription.updated', subscription, previous);
  announceEntitlements(s, subscription.customer);
}

export function cancelNow(s: StandIn, subscription: Subscription, reason = 'cancellation_requested'): void {
  if (subscription.status === 'canceled') {
    throw invalidRequest(`This subscription has already been canceled: ${subscription.id}.`, undefined, 'subscription_canceled');
  }
  const now = nowSeconds();
  subscription.status = 'canceled';
  subscription.canceled_at = now;
  subscription.ended_at = now;
  subscription.cancel_at = subscription.cancel_at_period_end ? subscription.cancel_at : null;
  subscription.cancellation_details = { comment: null, feedback: null, reason };
  s.emit('customer.subscription.deleted', subscription);
  announceEntitlements(s, subscription.customer);
}

export function setCancelAtPeriodEnd(subscription: Subscription, value: boolean): void {
  if (subscription.cancel_at_period_end === value) return;
  subscription.cancel_at_period_end = value;
  subscription.cancel_at = value ? currentPeriod(subscription).end : null;
  subscription.canceled_at = value ? nowSeconds() : null;
  subscription.cancellation_details = { comment: null, feedback: null, reason: value ? 'cancellation_requested' : null };
}

/** The period ends: the subscription renews (trial → active) with a paid or failed invoice, or ends. */
export function renew(s: StandIn, subscription: Subscription, outcome: 'paid' | 'failed'): void {
  if (subscription.status === 'canceled' || subscription.status === 'paused' || subscription.status === 'incomplete_expired') {
    throw invalidRequest(`A ${subscription.status} subscription does not renew.`, 'subscription');
  }
  const end = currentPeriod(subscription).end;
  if (subscription.cancel_at_period_end) {
    cancelNow(s, subscription);
    subscription.ended_at = end;
    return;
  }
  const before = structuredClone(subscription);
  // Metered items are billed in arrears: the usage of the period that ends goes on this invoice.
  const usage = takeUsage(s, subscription);
  startNewPeriod(s, subscription, end);
  if (subscription.status === 'trialing') subscription.status = 'active';
  const invoice = openInvoice(s, subscription, 'subscription_cycle', usage);
  if (outcome === 'paid') {
    payInvoice(s, invoice);
    subscription.status = 'active';
  } else {
    failInvoice(s, invoice);
    subscription.status = 'past_due';
  }
  s.emit('customer.subscription.updated', subscription, previousAttributes(before, subscription));
  announceEntitlements(s, subscription.customer);
}

/** A trial ends with no payment method and `missing_payment_method=pause`: paused, and Stripe sends no entitlement event. */
export function pauseAtTrialEnd(s: StandIn, subscription: Subscription): void {
  if (subscription.status !== 'trialing') throw invalidRequest('Only a trialing subscription can end its trial.', 'subscription');
  const before = structuredClone(subscription);
  subscription.status = 'paused';
  subscription.trial_settings = { end_behavior: { missing_payment_method: 'pause' } };
  subscription.default_payment_method = null;
  s.emit('customer.subscription.updated', subscription, previousAttributes(before, subscription));
  s.emit('customer.subscription.paused', subscription);
  s.changed();
}

/** Resumes a paused subscription: a new period starts now and its invoice is paid. */
export function resume(s: StandIn, subscription: Subscription): void {
  if (subscription.status !== 'paused') {
    throw invalidRequest('Only a paused subscription can be resumed.', undefined, 'subscription_not_paused');
  }
  const before = structuredClone(subscription);
  startNewPeriod(s, subscription, nowSeconds());
  subscription.status = 'active';
  subscription.billing_cycle_anchor = currentPeriod(subscription).start;
  const invoice = openInvoice(s, subscription, 'subscription_update');
  payInvoice(s, invoice);
  s.emit('customer.subscription.resumed', subscription);
  s.emit('customer.subscription.updated', subscription, previousAttributes(before, subscription));
  announceEntitlements(s, subscription.customer);
}
