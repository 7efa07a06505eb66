import 'server-only';
import type pg from 'pg';
import type Stripe from 'stripe';
import { catalog } from '../catalog/bundled';
import { inTransaction } from '../db';

/**
 * The outbox sender: delivers seat and usage updates to Stripe, with retries.
 *
 *   usage  one Billing Meter event per created document, with the identifier generated for its
 *          outbox row: Stripe counts an identifier once, so a send that failed after Stripe accepted it is safe to
 *          repeat.
 *   seats  the tenant's member count, set as the quantity of its plan item (per-seat plans).
 *          Several pending rows for a tenant are settled by one recount.
 *
 * Rows are claimed with FOR UPDATE SKIP LOCKED, so senders may run concurrently (the webhook
 * route kicks one, reconciliation runs one). A failure schedules the row again with exponential
 * backoff; after MAX_ATTEMPTS it stays failed and reconciliation reports it.
 */
export const MAX_ATTEMPTS = 8;

export interface SendDeps {
  pool: pg.Pool;
  stripe: Stripe;
  /** How many rows to claim per batch. */
  batchSize?: number;
}

export interface SendReport {
  sent: number;
  skipped: number;
  failed: number;
}

interface OutboxRow {
  tenant_id: string;
  id: string;
  kind: 'seats' | 'usage';
  identifier: string | null;
  occurred_at: Date;
  attempts: number;
}

/** Sends every due row; returns what happened. */
export async function sendOutbox(deps: SendDeps): Promise<SendReport> {
  const report: SendReport = { sent: 0, skipped: 0, failed: 0 };
  for (;;) {
    const batch = await sendBatch(deps);
    report.sent += batch.sent;
    report.skipped += batch.skipped;
    report.failed += batch.failed;
    if (batch.sent + batch.skipped + batch.failed === 0) return report;
  }
}

async function sendBatch(deps: SendDeps): Promise<SendReport> {
  return inTransaction(deps.pool, async (client) => {
    const report: SendReport = { sent: 0, skipped: 0, failed: 0 };
    const { rows } = await client.query<OutboxRow>(
      `select tenant_id, id, kind, identifier, occurred_at, attempts
         from private.billing_outbox
        where status in ('pending', 'failed') and attempts < $1 and next_attempt_at <= now()
        order by next_attempt_at
        limit $2
        for update skip locked`,
      [MAX_ATTEMPTS, deps.batchSize ?? 50],
    );
    // One recount settles every seat row of a tenant in the batch, with the same outcome.
    const seatsDone = new Map<string, 'sent' | 'skipped'>();
    for (const row of rows) {
      const settled = row.kind === 'seats' ? seatsDone.get(row.tenant_id) : undefined;
      if (settled) {
        await mark(client, row, settled);
        report[settled]++;
        continue;
      }
      try {
        const outcome =
          row.kind === 'usage' ? await sendUsage(client, deps.stripe, row) : await sendSeats(client, deps.stripe, row);
        if (row.kind === 'seats') seatsDone.set(row.tenant_id, outcome);
        await mark(client, row, outcome);
        report[outcome === 'sent' ? 'sent' : 'skipped']++;
      } catch (error) {
        await client.query(
          `update private.billing_outbox
              set status = 'failed', attempts = attempts + 1, last_error = $3,
                  next_attempt_at = now() + make_interval(secs => least(3600, 5 * power(2, attempts)))
            where tenant_id = $1 and id = $2`,
          [row.tenant_id, row.id, (error instanceof Error ? error.message : String(error)).slice(0, 2000)],
        );
        report.failed++;
      }
    }
    return report;
  });
}

async function mark(client: pg.PoolClient, row: OutboxRow, status: 'sent' | 'skipped'): Promise<void> {
  await client.query(
    `update private.billing_outbox set status = $3, attempts = attempts + 1, sent_at = now(), last_error = null
      where tenant_id = $1 and id = $2`,
    [row.tenant_id, row.id, status],
  );
}

async function customerOf(client: pg.PoolClient, tenantId: string): Promise<string | null> {
  const { rows } = await client.query<{ stripe_customer_id: string }>(
    'select stripe_customer_id from public.billing_customers where tenant_id = $1',
    [tenantId],
  );
  return rows[0]?.stripe_customer_id ?? null;
}

async function sendUsage(client: pg.PoolClient, stripe: Stripe, row: OutboxRow): Promise<'sent' | 'skipped'> {
  const customer = await customerOf(client, row.tenant_id);
  // Free tenants (no Stripe customer) have no usage to bill.
  if (!customer || !row.identifier) return 'skipped';
  await stripe.billing.meterEvents.create({
    event_name: catalog.meter.eventName,
    payload: { stripe_customer_id: customer, value: '1' },
    identifier: row.identifier,
    timestamp: Math.floor(row.occurred_at.getTime() / 1000),
  });
  return 'sent';
}

async function sendSeats(client: pg.PoolClient, stripe: Stripe, row: OutboxRow): Promise<'sent' | 'skipped'> {
  // Two senders recounting one tenant at once could reach Stripe in the wrong order (5 after 6);
  // the lock, held until this batch commits, makes the later count the later update.
  await client.query(`select pg_advisory_xact_lock(hashtextextended('bulkhead.billing.seats:' || $1::text, 0))`, [row.tenant_id]);
  const perSeat = catalog.plans.filter((p) => p.perSeat).map((p) => p.price.lookupKey);
  const { rows } = await client.query<{ stripe_item_id: string; quantity: number; members: number }>(
    `select i.stripe_item_id, i.quantity,
            (select count(*)::int from public.memberships m where m.tenant_id = $1) as members
       from public.billing_subscription_items i
       join public.billing_subscriptions s on s.tenant_id = i.tenant_id and s.stripe_subscription_id = i.stripe_subscription_id
      where i.tenant_id = $1 and i.price_lookup_key = any($2::text[])
        and s.status in ('trialing', 'active', 'past_due', 'paused')`,
    [row.tenant_id, perSeat],
  );
  if (rows.length === 0) return 'skipped';
  for (const item of rows) {
    const quantity = Math.max(1, item.members);
    if (quantity === item.quantity) continue;
    await stripe.subscriptionItems.update(item.stripe_item_id, { quantity, proration_behavior: 'create_prorations' });
    // The webhook for this change re-fetches the subscription; recording it now keeps the page current.
    await client.query(
      'update public.billing_subscription_items set quantity = $3 where tenant_id = $1 and stripe_item_id = $2',
      [row.tenant_id, item.stripe_item_id, quantity],
    );
  }
  return 'sent';
}
