import 'server-only';
import type Stripe from 'stripe';

/**
 * The Stripe event types the kit acts on. Each is only a trigger: the handler re-fetches the
 * customer's subscriptions, active entitlements and credits, whatever the payload says.
 */
export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'invoice.paid',
  'invoice.payment_failed',
  'entitlements.active_entitlement_summary.updated',
  'billing.credit_grant.created',
  'billing.credit_grant.updated',
  'billing.credit_balance_transaction.created',
] as const;

export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];

export function isHandled(type: string): type is HandledEventType {
  return (HANDLED_EVENT_TYPES as readonly string[]).includes(type);
}

/** The customer an event's object names on data.object.customer (every handled type but ledger entries). */
export function customerOf(event: { data: { object: unknown } }): string | null {
  const customer = (event.data.object as { customer?: unknown }).customer;
  if (typeof customer === 'string') return customer;
  if (customer && typeof customer === 'object' && typeof (customer as { id?: unknown }).id === 'string') {
    return (customer as { id: string }).id;
  }
  return null;
}

/**
 * The customer an event concerns. A credit balance transaction names only its grant, so the grant
 * is fetched from Stripe to find the customer.
 */
export async function resolveCustomer(
  event: { type: string; data: { object: unknown } },
  stripe: Stripe,
): Promise<string | null> {
  const direct = customerOf(event);
  if (direct || event.type !== 'billing.credit_balance_transaction.created') return direct;
  const grant = (event.data.object as { credit_grant?: unknown }).credit_grant;
  const grantId = typeof grant === 'string' ? grant : (grant as { id?: string } | null)?.id;
  if (!grantId) return null;
  return customerOf({ data: { object: await stripe.billing.creditGrants.retrieve(grantId) } });
}
