import { appliesToPrice, closeGrant, creditGranted, grantBalance, sweepExpiredGrants } from '../credits';
import { invalidRequest, missingParam, noSuch } from '../errors';
import type { Params } from '../form';
import { newId, nowSeconds } from '../ids';
import type { CreditGrant } from '../objects';
import { array, hash, int, mergeMetadata, oneOf, requireStr, str } from '../params';
import { type ApiRequest, route } from '../route';
import { previousAttributes, type StandIn } from '../standin';
import { getPrice } from './catalog';
import { getCustomer } from './customers';

/**
 * Billing credits: credit grants (create, update, expire, void), the customer's credit balance
 * summary and the credit balance transactions behind it. How credits are applied to invoices
 * lives in ../credits.ts.
 */
export function getCreditGrant(s: StandIn, id: string, param = 'id'): CreditGrant {
  const grant = s.state.creditGrants[id];
  if (!grant) throw noSuch('billing.credit_grant', id, param);
  return grant;
}

type Scope = CreditGrant['applicability_config']['scope'];

/** `scope[price_type]=metered` or `scope[prices][][id]` (1–20 metered prices), never both. */
function scopeFrom(s: StandIn, scope: Params | undefined, param: string): Scope {
  if (!scope) throw missingParam(param);
  const priceType = oneOf(scope, 'price_type', ['metered'] as const);
  const prices = array(scope, 'prices');
  if (priceType && prices) {
    throw invalidRequest('You may only specify one of these parameters: price_type, prices.', `${param}[prices]`);
  }
  if (priceType) return { price_type: priceType };
  if (!prices || prices.length === 0) throw missingParam(`${param}[price_type]`);
  if (prices.length > 20) throw invalidRequest('A credit grant can apply to at most 20 prices.', `${param}[prices]`);
  return {
    prices: prices.map((value, index) => {
      const name = `${param}[prices][${index}][id]`;
      if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest(`Invalid object: ${name}`, name);
      const price = getPrice(s, requireStr(value, 'id'), name);
      if (price.recurring?.usage_type !== 'metered' || !price.recurring.meter) {
        throw invalidRequest(`Billing credits only apply to metered prices with a meter; ${price.id} is not one.`, name);
      }
      return { id: price.id };
    }),
  };
}

function createGrant({ s, params }: ApiRequest) {
  const customer = getCustomer(s, requireStr(params, 'customer'), 'customer');
  const amount = hash(params, 'amount');
  if (!amount) throw missingParam('amount');
  if (!oneOf(amount, 'type', ['monetary'] as const)) throw missingParam('amount[type]');
  const monetary = hash(amount, 'monetary');
  if (!monetary) throw missingParam('amount[monetary]');
  const currency = requireStr(monetary, 'currency').toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, 'amount[monetary][currency]');
  const value = int(monetary, 'value');
  if (value === undefined) throw missingParam('amount[monetary][value]');
  if (value < 1) throw invalidRequest('The amount must be a positive integer.', 'amount[monetary][value]');
  const scope = scopeFrom(s, hash(hash(params, 'applicability_config') ?? {}, 'scope'), 'applicability_config[scope]');
  if ('prices' in scope) {
    for (const [index, { id }] of scope.prices.entries()) {
      if (s.state.prices[id]?.currency !== currency) {
        throw invalidRequest(
          `The price ${id} is not in the credit grant's currency (${currency}).`,
          `applicability_config[scope][prices][${index}][id]`,
        );
      }
    }
  }
  const now = nowSeconds();
  const effectiveAt = int(params, 'effective_at') ?? now;
  const expiresAt = int(params, 'expires_at') ?? null;
  if (expiresAt !== null && expiresAt <= effectiveAt) {
    throw invalidRequest('expires_at must be after effective_at.', 'expires_at');
  }
  const priority = int(params, 'priority') ?? 50;
  if (priority < 0 || priority > 100) throw invalidRequest('priority must be from 0 to 100.', 'priority');
  const name = str(params, 'name') || null;
  if (name && name.length > 100) throw invalidRequest('name can be at most 100 characters.', 'name');
  const grant: CreditGrant = {
    id: newId('credgr_test', 28),
    object: 'billing.credit_grant',
    amount: { monetary: { currency, value }, type: 'monetary' },
    applicability_config: { scope },
    category: oneOf(params, 'category', ['paid', 'promotional'] as const) ?? 'paid',
    created: now,
    customer: customer.id,
    customer_account: null,
    effective_at: effectiveAt,
    expires_at: expiresAt,
    livemode: false,
    metadata: mergeMetadata({}, params),
    name,
    priority,
    test_clock: null,
    updated: now,
    voided_at: null,
  };
  s.state.creditGrants[grant.id] = grant;
  s.emit('billing.credit_grant.created', grant);
  creditGranted(s, grant);
  return s.render(grant, params);
}

/** Changes a grant and announces it (billing.credit_grant.updated with what changed). */
function changeGrant(s: StandIn, grant: CreditGrant, change: () => void): void {
  const before = structuredClone(grant);
  change();
  const previous = previousAttributes(before, grant);
  if (Object.keys(previous).length === 0) return;
  grant.updated = nowSeconds();
  s.emit('billing.credit_grant.updated', grant, { ...previous, updated: before.updated });
}

/** Expired or voided grants are final: only their metadata can still change. */
export function assertOpen(s: StandIn, grant: CreditGrant, param?: string): void {
  sweepExpiredGrants(s, grant.customer);
  if (grant.voided_at !== null) throw invalidRequest(`The credit grant ${grant.id} has been voided.`, param);
  if (grant.expires_at !== null && grant.expires_at <= nowSeconds()) {
    throw invalidRequest(`The credit grant ${grant.id} has already expired.`, param);
  }
}

