import { newId, nowSeconds } from './ids';
import type { Invoice, InvoiceLine, Subscription } from './objects';
import { currentPeriod } from './periods';
import type { StandIn } from './standin';

/**
 * Subscription invoices: drafted and finalized for the current period, then paid (the stand-in's
 * test card) or failed (a control endpoint). Amounts are unit amount × quantity of licensed
 * items, zero during a trial; no prorations, taxes or usage lines.
 */

/** Drafts and finalizes the invoice for the subscription's current period (invoice.created, invoice.finalized). */
export function openInvoice(s: StandIn, subscription: Subscription, reason: Invoice['billing_reason']): Invoice {
  const now = nowSeconds();
  const id = newId('in', 24);
  const trial = subscription.status === 'trialing';
  const period = currentPeriod(subscription);
  const customer = s.state.customers[subscription.customer];
  const lines: InvoiceLine[] = subscription.items.data.map((item) => {
    const quantity = item.quantity ?? 0;
    const amount = trial ? 0 : (item.price.unit_amount ?? 0) * quantity;
    const product = s.state.products[item.price.product];
    return {
      id: newId('il', 24),
      object: 'line_item',
      amount,
      currency: item.price.currency,
      description: `${trial ? 'Trial period for ' : ''}${quantity} × ${product?.name ?? item.price.product}`,
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
      period: { start: item.current_period_start, end: item.current_period_end },
      pricing: {
        price_details: { price: item.price.id, product: item.price.product },
        type: 'price_details',
        unit_amount_decimal: item.price.unit_amount_decimal,
      },
      quantity: item.quantity ?? null,
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
  };
  s.state.invoices[id] = invoice;
  subscription.latest_invoice = id;
  s.emit('invoice.created', invoice);
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
