import 'server-only';
import type { TenantContext } from '@bulkhead/tenancy';
import type { TenantDb } from '@bulkhead/tenancy/server';
import { billingSyncPool } from './db';
import { checkoutForOwner, portalForOwner } from './sessions';
import { stripeClient } from './stripe';

/**
 * Checkout and the Portal for a Server Action: call them from a tenantAction() handler (which
 * checks the `billing.manage` permission) with its db; public.billing_owner_gate() checks again.
 */
const deps = () => ({ stripe: stripeClient(), billingPool: billingSyncPool() });

export function checkoutUrl(db: TenantDb, context: TenantContext, input: { plan: string; returnUrl: string }): Promise<string> {
  return checkoutForOwner(db, context, input, deps());
}

export function portalUrl(db: TenantDb, context: TenantContext, input: { returnUrl: string }): Promise<string> {
  return portalForOwner(db, context, input, deps());
}
