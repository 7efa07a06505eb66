import 'server-only';
import type pg from 'pg';
import type Stripe from 'stripe';
import { inTransaction } from './db';

/**
 * Exactly one Stripe Customer per tenant, even when ten first checkouts start at once:
 *   1. Stripe's idempotency key is derived from the tenant id, so concurrent creates return the
 *      same Customer (Stripe keeps keys for at least 24 hours);
 *   2. the tenant_id and stripe_customer_id unique keys let only one row in; everyone re-reads it.
 * The tenant id also goes into the Customer's metadata, so a crash between the two steps is
 * repaired by the first webhook or reconciliation that meets the Customer.
 */
export async function ensureCustomer(
  deps: { pool: pg.Pool; stripe: Stripe },
  tenant: { id: string; name?: string; email?: string },
): Promise<string> {
  const existing = await deps.pool.query<{ stripe_customer_id: string }>(
    'select stripe_customer_id from public.billing_customers where tenant_id = $1',
    [tenant.id],
  );
  if (existing.rows[0]) return existing.rows[0].stripe_customer_id;

  // Only what never changes goes under the idempotency key: Stripe refuses a repeated key with
  // other parameters, so a retry after a crash with a renamed tenant or another owner's e-mail
  // would fail for a day. Name and e-mail follow in an update, which may repeat freely.
  let customer = await deps.stripe.customers.create(
    { metadata: { bulkhead_tenant_id: tenant.id } },
    { idempotencyKey: customerIdempotencyKey(tenant.id) },
  );
  if (tenant.name !== undefined || tenant.email !== undefined) {
    customer = await deps.stripe.customers.update(customer.id, { name: tenant.name, email: tenant.email });
  }
  return inTransaction(deps.pool, async (client) => {
    await client.query(
      `insert into public.billing_customers (tenant_id, stripe_customer_id, livemode)
       values ($1, $2, $3) on conflict do nothing`,
      [tenant.id, customer.id, customer.livemode],
    );
    const { rows } = await client.query<{ stripe_customer_id: string }>(
      'select stripe_customer_id from public.billing_customers where tenant_id = $1',
      [tenant.id],
    );
    if (!rows[0]) throw new Error(`could not record the Stripe customer of tenant ${tenant.id}`);
    return rows[0].stripe_customer_id;
  });
}

export function customerIdempotencyKey(tenantId: string): string {
  return `bulkhead-customer-${tenantId}`;
}
