import 'server-only';
import type pg from 'pg';
import type Stripe from 'stripe';

/**
 * A customer's billing credits as the database caches them: its credit grants and their ledger
 * (credit balance transactions), fetched fresh from Stripe like the subscriptions, plus Stripe's
 * balance summary to check the cached ledger against. The balance itself is not stored: it is the
 * ledger's sum (private.billing_credit_balance), which is what Stripe's summary reports.
 */
export interface CreditGrantRow {
  stripe_credit_grant_id: string;
  name: string | null;
  category: string;
  amount: number;
  currency: string;
  priority: number | null;
  effective_at: string | null;
  expires_at: string | null;
  voided_at: string | null;
  stripe_created: string;
}

export interface CreditTransactionRow {
  stripe_transaction_id: string;
  stripe_credit_grant_id: string;
  type: 'credit' | 'debit';
  reason: string;
  amount: number;
  currency: string;
  effective_at: string;
  stripe_invoice_id: string | null;
}

export interface CreditState {
  grants: CreditGrantRow[];
  transactions: CreditTransactionRow[];
  /** Stripe's available balance per currency (minor unit), from the credit balance summary. */
  balances: Record<string, number>;
}

const iso = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : null);
const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));

export async function fetchCreditState(stripe: Stripe, customerId: string): Promise<CreditState> {
  // The summary first: reading credits is when Stripe (and the stand-in) writes a passed expiry
  // to the ledger, so the transactions listed next already include it.
  const summary = await stripe.billing.creditBalanceSummaries.retrieve({
    customer: customerId,
    filter: { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } },
  });
  const balances: Record<string, number> = {};
  for (const balance of summary.balances) {
    const money = balance.available_balance.monetary;
    if (money) balances[money.currency] = money.value;
  }
  const grants: CreditGrantRow[] = [];
  for await (const grant of stripe.billing.creditGrants.list({ customer: customerId, limit: 100 })) {
    grants.push({
      stripe_credit_grant_id: grant.id,
      name: grant.name,
      category: grant.category,
      amount: grant.amount.monetary?.value ?? 0,
      currency: grant.amount.monetary?.currency ?? '',
      priority: grant.priority,
      effective_at: iso(grant.effective_at),
      expires_at: iso(grant.expires_at),
      voided_at: iso(grant.voided_at),
      stripe_created: iso(grant.created) ?? new Date().toISOString(),
    });
  }
  const transactions: CreditTransactionRow[] = [];
  if (grants.length > 0) {
    for await (const tx of stripe.billing.creditBalanceTransactions.list({ customer: customerId, limit: 100 })) {
      const entry = tx.type === 'debit' ? tx.debit : tx.credit;
      const money = entry?.amount.monetary;
      transactions.push({
        stripe_transaction_id: tx.id,
        stripe_credit_grant_id: idOf(tx.credit_grant) as string,
        type: tx.type === 'debit' ? 'debit' : 'credit',
        reason: entry?.type ?? 'unknown',
        amount: money?.value ?? 0,
        currency: money?.currency ?? '',
        effective_at: iso(tx.effective_at) ?? (iso(tx.created) as string),
        stripe_invoice_id: tx.debit?.credits_applied ? idOf(tx.debit.credits_applied.invoice) : null,
      });
    }
  }
  grants.sort((a, b) => a.stripe_credit_grant_id.localeCompare(b.stripe_credit_grant_id));
  transactions.sort((a, b) => a.stripe_transaction_id.localeCompare(b.stripe_transaction_id));
  return { grants, transactions, balances };
}

