import {
  cancelNow,
  createSubscription,
  type Line,
  resume,
  setCancelAtPeriodEnd,
  setItemPrice,
  updateSubscription,
  validateLines,
} from '../billing';
import { invalidRequest, noSuch } from '../errors';
import type { FormValue, Params } from '../form';
import { newId, nowSeconds } from '../ids';
import { payInvoice } from '../invoicing';
import type { Invoice, Subscription, SubscriptionItem } from '../objects';
import { array, bool, createdFilter, int, mergeMetadata, oneOf, requireStr, str } from '../params';
import { type ApiRequest, route } from '../route';
import type { StandIn } from '../standin';
import { getPrice } from './catalog';
import { getCustomer } from './customers';

/** Subscriptions, subscription items and invoices. */
export function getSubscription(s: StandIn, id: string, param = 'id'): Subscription {
  const subscription = s.state.subscriptions[id];
  if (!subscription) throw noSuch('subscription', id, param);
  return subscription;
}

function findItem(s: StandIn, id: string): { subscription: Subscription; item: SubscriptionItem } {
  for (const subscription of Object.values(s.state.subscriptions)) {
    const item = subscription.items.data.find((i) => i.id === id);
    if (item) return { subscription, item };
  }
  throw noSuch('subscription item', id);
}

function asParams(value: FormValue | undefined, param: string): Params {
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest(`Invalid object: ${param}`, param);
  return value;
}

export function linesFrom(s: StandIn, params: Params, name: string): Line[] {
  return (array(params, name) ?? []).map((value, index) => {
    const line = asParams(value, `${name}[${index}]`);
    return { price: getPrice(s, requireStr(line, 'price'), `${name}[${index}][price]`), quantity: int(line, 'quantity') };
  });
}

/** `items[]` of an update: change (id), delete (id + deleted) or add (price) items. */
function applyItemChanges(s: StandIn, subscription: Subscription, params: Params): void {
  const changes = array(params, 'items') ?? [];
  changes.forEach((value, index) => {
    const change = asParams(value, `items[${index}]`);
    const id = str(change, 'id');
    const priceId = str(change, 'price');
    const quantity = int(change, 'quantity');
    if (id) {
      const item = subscription.items.data.find((i) => i.id === id);
      if (!item) throw noSuch('subscription item', id, `items[${index}][id]`);
      if (bool(change, 'deleted')) {
        subscription.items.data = subscription.items.data.filter((i) => i !== item);
        return;
      }
      if (priceId && priceId !== item.price.id) setItemPrice(s, item, getPrice(s, priceId, `items[${index}][price]`));
      if (quantity !== undefined) item.quantity = quantity;
      item.metadata = mergeMetadata(item.metadata, change);
      return;
    }
    if (!priceId) throw invalidRequest('Each new item needs a price.', `items[${index}][price]`);
    const price = getPrice(s, priceId, `items[${index}][price]`);
    const template = subscription.items.data[0];
    const item: SubscriptionItem = {
      id: newId('si', 14),
      object: 'subscription_item',
      billing_thresholds: null,
      created: nowSeconds(),
      current_period_end: template?.current_period_end ?? nowSeconds(),
      current_period_start: template?.current_period_start ?? nowSeconds(),
      discounts: [],
      metadata: mergeMetadata({}, change),
      price: structuredClone(price),
      subscription: subscription.id,
      tax_rates: [],
    };
    setItemPrice(s, item, price);
    if (quantity !== undefined) item.quantity = quantity;
    subscription.items.data.push(item);
  });
  validateLines(
    subscription.items.data.map((item) => ({ price: item.price, quantity: item.quantity })),
    'items',
  );
  subscription.items.total_count = subscription.items.data.length;
}

function updateRoute({ s, params, path }: ApiRequest) {
  const subscription = getSubscription(s, path.id ?? '');
  if (subscription.status === 'canceled') {
    throw invalidRequest('A canceled subscription can only update its metadata.', undefined, 'subscription_canceled');
  }
  oneOf(params, 'proration_behavior', ['always_invoice', 'create_prorations', 'none'] as const);
  updateSubscription(s, subscription, () => {
    applyItemChanges(s, subscription, params);
    subscription.metadata = mergeMetadata(subscription.metadata, params);
    const cancelAtPeriodEnd = bool(params, 'cancel_at_period_end');
    if (cancelAtPeriodEnd !== undefined) setCancelAtPeriodEnd(subscription, cancelAtPeriodEnd);
    const description = str(params, 'description');
    if (description !== undefined) subscription.description = description || null;
  });
  return s.render(subscription, params);
}

