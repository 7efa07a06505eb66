import 'server-only';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type Stripe from 'stripe';
import { syncCustomer } from '../customer-state';
import { inTransaction } from '../db';
import { sendOutbox } from '../outbox/send';
import { HANDLED_EVENT_TYPES } from '../webhooks/events';
import { processEvent } from '../webhooks/process';

/**
 * `pnpm billing:reconcile [--dry-run]`: make the local billing rows equal Stripe's, whatever
 * happened to the webhooks.
 *
 *   1. Send the outbox (seat counts and usage owed to Stripe).
 *   2. Walk events.list (Stripe keeps 30 days) and run every handled event the inbox has not
 *      processed: never delivered, or failed.
 *   3. Events alone cannot converge (Stripe sometimes never generates one), so then list every
 *      tenant's subscriptions and active entitlements from Stripe, compare them with the local
 *      rows, and repair what differs. Each tenant's differences are recorded for the tenant.
 *
 * Safe beside live webhooks: every write to a customer's rows happens under that customer's
 * advisory lock after a fresh fetch (see syncCustomer), and the inbox dedupes events.
 * A dry run sends nothing, runs no events and repairs nothing; it reports what it would do.
 */
export interface ReconcileDeps {
  pool: pg.Pool;
  stripe: Stripe;
}

export interface TenantDrift {
  tenantId: string;
  customerId: string;
  differences: string[];
  repaired: boolean;
}

export interface ReconcileReport {
  runId: string;
  dryRun: boolean;
  outbox: { sent: number; skipped: number; failed: number } | null;
  eventsSeen: number;
  eventsReplayed: number;
  eventsFailed: string[];
  tenantsChecked: number;
  /** Tenants whose repair failed (e.g. Stripe refused a request): `tenant (customer): error`. */
  tenantsFailed: string[];
  drift: TenantDrift[];
}

export async function reconcile(deps: ReconcileDeps, options: { dryRun?: boolean; now?: Date } = {}): Promise<ReconcileReport> {
  const dryRun = options.dryRun ?? false;
  const runId = randomUUID();
  const report: ReconcileReport = {
    runId,
    dryRun,
    outbox: null,
    eventsSeen: 0,
    eventsReplayed: 0,
    eventsFailed: [],
    tenantsFailed: [],
    tenantsChecked: 0,
    drift: [],
  };
  await deps.pool.query('insert into private.billing_reconciliation_log (run_id, dry_run) values ($1, $2)', [runId, dryRun]);
  try {
    if (!dryRun) report.outbox = await sendOutbox(deps);
    await replayEvents(deps, report, options.now ?? new Date());
    await repairTenants(deps, report);
  } catch (error) {
    await deps.pool.query('update private.billing_reconciliation_log set error = $2, finished_at = now() where run_id = $1', [
      runId,
      error instanceof Error ? error.message : String(error),
    ]);
    throw error;
  }
  await deps.pool.query(
    `update private.billing_reconciliation_log
        set finished_at = now(), events_replayed = $2, tenants_checked = $3, tenants_drifted = $4
      where run_id = $1`,
    [runId, report.eventsReplayed, report.tenantsChecked, report.drift.length],
  );
  return report;
}

async function replayEvents(deps: ReconcileDeps, report: ReconcileReport, now: Date): Promise<void> {
  const since = Math.floor(now.getTime() / 1000) - 30 * 24 * 3600;
  // Newest first, as events.list pages. Order does not matter: each event only triggers a
  // re-fetch of its customer's current state.
  for await (const event of deps.stripe.events.list({
    types: [...HANDLED_EVENT_TYPES],
    created: { gte: since },
    limit: 100,
  })) {
    report.eventsSeen++;
    const { rows } = await deps.pool.query<{ status: string }>(
      'select status from private.stripe_webhook_inbox where event_id = $1',
      [event.id],
    );
    const status = rows[0]?.status;
    if (status === 'processed' || status === 'ignored') continue;
    if (report.dryRun) {
      report.eventsReplayed++;
      continue;
    }
    const outcome = await processEvent(event, deps, 'reconcile');
    if (outcome.status === 'processed') report.eventsReplayed++;
    if (outcome.status === 'failed') report.eventsFailed.push(`${event.id}: ${outcome.error}`);
  }
}

async function repairTenants(deps: ReconcileDeps, report: ReconcileReport): Promise<void> {
  const { rows: customers } = await deps.pool.query<{ tenant_id: string; stripe_customer_id: string }>(
    'select tenant_id, stripe_customer_id from public.billing_customers order by tenant_id',
  );
  for (const customer of customers) {
    report.tenantsChecked++;
    // One tenant's failure (a Stripe error for its customer) must not leave every later tenant
    // unrepaired: record it, go on, and let the command exit non-zero.
    const result = await repairTenant(deps, report, customer).catch((error: unknown) => {
      report.tenantsFailed.push(
        `${customer.tenant_id} (${customer.stripe_customer_id}): ${error instanceof Error ? error.message : String(error)}`,
      );
      return undefined;
    });
    if (result && result.differences.length > 0) {
      report.drift.push({
        tenantId: customer.tenant_id,
        customerId: customer.stripe_customer_id,
        differences: result.differences,
        repaired: !report.dryRun,
      });
    }
  }
}

function repairTenant(deps: ReconcileDeps, report: ReconcileReport, customer: { tenant_id: string; stripe_customer_id: string }) {
  return inTransaction(deps.pool, async (client) => {
    const synced = await syncCustomer(client, deps.stripe, customer.stripe_customer_id, { write: !report.dryRun });
    if (synced.differences.length > 0) {
      await client.query(
        `insert into public.billing_reconciliation_runs (tenant_id, run_id, dry_run, differences, repaired)
           values ($1, $2, $3, $4::jsonb, $5)`,
        [customer.tenant_id, report.runId, report.dryRun, JSON.stringify(synced.differences), !report.dryRun],
      );
    }
    return synced;
  });
}

/** The report as lines for a terminal. */
export function formatReport(report: ReconcileReport): string {
  const lines = [
    `reconciliation ${report.runId}${report.dryRun ? ' (dry run: nothing changed)' : ''}`,
    report.outbox
      ? `outbox: ${report.outbox.sent} sent, ${report.outbox.skipped} skipped, ${report.outbox.failed} failed`
      : 'outbox: not sent (dry run)',
    `events: ${report.eventsSeen} in the last 30 days, ${report.eventsReplayed} ${report.dryRun ? 'would be replayed' : 'replayed'}${
      report.eventsFailed.length ? `, ${report.eventsFailed.length} failed` : ''
    }`,
    ...report.eventsFailed.map((e) => `  failed ${e}`),
    `tenants: ${report.tenantsChecked} checked, ${report.drift.length} drifted${
      report.tenantsFailed.length ? `, ${report.tenantsFailed.length} failed` : ''
    }`,
    ...report.tenantsFailed.map((t) => `  failed ${t}`),
  ];
  for (const drift of report.drift) {
    lines.push(`  tenant ${drift.tenantId} (${drift.customerId}) ${drift.repaired ? 'repaired' : 'would repair'}:`);
    for (const d of drift.differences) lines.push(`    - ${d}`);
  }
  return lines.join('\n');
}
