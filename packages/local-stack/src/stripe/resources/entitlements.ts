import { createHash } from 'node:crypto';
import { noSuch } from '../errors';
import { requireStr } from '../params';
import { route } from '../route';
import type { StandIn } from '../standin';
import { getCustomer } from './customers';

/**
 * Active entitlements, derived the way Stripe derives them: the features attached to the
 * products of a customer's subscription items, for subscriptions whose status still grants
 * access. Features a product gains or loses reach an existing subscription at the start of its
 * next period (the item keeps the set it was given then, see billing.ts).
 *
 * `paused` keeps its entitlements: a trial that ends without a payment method pauses the
 * subscription, and Stripe neither revokes the entitlements nor sends a summary event then.
 */
export const GRANTING_STATUSES = new Set(['active', 'trialing', 'past_due', 'paused']);

export interface ActiveEntitlement {
  id: string;
  object: 'entitlements.active_entitlement';
  feature: string;
  livemode: boolean;
  lookup_key: string;
}

/** Same customer and feature, same id, so the id survives recomputation. */
function entitlementId(customer: string, feature: string): string {
  return `ent_test_${createHash('sha256').update(`${customer}/${feature}`).digest('hex').slice(0, 28)}`;
}

export function activeEntitlements(s: StandIn, customer: string): ActiveEntitlement[] {
  const granted = new Set<string>();
  for (const subscription of Object.values(s.state.subscriptions)) {
    if (subscription.customer !== customer || !GRANTING_STATUSES.has(subscription.status)) continue;
    for (const item of subscription.items.data) for (const feature of s.state.itemFeatures[item.id] ?? []) granted.add(feature);
  }
  return Object.values(s.state.features)
    .filter((feature) => granted.has(feature.id))
    .map((feature) => ({
      id: entitlementId(customer, feature.id),
      object: 'entitlements.active_entitlement' as const,
      feature: feature.id,
      livemode: false,
      lookup_key: feature.lookup_key,
    }));
}

function summary(customer: string, entitlements: ActiveEntitlement[]) {
  return {
    object: 'entitlements.active_entitlement_summary',
    customer,
    entitlements: { object: 'list', data: entitlements, has_more: false, url: `/v1/customer/${customer}/entitlements` },
    livemode: false,
  };
}

/** Emits `entitlements.active_entitlement_summary.updated` when the customer's set changed. */
export function announceEntitlements(s: StandIn, customer: string): void {
  const current = activeEntitlements(s, customer);
  const ids = current.map((e) => e.feature);
  const before = s.state.announcedEntitlements[customer] ?? [];
  if (before.length === ids.length && before.every((id, i) => id === ids[i])) return;
  s.state.announcedEntitlements[customer] = ids;
  const previous = before
    .map((feature) => s.state.features[feature])
    .filter((feature) => feature !== undefined)
    .map((feature) => ({
      id: entitlementId(customer, feature.id),
      object: 'entitlements.active_entitlement',
      feature: feature.id,
      livemode: false,
      lookup_key: feature.lookup_key,
    }));
  s.emit('entitlements.active_entitlement_summary.updated', summary(customer, current), {
    entitlements: { data: previous },
  });
}

export const entitlementRoutes = [
  route('GET', '/v1/entitlements/active_entitlements', ({ s, params }) => {
    const customer = getCustomer(s, requireStr(params, 'customer'), 'customer');
    return s.renderList(activeEntitlements(s, customer.id), params, '/v1/entitlements/active_entitlements');
  }),
  route('GET', '/v1/entitlements/active_entitlements/:id', ({ s, params, path }) => {
    for (const customer of Object.keys(s.state.customers)) {
      const found = activeEntitlements(s, customer).find((e) => e.id === path.id);
      if (found) return s.render(found, params);
    }
    throw noSuch('active entitlement', path.id ?? '');
  }),
];
