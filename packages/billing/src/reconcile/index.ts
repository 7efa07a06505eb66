import 'server-only';
import { billingSyncPool } from '../db';
import { stripeClient } from '../stripe';
import { type ReconcileReport, reconcile } from './run';

// @bulkhead/billing/reconcile: repairs every tenant's billing rows from Stripe (billing_sync).
export { formatReport, type ReconcileDeps, type ReconcileReport, reconcile, type TenantDrift } from './run';

/** reconcile() with the environment's Stripe client and billing_sync pool. */
export function reconcileFromEnv(options: { dryRun?: boolean } = {}): Promise<ReconcileReport> {
  return reconcile({ pool: billingSyncPool(), stripe: stripeClient() }, options);
}
