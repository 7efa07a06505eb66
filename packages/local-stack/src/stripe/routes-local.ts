import { pauseAtTrialEnd, renew, setItemPrice } from './billing';
import { sweepExpiredGrants } from './credits';
import { invalidRequest } from './errors';
import type { Params } from './form';
import type { SubscriptionStatus } from './objects';
import { bool, int, oneOf, str } from './params';
import { getPrice } from './resources/catalog';
import { assertOpen, endGrant, getCreditGrant } from './resources/credits';
import { announceEntitlements } from './resources/entitlements';
import { getSubscription } from './resources/subscriptions';
import { route } from './route';
import type { StandIn } from './standin';

/**
 * Local control endpoints under /_local — not Stripe's API. They stand for what time, banks
 * and Stripe's own infrastructure do to an account (renewals, failed payments, trials ending,
 * lost or repeated webhooks) so tests can make those happen on demand. Same API key as /v1.
 */
function silently<T>(s: StandIn, params: Params, action: () => T): T {
  const silent = bool(params, 'silent') ?? false;
  const was = s.silent;
  s.silent = was || silent;
  try {
    return action();
  } finally {
    s.silent = was;
  }
}

function rate(params: Params, name: string): number | undefined {
  const value = str(params, name);
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw invalidRequest(`${name} must be a number from 0 to 1.`, name);
  return n;
}

function settings(s: StandIn) {
  return {
    object: 'local.webhook_settings',
    chaos: s.state.chaos,
    delivery: s.state.delivery,
    suppress_events: s.state.suppressEvents,
  };
}

const STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] as const;

export function localRoutes(onReset: (s: StandIn) => void) {
  return [
    route('POST', '/_local/reset', ({ s }) => {
      s.reset();
      onReset(s);
      return { object: 'local.reset', reset: true };
    }),
    route('GET', '/_local/webhooks/settings', ({ s }) => settings(s)),
    route('POST', '/_local/webhooks/settings', ({ s, params }) => {
      const { chaos, delivery } = s.state;
      const next = {
        duplicate_rate: rate(params, 'duplicate_rate') ?? chaos.duplicate_rate,
        drop_rate: rate(params, 'drop_rate') ?? chaos.drop_rate,
        shuffle_window: int(params, 'shuffle_window') ?? chaos.shuffle_window,
        seed: int(params, 'seed') ?? chaos.seed,
      };
      if (next.shuffle_window < 0 || next.shuffle_window > 10_000) {
        throw invalidRequest('shuffle_window must be from 0 to 10000.', 'shuffle_window');
      }
      const nextDelivery = {
        concurrency: int(params, 'concurrency') ?? delivery.concurrency,
        max_attempts: int(params, 'max_attempts') ?? delivery.max_attempts,
        retry_base_ms: int(params, 'retry_base_ms') ?? delivery.retry_base_ms,
        timeout_ms: int(params, 'timeout_ms') ?? delivery.timeout_ms,
      };
      if (nextDelivery.concurrency < 1 || nextDelivery.concurrency > 64) {
        throw invalidRequest('concurrency must be from 1 to 64.', 'concurrency');
      }
      if (nextDelivery.max_attempts < 1) throw invalidRequest('max_attempts must be at least 1.', 'max_attempts');
      if (nextDelivery.retry_base_ms < 0) throw invalidRequest('retry_base_ms must be at least 0.', 'retry_base_ms');
      if (nextDelivery.timeout_ms < 1) throw invalidRequest('timeout_ms must be at least 1.', 'timeout_ms');
      s.state.chaos = next;
      s.state.delivery = nextDelivery;
      s.deliverer.reseed();
      s.changed();
      return settings(s);
    }),
    // Resolves once nothing is queued or in flight: the shuffle window is released, retries are not waited for.
    route('POST', '/_local/webhooks/flush', ({ s, params }) => s.deliverer.flush(int(params, 'timeout_ms') ?? 30_000)),
    route('GET', '/_local/webhooks/deliveries', ({ s, params }) => {
      const event = str(params, 'event');
      const status = str(params, 'status');
      const data = s.state.deliveries.filter((d) => (!event || d.event === event) && (!status || d.status === status));
      return { object: 'list', data, has_more: false, url: '/_local/webhooks/deliveries' };
    }),
    route('POST', '/_local/events/suppress', ({ s, params }) => {
      const enabled = bool(params, 'enabled');
      if (enabled === undefined) throw invalidRequest('Pass enabled=true or enabled=false.', 'enabled');
      s.state.suppressEvents = enabled;
      s.changed();
      return settings(s);
    }),
    route('POST', '/_local/subscriptions/:id/advance', ({ s, params, path }) => {
      const subscription = getSubscription(s, path.id ?? '');
      const outcome = oneOf(params, 'outcome', ['paid', 'failed'] as const) ?? 'paid';
      silently(s, params, () => renew(s, subscription, outcome));
      return s.render(subscription, params);
    }),
    route('POST', '/_local/subscriptions/:id/payment_failed', ({ s, params, path }) => {
      const subscription = getSubscription(s, path.id ?? '');
      silently(s, params, () => renew(s, subscription, 'failed'));
      return s.render(subscription, params);
    }),
    route('POST', '/_local/subscriptions/:id/trial_end_without_payment_method', ({ s, params, path }) => {
      const subscription = getSubscription(s, path.id ?? '');
      silently(s, params, () => pauseAtTrialEnd(s, subscription));
      return s.render(subscription, params);
    }),
    // Changes a subscription with no event at all: what a lost event looks like from the outside.
    route('POST', '/_local/subscriptions/:id/set', ({ s, params, path }) => {
      const subscription = getSubscription(s, path.id ?? '');
      const status = oneOf(params, 'status', STATUSES);
      const priceId = str(params, 'price');
      const price = priceId ? getPrice(s, priceId, 'price') : undefined;
      const quantity = int(params, 'quantity');
      const item = subscription.items.data.find((i) => i.price.recurring?.usage_type !== 'metered');
      if ((price || quantity !== undefined) && !item) throw invalidRequest('This subscription has no licensed item.', 'price');
      silently(s, { silent: 'true' }, () => {
        if (status) {
          subscription.status = status as SubscriptionStatus;
          if (status === 'canceled') subscription.ended_at ??= Math.floor(Date.now() / 1000);
        }
        if (item && price) setItemPrice(s, item, price);
        if (item && quantity !== undefined) item.quantity = quantity;
        announceEntitlements(s, subscription.customer);
      });
      return s.render(subscription, params);
    }),
    // Ends or re-dates a credit grant with no event at all (the ledger still records its debit), for reconciliation tests.
    route('POST', '/_local/credit_grants/:id/set', ({ s, params, path }) => {
      const grant = getCreditGrant(s, path.id ?? '');
      const end = oneOf(params, 'end', ['expire', 'void'] as const);
      const expiresAt = params.expires_at === '' ? null : int(params, 'expires_at');
      if (!end && expiresAt === undefined) throw invalidRequest('Pass end=expire, end=void or expires_at.', 'end');
      assertOpen(s, grant, end ? 'end' : 'expires_at');
      if (expiresAt != null && expiresAt <= grant.effective_at) {
        throw invalidRequest('expires_at must be after effective_at.', 'expires_at');
      }
      silently(s, { silent: 'true' }, () => {
        if (end) endGrant(s, grant, end);
        else if (expiresAt !== undefined) {
          grant.expires_at = expiresAt;
          sweepExpiredGrants(s, grant.customer);
        }
      });
      return s.render(grant, params);
    }),
  ];
}
