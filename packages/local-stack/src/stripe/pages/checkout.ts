import { assertCustomerCurrency, createSubscription, updateSubscription } from '../billing';
import { StripeApiError } from '../errors';
import { newId, nowSeconds, randomTail } from '../ids';
import { payInvoice } from '../invoicing';
import type { Customer, Price } from '../objects';
import { expireIfDue } from '../resources/sessions';
import type { StandIn } from '../standin';
import { escapeHtml, html, money, type PageReply, page, redirect } from './html';

/**
 * The hosted Checkout page a session's `url` opens. "Pay" stands for paying with Stripe's test
 * card: it creates the subscription, its items and a paid invoice, completes the session, and
 * redirects to `success_url` with `{CHECKOUT_SESSION_ID}` filled in. "Cancel" goes to
 * `cancel_url` and leaves the session open, as on Stripe.
 */
export function checkoutPage(s: StandIn, id: string, error?: string): PageReply {
  const session = s.state.checkoutSessions[id];
  const plan = s.state.checkoutPlans[id];
  if (!session || !plan) return html(page('Checkout', '<h1>This Checkout Session does not exist.</h1>'), 404);
  expireIfDue(s, session);
  if (session.status !== 'open') {
    return html(page('Checkout', `<h1>This Checkout Session is ${escapeHtml(session.status)}.</h1>`), 410);
  }
  const rows = (s.checkoutLineItems(id)?.data ?? []) as Array<{
    description: string | null;
    quantity: number;
    amount_total: number;
  }>;
  const customer = session.customer ? s.state.customers[session.customer] : undefined;
  const email = customer?.email ?? session.customer_email ?? '';
  const body = `
<h1>Subscribe</h1>
<table>
<thead><tr><th>Item</th><th>Quantity</th><th>Amount</th></tr></thead>
<tbody>
${rows
  .map(
    (row) =>
      `<tr><td>${escapeHtml(row.description)}</td><td>${row.quantity}</td><td>${money(row.amount_total, session.currency)}</td></tr>`,
  )
  .join('\n')}
</tbody>
</table>
${plan.trialPeriodDays ? `<p>Free trial: ${plan.trialPeriodDays} days, then billed each period.</p>` : ''}
<p>Due today: <strong data-testid="amount-total">${money(session.amount_total, session.currency)}</strong></p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/c/pay/${escapeHtml(id)}">
<p><label>Email <input name="email" type="email" value="${escapeHtml(email)}" ${customer ? 'readonly' : 'required'}></label></p>
<p><label>Card number <input name="card" value="4242 4242 4242 4242" readonly></label> (Stripe's test card)</p>
<button type="submit">Pay</button>
${session.cancel_url ? `<a href="${escapeHtml(session.cancel_url)}">Cancel</a>` : ''}
</form>`;
  return html(page('Checkout', body));
}

function customerFor(s: StandIn, existing: string | null, email: string): Customer {
  if (existing) {
    const found = s.state.customers[existing];
    if (found) return found;
  }
  // Checkout without `customer` creates one, as Stripe does.
  const customer: Customer = {
    id: newId('cus', 14),
    object: 'customer',
    address: null,
    balance: 0,
    created: nowSeconds(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: email || null,
    invoice_prefix: randomTail(8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
  s.state.customers[customer.id] = customer;
  s.emit('customer.created', customer);
  return customer;
}

export function completeCheckout(s: StandIn, id: string, form: URLSearchParams): PageReply {
  const session = s.state.checkoutSessions[id];
  const plan = s.state.checkoutPlans[id];
  if (!session || !plan) return checkoutPage(s, id);
  expireIfDue(s, session);
  if (session.status !== 'open') return checkoutPage(s, id);
  const email = (form.get('email') ?? '').trim();
  if (!session.customer && !email) return checkoutPage(s, id, 'Enter an email address.');
  const prices = plan.lineItems.map((line) => s.state.prices[line.price]);
  if (prices.some((price) => !price?.active)) return checkoutPage(s, id, 'A price of this session is no longer available.');
  const lines = plan.lineItems.map((line, index) => {
    const price = prices[index] as Price;
    return { price, quantity: price.recurring?.usage_type === 'metered' ? undefined : line.quantity };
  });

  // Another subscription in a different currency may have started since the session was made.
  if (session.customer) {
    try {
      assertCustomerCurrency(s, session.customer, session.currency, 'line_items');
    } catch (error) {
      if (error instanceof StripeApiError) return checkoutPage(s, id, error.message);
      throw error;
    }
  }
  const customer = customerFor(s, session.customer, email);
  // The test card becomes the subscription's payment method (Checkout leaves the customer's default alone).
  const paymentMethod = `pm_${randomTail(24)}`;
  const { subscription, invoice } = createSubscription(s, {
    customer: customer.id,
    lines,
    metadata: { ...plan.subscriptionMetadata },
    trialDays: plan.trialPeriodDays,
    paymentMethod,
  });
  session.status = 'complete';
  session.payment_status = invoice.amount_due === 0 ? 'no_payment_required' : 'paid';
  session.customer = customer.id;
  session.subscription = subscription.id;
  session.invoice = invoice.id;
  session.url = null;
  s.emit('checkout.session.completed', session);
  payInvoice(s, invoice);
  // Announces the entitlements the new subscription grants.
  updateSubscription(s, subscription, () => undefined);
  return redirect(session.success_url.replaceAll('{CHECKOUT_SESSION_ID}', session.id));
}
