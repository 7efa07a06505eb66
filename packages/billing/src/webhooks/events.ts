/**
 * The Stripe event types the kit acts on. Each is only a trigger: the handler re-fetches the
 * customer's subscriptions and active entitlements, whatever the payload says.
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
] as const;

export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];

export function isHandled(type: string): type is HandledEventType {
  return (HANDLED_EVENT_TYPES as readonly string[]).includes(type);
}

/** The customer an event concerns: every handled type carries it on data.object.customer. */
export function customerOf(event: { data: { object: unknown } }): string | null {
  const customer = (event.data.object as { customer?: unknown }).customer;
  if (typeof customer === 'string') return customer;
  if (customer && typeof customer === 'object' && typeof (customer as { id?: unknown }).id === 'string') {
    return (customer as { id: string }).id;
  }
  return null;
}