const ts = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${column}`;

export async function readLocalCredits(client: pg.PoolClient, tenantId: string): Promise<CreditState> {
  const grants = await client.query<CreditGrantRow>(
    `select stripe_credit_grant_id, name, category, amount, currency, priority,
            ${ts('effective_at')}, ${ts('expires_at')}, ${ts('voided_at')}, ${ts('stripe_created')}
       from public.billing_credit_grants where tenant_id = $1 order by stripe_credit_grant_id`,
    [tenantId],
  );
  const transactions = await client.query<CreditTransactionRow>(
    `select stripe_transaction_id, stripe_credit_grant_id, type, reason, amount, currency, ${ts('effective_at')}, stripe_invoice_id
       from public.billing_credit_transactions where tenant_id = $1 order by stripe_transaction_id`,
    [tenantId],
  );
  const balances = await client.query<{ currency: string; balance: string }>(
    `select currency, private.billing_credit_balance($1, currency)::text as balance
       from (select distinct currency from public.billing_credit_transactions where tenant_id = $1) c`,
    [tenantId],
  );
  return {
    grants: grants.rows,
    transactions: transactions.rows,
    balances: Object.fromEntries(balances.rows.map((b) => [b.currency, Number(b.balance)])),
  };
}

export function diffCredits(local: CreditState, remote: CreditState): string[] {
  const out: string[] = [];
  const localGrants = new Map(local.grants.map((g) => [g.stripe_credit_grant_id, g]));
  for (const grant of remote.grants) {
    const l = localGrants.get(grant.stripe_credit_grant_id);
    localGrants.delete(grant.stripe_credit_grant_id);
    if (!l) {
      out.push(`credit grant ${grant.stripe_credit_grant_id} missing locally`);
      continue;
    }
    for (const key of [
      'name',
      'category',
      'amount',
      'currency',
      'priority',
      'effective_at',
      'expires_at',
      'voided_at',
    ] as const) {
      if (l[key] !== grant[key])
        out.push(`credit grant ${grant.stripe_credit_grant_id} ${key}: local ${String(l[key])}, Stripe ${String(grant[key])}`);
    }
  }
  for (const id of localGrants.keys()) out.push(`credit grant ${id} gone from Stripe`);
  const localTx = new Map(local.transactions.map((t) => [t.stripe_transaction_id, t]));
  for (const tx of remote.transactions) {
    const l = localTx.get(tx.stripe_transaction_id);
    localTx.delete(tx.stripe_transaction_id);
    if (!l) out.push(`credit ${tx.type} ${tx.stripe_transaction_id} (${tx.reason}, ${tx.amount} ${tx.currency}) missing locally`);
    else if (l.amount !== tx.amount || l.type !== tx.type || l.effective_at !== tx.effective_at)
      out.push(`credit transaction ${tx.stripe_transaction_id}: local ${l.type} ${l.amount}, Stripe ${tx.type} ${tx.amount}`);
  }
  for (const id of localTx.keys()) out.push(`credit transaction ${id} gone from Stripe`);
  // The cached ledger must add up to Stripe's own balance (it would not if a listing were cut short).
  for (const currency of new Set([...Object.keys(local.balances), ...Object.keys(remote.balances)])) {
    const l = local.balances[currency] ?? 0;
    const r = remote.balances[currency] ?? 0;
    if (l !== r && out.length === 0) out.push(`credit balance ${currency}: local ${l}, Stripe ${r}`);
  }
  return out;
}

/** Replaces the tenant's credit grants and ledger with the fetched ones. */
export async function writeCredits(client: pg.PoolClient, tenantId: string, state: CreditState): Promise<void> {
  await client.query(
    'delete from public.billing_credit_grants where tenant_id = $1 and not (stripe_credit_grant_id = any($2::text[]))',
    [tenantId, state.grants.map((g) => g.stripe_credit_grant_id)],
  );
  for (const g of state.grants) {
    await client.query(
      `insert into public.billing_credit_grants
         (tenant_id, stripe_credit_grant_id, name, category, amount, currency, priority, effective_at, expires_at, voided_at, stripe_created)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       on conflict (tenant_id, stripe_credit_grant_id) do update set
         name = excluded.name, category = excluded.category, amount = excluded.amount, currency = excluded.currency,
         priority = excluded.priority, effective_at = excluded.effective_at, expires_at = excluded.expires_at,
         voided_at = excluded.voided_at`,
      [
        tenantId,
        g.stripe_credit_grant_id,
        g.name,
        g.category,
        g.amount,
        g.currency,
        g.priority,
        g.effective_at,
        g.expires_at,
        g.voided_at,
        g.stripe_created,
      ],
    );
  }
  await client.query(
    'delete from public.billing_credit_transactions where tenant_id = $1 and not (stripe_transaction_id = any($2::text[]))',
    [tenantId, state.transactions.map((t) => t.stripe_transaction_id)],
  );
  for (const t of state.transactions) {
    await client.query(
      `insert into public.billing_credit_transactions
         (tenant_id, stripe_transaction_id, stripe_credit_grant_id, type, reason, amount, currency, effective_at, stripe_invoice_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (tenant_id, stripe_transaction_id) do update set
         type = excluded.type, reason = excluded.reason, amount = excluded.amount, currency = excluded.currency,
         effective_at = excluded.effective_at, stripe_invoice_id = excluded.stripe_invoice_id`,
      [
        tenantId,
        t.stripe_transaction_id,
        t.stripe_credit_grant_id,
        t.type,
        t.reason,
        t.amount,
        t.currency,
        t.effective_at,
        t.stripe_invoice_id,
      ],
    );
  }
}
