import { assertCustomerCurrency, validateLines } from '../billing';
import { invalidRequest, noSuch } from '../errors';
import { newId, nowSeconds } from '../ids';
import type { CheckoutSession, PortalSession } from '../objects';
import { hash, int, mergeMetadata, oneOf, requireStr, str } from '../params';
import { route } from '../route';
import type { StandIn } from '../standin';
import { getCustomer } from './customers';
import { linesFrom } from './subscriptions';

/**
 * Checkout Sessions (subscription mode) and Billing Portal sessions. Their `url`s lead to the
 * local pages in pages/, where a person pays, changes plan or cancels.
 */
export function getCheckoutSession(s: StandIn, id: string): CheckoutSession {
  const session = s.state.checkoutSessions[id];
  if (!session) throw noSuch('checkout.session', id);
  return session;
}

export function getPortalSession(s: StandIn, id: string): PortalSession {
  const session = s.state.portalSessions[id];
  if (!session) throw noSuch('billing_portal.session', id);
  return session;
}

/** Open sessions past `expires_at` expire (checkout.session.expired), as Stripe does on its own. */
export function expireIfDue(s: StandIn, session: CheckoutSession): void {
  if (session.status === 'open' && session.expires_at <= nowSeconds()) expireSession(s, session);
}

function expireSession(s: StandIn, session: CheckoutSession): void {
  session.status = 'expired';
  session.url = null;
  s.emit('checkout.session.expired', session);
}

export const sessionRoutes = [
  route('POST', '/v1/checkout/sessions', ({ s, params }) => {
    const mode = oneOf(params, 'mode', ['payment', 'setup', 'subscription'] as const);
    if (!mode) throw invalidRequest('Missing required param: mode.', 'mode', 'parameter_missing');
    if (mode !== 'subscription') {
      throw invalidRequest(`The local Stripe stand-in only implements mode=subscription (got ${mode}).`, 'mode');
    }
    const customerId = str(params, 'customer');
    const customer = customerId ? getCustomer(s, customerId, 'customer') : undefined;
    const customerEmail = str(params, 'customer_email') || null;
    if (customer && customerEmail) {
      throw invalidRequest('You may only specify one of these parameters: customer, customer_email.', 'customer_email');
    }
    const lines = linesFrom(s, params, 'line_items');
    lines.forEach((line, index) => {
      if (line.price.recurring?.usage_type !== 'metered' && line.quantity === undefined) {
        throw invalidRequest(
          `Quantity is required. Add \`quantity\` to \`line_items[${index}]\``,
          `line_items[${index}][quantity]`,
        );
      }
    });
    validateLines(lines, 'line_items');
    if (customer) assertCustomerCurrency(s, customer.id, lines[0]?.price.currency ?? 'usd', 'line_items');
    const subscriptionData = hash(params, 'subscription_data') ?? {};
    const trialDays = int(subscriptionData, 'trial_period_days') ?? null;
    if (trialDays !== null && trialDays < 1) {
      throw invalidRequest('trial_period_days must be at least 1.', 'subscription_data[trial_period_days]');
    }
    const now = nowSeconds();
    const id = newId('cs_test', 58);
    const amount = trialDays ? 0 : lines.reduce((sum, l) => sum + (l.price.unit_amount ?? 0) * (l.quantity ?? 0), 0);
    const session: CheckoutSession = {
      id,
      object: 'checkout.session',
      amount_subtotal: amount,
      amount_total: amount,
      cancel_url: str(params, 'cancel_url') || null,
      client_reference_id: str(params, 'client_reference_id') || null,
      created: now,
      currency: lines[0]?.price.currency ?? 'usd',
      customer: customer?.id ?? null,
      customer_email: customerEmail,
      expires_at: now + 24 * 3600,
      invoice: null,
      livemode: false,
      metadata: mergeMetadata({}, params),
      mode: 'subscription',
      payment_method_collection: 'always',
      payment_status: 'unpaid',
      status: 'open',
      subscription: null,
      success_url: requireStr(params, 'success_url'),
      ui_mode: 'hosted',
      url: `${s.baseUrl}/c/pay/${id}`,
    };
    s.state.checkoutSessions[id] = session;
    s.state.checkoutPlans[id] = {
      lineItems: lines.map((l) => ({ price: l.price.id, quantity: l.quantity ?? 1 })),
      subscriptionMetadata: mergeMetadata({}, subscriptionData),
      trialPeriodDays: trialDays,
    };
    s.changed();
    return s.render(session, params);
  }),
  route('GET', '/v1/checkout/sessions/:id', ({ s, params, path }) => {
    const session = getCheckoutSession(s, path.id ?? '');
    expireIfDue(s, session);
    return s.render(session, params);
  }),
  route('GET', '/v1/checkout/sessions/:id/line_items', ({ s, params, path }) => {
    const session = getCheckoutSession(s, path.id ?? '');
    const items = (s.checkoutLineItems(session.id)?.data ?? []) as Array<{ id: string }>;
    return s.renderList(items, params, `/v1/checkout/sessions/${session.id}/line_items`);
  }),
  route('POST', '/v1/checkout/sessions/:id/expire', ({ s, params, path }) => {
    const session = getCheckoutSession(s, path.id ?? '');
    if (session.status !== 'open') {
      throw invalidRequest(`Only Checkout Sessions with a status of open can be expired (this one is ${session.status}).`);
    }
    expireSession(s, session);
    return s.render(session, params);
  }),
  route('POST', '/v1/billing_portal/sessions', ({ s, params }) => {
    const customer = getCustomer(s, requireStr(params, 'customer'), 'customer');
    if (params.flow_data !== undefined) {
      throw invalidRequest('The local Stripe stand-in does not implement portal flow_data.', 'flow_data');
    }
    const id = newId('bps', 24);
    const session: PortalSession = {
      id,
      object: 'billing_portal.session',
      configuration: str(params, 'configuration') || 'bpc_bulkhead_local_default',
      created: nowSeconds(),
      customer: customer.id,
      flow: null,
      livemode: false,
      locale: null,
      on_behalf_of: null,
      return_url: str(params, 'return_url') || null,
      url: `${s.baseUrl}/p/session/${id}`,
    };
    s.state.portalSessions[id] = session;
    s.emit('billing_portal.session.created', session);
    return s.render(session, params);
  }),
];
