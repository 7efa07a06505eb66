import 'server-only';
import { PermissionDeniedError, type TenantContext } from '@bulkhead/tenancy';
import { type TenantDb, type WithTenantOptions, withTenant } from '@bulkhead/tenancy/server';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type Stripe from 'stripe';
import { catalog } from './catalog/bundled';
import { ensureCustomer } from './customers';

/**
 * Checkout and the Billing Portal, for the owner of the current tenant only. The caller's role
 * is checked twice: here (the live role withTenant() read), and by public.billing_owner_gate()
 * in the database, which raises for anyone else before Stripe is asked for anything.
 */
export interface SessionDeps {
  stripe: Stripe;
  /** The billing_sync pool (recording the tenant's Stripe customer). */
  billingPool: pg.Pool;
  /** The app_server pool withTenant() uses; defaults to the app's. */
  tenantOptions?: WithTenantOptions;
}

export class UnknownPlanError extends Error {
  constructor(plan: string) {
    super(`no plan "${plan}" in the billing catalog`);
    this.name = 'UnknownPlanError';
  }
}

/** Asks the database whether the caller owns the current tenant; returns its customer, if any. */
export async function ownerGate(db: TenantDb): Promise<{ tenantId: string; customerId: string | null; tenantName: string }> {
  const result = await db.execute(
    sql`select g.tenant_id, g.stripe_customer_id, t.name from public.billing_owner_gate() g join public.tenants t on t.id = g.tenant_id`,
  );
  const row = result.rows[0] as { tenant_id: string; stripe_customer_id: string | null; name: string } | undefined;
  if (!row) throw new Error('billing_owner_gate returned nothing');
  return { tenantId: row.tenant_id, customerId: row.stripe_customer_id, tenantName: row.name };
}

async function asOwner(context: TenantContext, deps: SessionDeps) {
  return withTenant(
    context,
    async (db, live) => {
      if (live.tenantRole !== 'owner') throw new PermissionDeniedError('billing.manage', live.tenantRole);
      return ownerGate(db);
    },
    deps.tenantOptions,
  );
}

/** A Checkout Session URL for a catalog plan; seats start at the tenant's member count. */
export async function startCheckout(
  context: TenantContext,
  input: { plan: string; returnUrl: string; seats: number },
  deps: SessionDeps,
): Promise<string> {
  const plan = catalog.plans.find((p) => p.key === input.plan);
  if (!plan) throw new UnknownPlanError(input.plan);
  const gate = await asOwner(context, deps);
  const customer =
    gate.customerId ??
    (await ensureCustomer(
      { pool: deps.billingPool, stripe: deps.stripe },
      { id: gate.tenantId, name: gate.tenantName, email: context.claims.email },
    ));
  const prices = await deps.stripe.prices.list({ lookup_keys: [plan.price.lookupKey], active: true, limit: 1 });
  const price = prices.data[0];
  if (!price) throw new Error(`price ${plan.price.lookupKey} is not in Stripe; run \`pnpm billing:sync-catalog\``);
  const session = await deps.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer,
    client_reference_id: gate.tenantId,
    line_items: [{ price: price.id, quantity: plan.perSeat ? Math.max(1, input.seats) : 1 }],
    success_url: `${input.returnUrl}?checkout=success`,
    cancel_url: `${input.returnUrl}?checkout=cancelled`,
    subscription_data: { metadata: { bulkhead_tenant_id: gate.tenantId } },
  });
  if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL');
  return session.url;
}

/** A Billing Portal session URL for the tenant's customer (created on first use). */
export async function openPortal(context: TenantContext, input: { returnUrl: string }, deps: SessionDeps): Promise<string> {
  const gate = await asOwner(context, deps);
  const customer =
    gate.customerId ??
    (await ensureCustomer(
      { pool: deps.billingPool, stripe: deps.stripe },
      { id: gate.tenantId, name: gate.tenantName, email: context.claims.email },
    ));
  const session = await deps.stripe.billingPortal.sessions.create({ customer, return_url: input.returnUrl });
  return session.url;
}