const STATUSES = [
  'active',
  'all',
  'canceled',
  'ended',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'paused',
  'trialing',
  'unpaid',
] as const;

export const subscriptionRoutes = [
  route('POST', '/v1/subscriptions', ({ s, params }) => {
    const customer = getCustomer(s, requireStr(params, 'customer'), 'customer');
    const lines = linesFrom(s, params, 'items');
    validateLines(lines, 'items');
    const trialDays = int(params, 'trial_period_days') ?? null;
    const { subscription, invoice } = createSubscription(s, {
      customer: customer.id,
      lines,
      metadata: mergeMetadata({}, params),
      trialDays,
      paymentMethod: str(params, 'default_payment_method') || 'pm_card_visa',
    });
    payInvoice(s, invoice);
    updateSubscription(s, subscription, () => undefined);
    return s.render(subscription, params);
  }),
  route('GET', '/v1/subscriptions/:id', ({ s, params, path }) => s.render(getSubscription(s, path.id ?? ''), params)),
  route('POST', '/v1/subscriptions/:id', updateRoute),
  route('DELETE', '/v1/subscriptions/:id', ({ s, params, path }) => {
    const subscription = getSubscription(s, path.id ?? '');
    cancelNow(s, subscription);
    return s.render(subscription, params);
  }),
  route('POST', '/v1/subscriptions/:id/resume', ({ s, params, path }) => {
    const subscription = getSubscription(s, path.id ?? '');
    oneOf(params, 'billing_cycle_anchor', ['now', 'unchanged'] as const);
    resume(s, subscription);
    return s.render(subscription, params);
  }),
  route('GET', '/v1/subscriptions', ({ s, params }) => {
    const customer = str(params, 'customer');
    const price = str(params, 'price');
    const status = oneOf(params, 'status', STATUSES);
    const created = createdFilter(params);
    const matchesStatus = (sub: Subscription) => {
      if (status === 'all') return true;
      if (status === 'ended') return sub.status === 'canceled' || sub.status === 'incomplete_expired';
      if (status) return sub.status === status;
      return sub.status !== 'canceled' && sub.status !== 'incomplete_expired';
    };
    const items = s
      .newestFirst(s.state.subscriptions)
      .filter(
        (sub) =>
          (!customer || sub.customer === customer) &&
          (!price || sub.items.data.some((i) => i.price.id === price)) &&
          matchesStatus(sub) &&
          created(sub.created),
      );
    return s.renderList(items, params, '/v1/subscriptions');
  }),
  route('GET', '/v1/subscription_items/:id', ({ s, params, path }) => s.render(findItem(s, path.id ?? '').item, params)),
  route('POST', '/v1/subscription_items/:id', ({ s, params, path }) => {
    const { subscription, item } = findItem(s, path.id ?? '');
    oneOf(params, 'proration_behavior', ['always_invoice', 'create_prorations', 'none'] as const);
    updateSubscription(s, subscription, () => {
      const priceId = str(params, 'price');
      if (priceId && priceId !== item.price.id) setItemPrice(s, item, getPrice(s, priceId, 'price'));
      const quantity = int(params, 'quantity');
      if (quantity !== undefined) {
        if (item.price.recurring?.usage_type === 'metered') {
          throw invalidRequest('Quantity should not be specified where usage_type is `metered`.', 'quantity');
        }
        if (quantity < 0) throw invalidRequest('Quantity must be at least 0.', 'quantity');
        item.quantity = quantity;
      }
      item.metadata = mergeMetadata(item.metadata, params);
    });
    return s.render(item, params);
  }),
  route('GET', '/v1/subscription_items', ({ s, params }) => {
    const subscription = getSubscription(s, requireStr(params, 'subscription'), 'subscription');
    return s.renderList([...subscription.items.data].reverse(), params, `/v1/subscription_items?subscription=${subscription.id}`);
  }),
  route('GET', '/v1/invoices/:id', ({ s, params, path }) => {
    const invoice = s.state.invoices[path.id ?? ''];
    if (!invoice) throw noSuch('invoice', path.id ?? '');
    return s.render(invoice, params);
  }),
  route('GET', '/v1/invoices', ({ s, params }) => {
    const customer = str(params, 'customer');
    const subscription = str(params, 'subscription');
    const status = str(params, 'status');
    const created = createdFilter(params);
    const items = s
      .newestFirst(s.state.invoices)
      .filter(
        (inv: Invoice) =>
          (!customer || inv.customer === customer) &&
          (!subscription || inv.parent.subscription_details.subscription === subscription) &&
          (!status || inv.status === status) &&
          created(inv.created),
      );
    return s.renderList(items, params, '/v1/invoices');
  }),
];
