import { applyCredits } from './credits';
import { newId, nowSeconds } from './ids';
import type { Invoice, InvoiceLine, Price, Subscription } from './objects';
import { currentPeriod } from './periods';
import type { StandIn } from './standin';
import type { ItemUsage } from './usage';

/**
 * Subscription invoices: drafted and finalized for the current period, then paid (the stand-in's
 * test card) or failed (a control endpoint). Licensed items are billed ahead (unit amount ×
 * quantity, zero during a trial); metered items are billed for the usage of the period that
 * ended (see usage.ts), and billing credits pay for those lines first (see credits.ts). No
 * prorations or taxes.
 */

/**
 * Drafts and finalizes the invoice for the subscription's current period (invoice.created,
 * any billing.credit_balance_transaction.created for applied credits, invoice.finalized).
 * `usage` holds what each metered item used in the period that ended (none on a first invoice).
 */
export function openInvoice(
  s: StandIn,
  subscription: Subscription,
  reason: Invoice['billing_reason'],
  usage: Map<string, ItemUsage> = new Map(),
): Invoice {
  const now = nowSeconds();
  const id = newId('in', 24);
  const trial = subscription.status === 'trialing';
  const period = currentPeriod(subscription);
  const customer = s.state.customers[subscription.customer];
  const prices = new Map<string, Price>();
  const lines: InvoiceLine[] = subscription.items.data.map((item) => {
    const used = usage.get(item.id);
    const metered = item.price.recurring?.usage_type === 'metered';
    const quantity = metered ? (used?.quantity ?? 0) : (item.quantity ?? 0);
    const free = metered ? (used?.free ?? true) : trial;
    const amount = free ? 0 : (item.price.unit_amount ?? 0) * quantity;
    const product = s.state.products[item.price.product];
    const lineId = newId('il', 24);
    prices.set(lineId, item.price);
    const label = metered
      ? `${quantity} × ${product?.name ?? item.price.product} (usage)`
      : `${quantity} × ${product?.name ?? item.price.product}`;
    return {
      id: lineId,
      object: 'line_item',
      amount,
      currency: item.price.currency,
      description: `${free && !metered ? 'Trial period for ' : ''}${label}`,
      discountable: true,
      invoice: id,
      livemode: false,
      metadata: {},
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: {
          invoice_item: null,
          proration: false,
          subscription: subscription.id,
          subscription_item: item.id,
        },
      },
      period: used?.period ?? { start: item.current_period_start, end: item.current_period_end },
      pretax_credit_amounts: [],
      pricing: {
        price_details: { price: item.price.id, product: item.price.product },
        type: 'price_details',
        unit_amount_decimal: item.price.unit_amount_decimal,
      },
      quantity: metered ? quantity : (item.quantity ?? null),
    };
  });
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  const sequence = customer ? customer.next_invoice_sequence++ : 1;
  const invoice: Invoice = {
    id,
    object: 'invoice',
    account_country: 'US',
    amount_due: total,
    amount_paid: 0,
    amount_remaining: total,
    attempt_count: 0,
    attempted: false,
    billing_reason: reason,
    collection_method: 'charge_automatically',
    created: now,
    currency: subscription.currency,
    customer: subscription.customer,
    customer_email: customer?.email ?? null,
    customer_name: customer?.name ?? null,
    hosted_invoice_url: null,
    lines: { object: 'list', data: lines, has_more: false, total_count: lines.length, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: `${customer?.invoice_prefix ?? 'LOCAL'}-${String(sequence).padStart(4, '0')}`,
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { metadata: { ...subscription.metadata }, subscription: subscription.id },
    },
    period_end: period.start,
    period_start: period.start,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: total,
    total,
    total_pretax_credit_amounts: [],
  };
  s.state.invoices[id] = invoice;
  subscription.latest_invoice = id;
  s.emit('invoice.created', invoice);
  applyCredits(s, invoice, prices);
  invoice.status = 'open';
  invoice.status_transitions.finalized_at = now;
  s.emit('invoice.finalized', invoice);
  return invoice;
}

export function payInvoice(s: StandIn, invoice: Invoice): void {
  const now = nowSeconds();
  invoice.status = 'paid';
  invoice.attempted = true;
  invoice.attempt_count += 1;
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.status_transitions.paid_at = now;
  invoice.next_payment_attempt = null;
  s.emit('invoice.paid', invoice);
  s.emit('invoice.payment_succeeded', invoice);
}

export function failInvoice(s: StandIn, invoice: Invoice): void {
  invoice.attempted = true;
  invoice.attempt_count += 1;
  invoice.next_payment_attempt = nowSeconds() + 3 * 86_400;
  s.emit('invoice.payment_failed', invoice);
}
