/**
 * `pnpm billing:sync-catalog`: upserts supabase/billing-catalog.json into the Stripe account in
 * STRIPE_SECRET_KEY (by lookup key; safe to run again) and the free tier into the database
 * (BILLING_DATABASE_URL). Locally: `pnpm stack exec -- pnpm billing:sync-catalog`.
 */
import { syncCatalogFromEnv } from '../packages/billing/src/catalog/index';
import { closeBillingSyncPool } from '../packages/billing/src/db';

Promise.resolve()
  .then(() => syncCatalogFromEnv())
  .then((actions) => {
    for (const action of actions) console.log(action);
  })
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  })
  .finally(() => closeBillingSyncPool());
