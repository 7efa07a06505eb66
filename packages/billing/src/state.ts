import 'server-only';
import type { TenantDb } from '@bulkhead/tenancy/server';
import { sql } from 'drizzle-orm';
import { catalog } from './catalog/bundled';
import { addOns, basePlans, type CatalogPlan, localFeatures, planByPrice, plansGranting } from './catalog/schema';

/**
 * What the billing page shows, read inside withTenant() as the member (RLS limits every query
 * to the current tenant). Feature answers come from the same private.has_feature() and
 * private.feature_limit() the database enforces with, so the page cannot disagree with it.
 */
export interface FeatureState {
  feature: string;
  enabled: boolean;
  /** null = unlimited (or not enabled). */
  limit: number | null;
  /** Plans that grant it, cheapest first; named on locked features. */
  unlockedBy: string[];
}

export interface AddOnState {
  key: string;
  name: string;
  description: string;
  price: CatalogPlan['price'];
  /** The add-on's live subscription status, or null when the tenant does not have it. */
  status: string | null;
  live: boolean;
}

export interface CreditGrantView {
  id: string;
  name: string | null;
  category: string;
  amount: number;
  currency: string;
  effectiveAt: string | null;
  expiresAt: string | null;
  voidedAt: string | null;
}

export interface CreditEntryView {
  id: string;
  type: 'credit' | 'debit';
  reason: string;
  amount: number;
  currency: string;
  effectiveAt: string;
  grantName: string | null;
}

export interface CreditsState {
  currency: string;
  /** What Stripe's ledger holds now (minor unit). */
  balance: number;
  /** Usage since the last invoice, not yet paid by credits (minor unit). */
  unbilled: number;
  /** What happens when the pool runs out: the tenant's live plans' rule (null: no metered usage). */
  whenExhausted: 'block' | 'overage' | null;
  grants: CreditGrantView[];
  history: CreditEntryView[];
}

export interface BillingState {
  plan: { key: string; name: string } | null;
  status: string | null;
  paidAccess: boolean;
  cancelAtPeriodEnd: boolean;
  periodStart: string | null;
  periodEnd: string | null;
  seats: { used: number; limit: number | null; billed: number | null };
  documents: { total: number; createdThisPeriod: number; limit: number | null };
  features: FeatureState[];
  plans: Pick<CatalogPlan, 'key' | 'name' | 'description' | 'price' | 'perSeat'>[];
  addOns: AddOnState[];
  credits: CreditsState;
  hasCustomer: boolean;
}

/**
 * The subscription that decides the plan: a base plan's (not an add-on's), one granting access
 * first, else the newest. Add-ons and credits are read beside it.
 */
export async function readBillingState(db: TenantDb, tenantId: string): Promise<BillingState> {
  const addOnPrices = addOns(catalog).map((p) => p.price.lookupKey);
  const subs = await db.execute(sql`
    select s.stripe_subscription_id, s.status::text as status, s.plan_lookup_key, s.cancel_at_period_end,
           i.quantity, i.current_period_start, i.current_period_end
      from public.billing_subscriptions s
      left join public.billing_subscription_items i
        on i.tenant_id = s.tenant_id and i.stripe_subscription_id = s.stripe_subscription_id and i.price_lookup_key = s.plan_lookup_key
     where s.tenant_id = ${tenantId}
       and not (coalesce(s.plan_lookup_key, '') = any(${`{${addOnPrices.join(',')}}`}::text[]))
     order by (s.status in ('trialing', 'active', 'past_due')) desc, s.stripe_created desc
     limit 1`);
  const sub = subs.rows[0] as
    | {
        status: string;
        plan_lookup_key: string | null;
        cancel_at_period_end: boolean;
        quantity: number | null;
        current_period_start: string | Date | null;
        current_period_end: string | Date | null;
      }
    | undefined;
  const paid = await db.execute(sql`select private.billing_has_paid_access(${tenantId}::uuid) as paid,
      (select count(*)::int from public.memberships where tenant_id = ${tenantId}) as members,
      (select count(*)::int from public.documents where tenant_id = ${tenantId}) as documents,
      exists (select 1 from public.billing_customers where tenant_id = ${tenantId}) as has_customer`);
  const counts = paid.rows[0] as { paid: boolean; members: number; documents: number; has_customer: boolean };
  const periodStart = toIso(sub?.current_period_start) ?? startOfMonth();
  const created = await db.execute(
    sql`select count(*)::int as n from public.documents where tenant_id = ${tenantId} and created_at >= ${periodStart}::timestamptz`,
  );

  const features: FeatureState[] = [];
  for (const feature of localFeatures(catalog)) {
    const answer = await db.execute(
      sql`select private.has_feature(${tenantId}::uuid, ${feature}) as enabled, private.feature_limit(${tenantId}::uuid, ${feature}) as lim`,
    );
    const row = answer.rows[0] as { enabled: boolean; lim: number | null };
    features.push({
      feature,
      enabled: row.enabled,
      limit: row.enabled ? row.lim : null,
      unlockedBy: plansGranting(catalog, feature).map((p) => p.name),
    });
  }
  const plan = counts.paid ? planByPrice(catalog, sub?.plan_lookup_key) : undefined;
  return {
    plan: plan ? { key: plan.key, name: plan.name } : null,
    status: sub?.status ?? null,
    paidAccess: counts.paid,
    cancelAtPeriodEnd: sub?.cancel_at_period_end ?? false,
    periodStart,
    periodEnd: toIso(sub?.current_period_end),
    seats: {
      used: counts.members,
      limit: features.find((f) => f.feature === 'seats')?.limit ?? null,
      billed: sub?.quantity ?? null,
    },
    documents: {
      total: counts.documents,
      createdThisPeriod: (created.rows[0] as { n: number }).n,
      limit: features.find((f) => f.feature === 'documents')?.limit ?? null,
    },
    features,
    plans: basePlans(catalog).map(({ key, name, description, price, perSeat }) => ({ key, name, description, price, perSeat })),
    addOns: await readAddOns(db, tenantId),
    credits: await readCredits(db, tenantId),
    hasCustomer: counts.has_customer,
  };
}

