import 'server-only';
import type { TenantDb } from '@bulkhead/tenancy/server';
import { sql } from 'drizzle-orm';
import { catalog } from './catalog/bundled';
import { type CatalogPlan, localFeatures, planByPrice, plansGranting } from './catalog/schema';

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
  hasCustomer: boolean;
}

/** The subscription that decides the plan: one granting access first, else the newest. */
export async function readBillingState(db: TenantDb, tenantId: string): Promise<BillingState> {
  const subs = await db.execute(sql`
    select s.stripe_subscription_id, s.status::text as status, s.plan_lookup_key, s.cancel_at_period_end,
           i.quantity, i.current_period_start, i.current_period_end
      from public.billing_subscriptions s
      left join public.billing_subscription_items i
        on i.tenant_id = s.tenant_id and i.stripe_subscription_id = s.stripe_subscription_id and i.price_lookup_key = s.plan_lookup_key
     where s.tenant_id = ${tenantId}
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
    plans: catalog.plans.map(({ key, name, description, price, perSeat }) => ({ key, name, description, price, perSeat })),
    hasCustomer: counts.has_customer,
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