function updateGrant({ s, params, path }: ApiRequest) {
  const grant = getCreditGrant(s, path.id ?? '');
  const metadata = mergeMetadata(grant.metadata, params);
  let expiresAt = grant.expires_at;
  if (params.expires_at !== undefined) {
    assertOpen(s, grant, 'expires_at');
    expiresAt = params.expires_at === '' ? null : (int(params, 'expires_at') ?? null);
    if (expiresAt !== null && expiresAt <= grant.effective_at) {
      throw invalidRequest('expires_at must be after effective_at.', 'expires_at');
    }
  }
  changeGrant(s, grant, () => {
    grant.metadata = metadata;
    grant.expires_at = expiresAt;
  });
  // A date already past ends the grant now.
  sweepExpiredGrants(s, grant.customer);
  return s.render(grant, params);
}

/** Ends a grant now: what is left leaves the balance as a credits_expired or credits_voided debit. */
export function endGrant(s: StandIn, grant: CreditGrant, how: 'expire' | 'void'): void {
  assertOpen(s, grant);
  const now = nowSeconds();
  changeGrant(s, grant, () => {
    if (how === 'void') grant.voided_at = now;
    else grant.expires_at = now;
  });
  closeGrant(s, grant, how === 'void' ? 'credits_voided' : 'credits_expired', now);
}

interface Balance {
  available_balance: { monetary: { currency: string; value: number }; type: 'monetary' };
  ledger_balance: { monetary: { currency: string; value: number }; type: 'monetary' };
}

function summaryRoute({ s, params }: ApiRequest) {
  const customer = getCustomer(s, requireStr(params, 'customer'), 'customer');
  const filter = hash(params, 'filter');
  if (!filter) throw missingParam('filter');
  const type = oneOf(filter, 'type', ['applicability_scope', 'credit_grant'] as const);
  if (!type) throw missingParam('filter[type]');
  sweepExpiredGrants(s, customer.id);
  let counted: (grant: CreditGrant) => boolean;
  if (type === 'credit_grant') {
    const grant = getCreditGrant(s, requireStr(filter, 'credit_grant'), 'filter[credit_grant]');
    if (grant.customer !== customer.id) throw noSuch('billing.credit_grant', grant.id, 'filter[credit_grant]');
    counted = (g) => g.id === grant.id;
  } else {
    const scope = scopeFrom(s, hash(filter, 'applicability_scope'), 'filter[applicability_scope]');
    // Every grant applies to metered prices; a list of prices counts the grants that apply to any of them.
    counted =
      'prices' in scope
        ? (g) =>
            scope.prices.some(({ id }) => {
              const price = s.state.prices[id];
              return price !== undefined && appliesToPrice(g, price);
            })
        : () => true;
  }
  const byCurrency = new Map<string, number>();
  for (const grant of Object.values(s.state.creditGrants)) {
    if (grant.customer !== customer.id || !counted(grant)) continue;
    const currency = grant.amount.monetary.currency;
    byCurrency.set(currency, (byCurrency.get(currency) ?? 0) + grantBalance(s, grant));
  }
  const balances: Balance[] = [...byCurrency].map(([currency, value]) => ({
    available_balance: { monetary: { currency, value }, type: 'monetary' },
    ledger_balance: { monetary: { currency, value }, type: 'monetary' },
  }));
  return s.render(
    { object: 'billing.credit_balance_summary', balances, customer: customer.id, customer_account: null, livemode: false },
    params,
  );
}

export const creditRoutes = [
  route('POST', '/v1/billing/credit_grants', createGrant),
  route('GET', '/v1/billing/credit_grants/:id', ({ s, params, path }) => s.render(getCreditGrant(s, path.id ?? ''), params)),
  route('POST', '/v1/billing/credit_grants/:id', updateGrant),
  route('GET', '/v1/billing/credit_grants', ({ s, params }) => {
    const customer = str(params, 'customer');
    if (customer) getCustomer(s, customer, 'customer');
    sweepExpiredGrants(s, customer);
    const items = s.newestFirst(s.state.creditGrants).filter((g) => !customer || g.customer === customer);
    return s.renderList(items, params, '/v1/billing/credit_grants');
  }),
  route('POST', '/v1/billing/credit_grants/:id/expire', ({ s, params, path }) => {
    const grant = getCreditGrant(s, path.id ?? '');
    endGrant(s, grant, 'expire');
    return s.render(grant, params);
  }),
  route('POST', '/v1/billing/credit_grants/:id/void', ({ s, params, path }) => {
    const grant = getCreditGrant(s, path.id ?? '');
    endGrant(s, grant, 'void');
    return s.render(grant, params);
  }),
  route('GET', '/v1/billing/credit_balance_summary', summaryRoute),
  route('GET', '/v1/billing/credit_balance_transactions', ({ s, params }) => {
    const customer = getCustomer(s, requireStr(params, 'customer'), 'customer');
    const grantId = str(params, 'credit_grant');
    if (grantId) getCreditGrant(s, grantId, 'credit_grant');
    sweepExpiredGrants(s, customer.id);
    const items = s
      .newestFirst(s.state.creditBalanceTransactions)
      .filter((t) => s.state.creditGrants[t.credit_grant]?.customer === customer.id && (!grantId || t.credit_grant === grantId));
    return s.renderList(items, params, '/v1/billing/credit_balance_transactions');
  }),
  route('GET', '/v1/billing/credit_balance_transactions/:id', ({ s, params, path }) => {
    const transaction = s.state.creditBalanceTransactions[path.id ?? ''];
    if (!transaction) throw noSuch('billing.credit_balance_transaction', path.id ?? '');
    return s.render(transaction, params);
  }),
];
