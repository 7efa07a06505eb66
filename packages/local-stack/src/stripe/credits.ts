import { newId, nowSeconds } from './ids';
import type { CreditBalanceTransaction, CreditGrant, Invoice, InvoiceLine, Price } from './objects';
import type { StandIn } from './standin';

/**
 * The billing-credit ledger: every grant's balance is the sum of its transactions (a credit
 * when granted, debits when applied to an invoice, expired or voided), so balances, history
 * and events always agree. Credits pay only for metered prices, as on Stripe.
 *
 * Order of application when several grants fit a line (Stripe's documented order): lowest
 * `priority` first, then the grant that expires soonest (never-expiring last), then promotional
 * before paid, then the earliest `effective_at`, then the oldest grant.
 */
type DebitType = NonNullable<CreditBalanceTransaction['debit']>['type'];

function money(currency: string, value: number) {
  return { monetary: { currency, value }, type: 'monetary' as const };
}

function record(s: StandIn, transaction: CreditBalanceTransaction): CreditBalanceTransaction {
  s.state.creditBalanceTransactions[transaction.id] = transaction;
  s.emit('billing.credit_balance_transaction.created', transaction);
  return transaction;
}

export function creditGranted(s: StandIn, grant: CreditGrant): CreditBalanceTransaction {
  return record(s, {
    id: newId('cbtxn_test', 28),
    object: 'billing.credit_balance_transaction',
    created: nowSeconds(),
    credit: {
      amount: money(grant.amount.monetary.currency, grant.amount.monetary.value),
      credits_application_invoice_voided: null,
      type: 'credits_granted',
    },
    credit_grant: grant.id,
    debit: null,
    effective_at: grant.effective_at,
    livemode: false,
    test_clock: null,
    type: 'credit',
  });
}

function debit(
  s: StandIn,
  grant: CreditGrant,
  value: number,
  type: DebitType,
  applied: { invoice: string; invoice_line_item: string } | null,
  at: number,
): CreditBalanceTransaction {
  return record(s, {
    id: newId('cbtxn_test', 28),
    object: 'billing.credit_balance_transaction',
    created: nowSeconds(),
    credit: null,
    credit_grant: grant.id,
    debit: { amount: money(grant.amount.monetary.currency, value), credits_applied: applied, type },
    effective_at: at,
    livemode: false,
    test_clock: null,
    type: 'debit',
  });
}

/** What is left on a grant at `at`: credits that are in effect by then, less every debit. */
export function grantBalance(s: StandIn, grant: CreditGrant, at = nowSeconds()): number {
  let balance = 0;
  for (const t of Object.values(s.state.creditBalanceTransactions)) {
    if (t.credit_grant !== grant.id) continue;
    if (t.credit && t.effective_at <= at) balance += t.credit.amount.monetary.value;
    if (t.debit) balance -= t.debit.amount.monetary.value;
  }
  return Math.max(0, balance);
}

export function isUsable(grant: CreditGrant, at: number): boolean {
  return grant.voided_at === null && grant.effective_at <= at && (grant.expires_at === null || grant.expires_at > at);
}

/** Ends a grant (void, expire now, or an expiry date reached): what is left leaves the ledger as one debit. */
export function closeGrant(s: StandIn, grant: CreditGrant, type: 'credits_expired' | 'credits_voided', at: number): void {
  const left = grantBalance(s, grant, Math.max(at, grant.effective_at));
  if (left > 0) debit(s, grant, left, type, null, at);
}

/**
 * Grants whose `expires_at` has passed get their expiry debit. Stripe commits these to its
 * ledger some time after the moment (its available balance already leaves them out); the
 * stand-in does it whenever credits are read or applied, so both balances agree.
 */
export function sweepExpiredGrants(s: StandIn, customer?: string): void {
  const now = nowSeconds();
  for (const grant of Object.values(s.state.creditGrants)) {
    if (customer && grant.customer !== customer) continue;
    if (grant.voided_at !== null || grant.expires_at === null || grant.expires_at > now) continue;
    const expired = Object.values(s.state.creditBalanceTransactions).some(
      (t) => t.credit_grant === grant.id && t.debit?.type === 'credits_expired',
    );
    if (!expired) closeGrant(s, grant, 'credits_expired', grant.expires_at);
  }
}

export function appliesToPrice(grant: CreditGrant, price: Price): boolean {
  if (price.recurring?.usage_type !== 'metered' || !price.recurring.meter) return false;
  const scope = grant.applicability_config.scope;
  return 'prices' in scope ? scope.prices.some((p) => p.id === price.id) : scope.price_type === 'metered';
}

export function applicationOrder(a: CreditGrant, b: CreditGrant): number {
  const expiry = (g: CreditGrant) => g.expires_at ?? Number.POSITIVE_INFINITY;
  const category = (g: CreditGrant) => (g.category === 'promotional' ? 0 : 1);
  return (
    a.priority - b.priority ||
    expiry(a) - expiry(b) ||
    category(a) - category(b) ||
    a.effective_at - b.effective_at ||
    a.created - b.created
  );
}

/**
 * Applies the customer's usable grants to the invoice's metered lines (before it is
 * finalized, as Stripe does), writing one debit per grant and line, and lowers the invoice's
 * total and amount due by what they covered. The rest is billed as usual.
 */
export function applyCredits(s: StandIn, invoice: Invoice, prices: Map<string, Price>): void {
  sweepExpiredGrants(s, invoice.customer);
  const now = nowSeconds();
  // Creation order first, so the sort's last tie-break (oldest grant) is stable within a second.
  const grants = Object.values(s.state.creditGrants)
    .filter((g) => g.customer === invoice.customer && g.amount.monetary.currency === invoice.currency && isUsable(g, now))
    .sort(applicationOrder);
  if (grants.length === 0) return;
  for (const line of invoice.lines.data) {
    const price = prices.get(line.id);
    if (!price) continue;
    let due = line.amount - sumCredits(line.pretax_credit_amounts);
    for (const grant of grants) {
      if (due <= 0) break;
      if (!appliesToPrice(grant, price)) continue;
      const take = Math.min(due, grantBalance(s, grant, now));
      if (take <= 0) continue;
      const transaction = debit(s, grant, take, 'credits_applied', { invoice: invoice.id, invoice_line_item: line.id }, now);
      const credit = {
        amount: take,
        credit_balance_transaction: transaction.id,
        discount: null,
        type: 'credit_balance_transaction' as const,
      };
      line.pretax_credit_amounts.push(credit);
      invoice.total_pretax_credit_amounts.push({ ...credit });
      due -= take;
    }
  }
  const credited = sumCredits(invoice.total_pretax_credit_amounts);
  invoice.total = invoice.subtotal - credited;
  invoice.amount_due = invoice.total;
  invoice.amount_remaining = invoice.total;
}

function sumCredits(amounts: InvoiceLine['pretax_credit_amounts']): number {
  return amounts.reduce((sum, a) => sum + a.amount, 0);
}
