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

/** The catalog's price is missing on Stripe: `pnpm billing:sync-catalog` has not run against this account. */
export class CatalogNotSyncedError extends Error {
  constructor(lookupKey: string) {
    super(`price ${lookupKey} is not in Stripe; run \`pnpm billing:sync-catalog\``);
    this.name = 'CatalogNotSyncedError';
  }
}

export class UnknownPlanError extends Error {
  constructor(plan: string) {
    super(`no plan "${plan}" in the billing catalog`);
    this.name = 'UnknownPlanError';
  }
}

/** An add-on goes beside a live base plan; buying one alone is refused. */
export class AddOnNeedsPlanError extends Error {
  constructor(addOn: string) {
    super(`the add-on "${addOn}" needs a paid plan first`);
    this.name = 'AddOnNeedsPlanError';
  }
}

/** The tenant already has a live subscription to this price (a base plan changes in the Portal). */
export class AlreadySubscribedError extends Error {
  constructor(plan: string) {
    super(`the tenant already has "${plan}"`);
    this.name = 'AlreadySubscribedError';
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

async function asOwner<T>(context: TenantContext, deps: SessionDeps, fn: (db: TenantDb, live: TenantContext) => Promise<T>) {
  return withTenant(
    context,
    async (db, live) => {
      if (live.tenantRole !== 'owner') throw new PermissionDeniedError('billing.manage', live.tenantRole);
      return fn(db, live);
    },
    deps.tenantOptions,
  );
}

async function customerFor(db: TenantDb, context: TenantContext, deps: SessionDeps) {
  const gate = await ownerGate(db);
  const customerId =
    gate.customerId ??
    (await ensureCustomer(
      { pool: deps.billingPool, stripe: deps.stripe },
      { id: gate.tenantId, name: gate.tenantName, email: context.claims.email },
    ));
  return { ...gate, customerId };
}

/**
 * A Checkout Session URL for a catalog plan or add-on, inside the caller's tenant transaction (the
 * action wrapper's). Seats start at the tenant's member count for per-seat plans. For a tenant
 * that already has a customer (say, on a base plan) this starts a second subscription beside the
 * first: that is how an add-on is bought.
 */
export async function checkoutForOwner(
  db: TenantDb,
  context: TenantContext,
  input: { plan: string; returnUrl: string },
  deps: SessionDeps,
): Promise<string> {
  const plan = catalog.plans.find((p) => p.key === input.plan);
  if (!plan) throw new UnknownPlanError(input.plan);
  const gate = await customerFor(db, context, deps);
  // What the customer holds, asked of Stripe itself: the local rows may still wait for a webhook.
  const live = new Set<string | null>();
  for await (const sub of deps.stripe.subscriptions.list({ customer: gate.customerId, limit: 100 })) {
    if (!['trialing', 'active', 'past_due'].includes(sub.status)) continue;
    for (const item of sub.items.data) live.add(item.price.lookup_key ?? null);
  }
  if (live.has(plan.price.lookupKey)) throw new AlreadySubscribedError(plan.key);
  const basePrices = catalog.plans.filter((p) => p.kind === 'base').map((p) => p.price.lookupKey);
  if (plan.kind === 'base' && basePrices.some((key) => live.has(key))) throw new AlreadySubscribedError(plan.key);
  if (plan.kind === 'addon' && !basePrices.some((key) => live.has(key))) throw new AddOnNeedsPlanError(plan.key);
  const members = await db.execute(sql`select count(*)::int as n from public.memberships where tenant_id = ${gate.tenantId}`);
  const seats = (members.rows[0] as { n: number } | undefined)?.n ?? 1;
  const prices = await deps.stripe.prices.list({ lookup_keys: [plan.price.lookupKey], active: true, limit: 1 });
  const price = prices.data[0];
  if (!price) throw new CatalogNotSyncedError(plan.price.lookupKey);
  const session = await deps.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: gate.customerId,
    client_reference_id: gate.tenantId,
    // A metered price takes no quantity (usage decides); per-seat plans start at the member count.
    line_items: [
      plan.price.usage === 'metered' ? { price: price.id } : { price: price.id, quantity: plan.perSeat ? Math.max(1, seats) : 1 },
    ],
    success_url: `${input.returnUrl}?checkout=success`,
    cancel_url: `${input.returnUrl}?checkout=cancelled`,
    subscription_data: { metadata: { bulkhead_tenant_id: gate.tenantId } },
  });
  if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL');
  return session.url;
}

/** A Billing Portal URL for the tenant's customer (created on first use), inside the caller's transaction. */
export async function portalForOwner(
  db: TenantDb,
  context: TenantContext,
  input: { returnUrl: string },
  deps: SessionDeps,
): Promise<string> {
  const gate = await customerFor(db, context, deps);
  const session = await deps.stripe.billingPortal.sessions.create({ customer: gate.customerId, return_url: input.returnUrl });
  return session.url;
}

/** checkoutForOwner() in a transaction of its own, refused unless the live role is owner. */
export function startCheckout(
  context: TenantContext,
  input: { plan: string; returnUrl: string },
  deps: SessionDeps,
): Promise<string> {
  if (!catalog.plans.some((p) => p.key === input.plan)) return Promise.reject(new UnknownPlanError(input.plan));
  return asOwner(context, deps, (db, live) => checkoutForOwner(db, live, input, deps));
}

/** portalForOwner() in a transaction of its own, refused unless the live role is owner. */
export function openPortal(context: TenantContext, input: { returnUrl: string }, deps: SessionDeps): Promise<string> {
  return asOwner(context, deps, (db, live) => portalForOwner(db, live, input, deps));
}
