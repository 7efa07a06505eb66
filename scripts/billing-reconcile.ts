/**
 * `pnpm billing:reconcile [--dry-run]`: sends the billing outbox, re-runs Stripe events the
 * inbox missed or failed (30-day window), then repairs every tenant's billing rows from Stripe
 * and prints the drift per tenant (docs/billing.md). Exit status 1 when something failed.
 * Locally: `pnpm stack exec -- pnpm billing:reconcile`.
 */
import { closeBillingSyncPool } from '../packages/billing/src/db';
import { formatReport, reconcileFromEnv } from '../packages/billing/src/reconcile/index';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--dry-run');
if (unknown.length > 0) {
  console.error(`unknown argument(s): ${unknown.join(' ')}\nusage: pnpm billing:reconcile [--dry-run]`);
  process.exit(2);
}

Promise.resolve()
  .then(() => reconcileFromEnv({ dryRun: args.includes('--dry-run') }))
  .then((report) => {
    console.log(formatReport(report));
    if (report.eventsFailed.length > 0 || report.tenantsFailed.length > 0 || (report.outbox?.failed ?? 0) > 0)
      process.exitCode = 1;
  })
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  })
  .finally(() => closeBillingSyncPool());
