import 'server-only';
import { billingSyncPool } from '../db';
import { stripeClient } from '../stripe';
import { catalog } from './bundled';
import { type SyncAction, syncCatalog } from './sync';

// @bulkhead/billing/catalog: pushes supabase/billing-catalog.json into the Stripe account and
// the free tier into the database (account-wide, hence its own subpath).
export { catalog } from './bundled';
export { type Catalog, type CatalogPlan, catalogSchema, localFeatures, parseCatalog, planByPrice, plansGranting } from './schema';
export { type SyncAction, type SyncDeps, syncCatalog } from './sync';

/** syncCatalog() of the repository's catalog with the environment's Stripe client and pool. */
export function syncCatalogFromEnv(): Promise<SyncAction[]> {
  return syncCatalog(catalog, { stripe: stripeClient(), pool: billingSyncPool() });
}