async function readAddOns(db: TenantDb, tenantId: string): Promise<AddOnState[]> {
  const subs = await db.execute(sql`
    select s.plan_lookup_key, s.status::text as status, private.billing_subscription_is_live(s.status, s.status_since) as live
      from public.billing_subscriptions s
     where s.tenant_id = ${tenantId}
     order by private.billing_subscription_is_live(s.status, s.status_since) desc, s.stripe_created desc`);
  const rows = subs.rows as { plan_lookup_key: string | null; status: string; live: boolean }[];
  return addOns(catalog).map((plan) => {
    const sub = rows.find((r) => r.plan_lookup_key === plan.price.lookupKey);
    return {
      key: plan.key,
      name: plan.name,
      description: plan.description,
      price: plan.price,
      status: sub?.status ?? null,
      live: sub?.live ?? false,
    };
  });
}

async function readCredits(db: TenantDb, tenantId: string): Promise<CreditsState> {
  const grants = await db.execute(sql`
    select stripe_credit_grant_id as id, name, category::text as category, amount, currency,
           effective_at, expires_at, voided_at
      from public.billing_credit_grants where tenant_id = ${tenantId}
     order by stripe_created desc, stripe_credit_grant_id`);
  const history = await db.execute(sql`
    select t.stripe_transaction_id as id, t.type::text as type, t.reason, t.amount, t.currency, t.effective_at, g.name as grant_name
      from public.billing_credit_transactions t
      left join public.billing_credit_grants g
        on g.tenant_id = t.tenant_id and g.stripe_credit_grant_id = t.stripe_credit_grant_id
     where t.tenant_id = ${tenantId}
     order by t.effective_at desc, t.stripe_transaction_id desc
     limit 50`);
  const grantRows = grants.rows as {
    id: string;
    name: string | null;
    category: string;
    amount: number;
    currency: string;
    effective_at: string | Date | null;
    expires_at: string | Date | null;
    voided_at: string | Date | null;
  }[];
  const currency = grantRows[0]?.currency ?? 'usd';
  const pool = await db.execute(sql`
    select private.billing_credit_balance(${tenantId}::uuid, ${currency})::int as balance,
           private.billing_unbilled_usage(${tenantId}::uuid)::int as unbilled,
           private.billing_credits_block(${tenantId}::uuid) as blocks,
           exists (select 1 from public.billing_subscription_items i
                     join public.billing_subscriptions s
                       on s.tenant_id = i.tenant_id and s.stripe_subscription_id = i.stripe_subscription_id
                    where i.tenant_id = ${tenantId} and i.usage_type = 'metered'
                      and private.billing_subscription_is_live(s.status, s.status_since)) as metered`);
  const totals = pool.rows[0] as { balance: number; unbilled: number; blocks: boolean; metered: boolean };
  return {
    currency,
    balance: totals.balance,
    unbilled: totals.unbilled,
    whenExhausted: totals.blocks ? 'block' : totals.metered ? 'overage' : null,
    grants: grantRows.map((g) => ({
      id: g.id,
      name: g.name,
      category: g.category,
      amount: g.amount,
      currency: g.currency,
      effectiveAt: toIso(g.effective_at),
      expiresAt: toIso(g.expires_at),
      voidedAt: toIso(g.voided_at),
    })),
    history: (
      history.rows as {
        id: string;
        type: 'credit' | 'debit';
        reason: string;
        amount: number;
        currency: string;
        effective_at: string | Date;
        grant_name: string | null;
      }[]
    ).map((t) => ({
      id: t.id,
      type: t.type,
      reason: t.reason,
      amount: t.amount,
      currency: t.currency,
      effectiveAt: toIso(t.effective_at) as string,
      grantName: t.grant_name,
    })),
  };
}

function toIso(value: string | Date | null | undefined): string | null {
  if (!value) return null;
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

function startOfMonth(): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
}
