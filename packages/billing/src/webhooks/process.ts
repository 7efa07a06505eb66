import 'server-only';
import type pg from 'pg';
import type Stripe from 'stripe';
import { syncCustomer } from '../customer-state';
import { inTransaction } from '../db';
import { isHandled, resolveCustomer } from './events';

export type ProcessOutcome =
  | { status: 'processed'; tenantId: string | null }
  | { status: 'ignored' }
  | { status: 'duplicate' }
  | { status: 'failed'; error: string };

export interface ProcessDeps {
  pool: pg.Pool;
  stripe: Stripe;
}

/**
 * Applies one (verified) Stripe event exactly once. In one transaction: record the event id in
 * the inbox — a row already processed or ignored means a duplicate, which changes nothing — then
 * re-fetch the customer's state from Stripe and write it. If anything fails, the transaction
 * rolls back and a second one marks the inbox row failed with the error, so a retry (Stripe's or
 * reconciliation's) runs it again.
 */
export async function processEvent(
  event: Pick<Stripe.Event, 'id' | 'type' | 'created' | 'livemode' | 'data'>,
  deps: ProcessDeps,
  via: 'webhook' | 'reconcile' = 'webhook',
): Promise<ProcessOutcome> {
  try {
    return await inTransaction(deps.pool, async (client) => {
      // A concurrent delivery of the same event waits here for the first to commit or roll back.
      const inserted = await client.query(
        `insert into private.stripe_webhook_inbox (event_id, type, created, livemode, status, attempts, received_via)
         values ($1, $2, to_timestamp($3), $4, 'processing', 1, $5)
         on conflict (event_id) do nothing`,
        [event.id, event.type, event.created, event.livemode, via],
      );
      if (inserted.rowCount === 0) {
        const { rows } = await client.query<{ status: string }>(
          'select status from private.stripe_webhook_inbox where event_id = $1 for update',
          [event.id],
        );
        if (rows[0]?.status !== 'failed') return { status: 'duplicate' } as const;
        await client.query(
          `update private.stripe_webhook_inbox set status = 'processing', attempts = attempts + 1 where event_id = $1`,
          [event.id],
        );
      }

      if (!isHandled(event.type)) {
        await client.query(
          `update private.stripe_webhook_inbox set status = 'ignored', processed_at = now(), last_error = null where event_id = $1`,
          [event.id],
        );
        return { status: 'ignored' } as const;
      }

      const customer = await resolveCustomer(event, deps.stripe);
      const { tenantId } = customer ? await syncCustomer(client, deps.stripe, customer) : { tenantId: null };
      await client.query(
        `update private.stripe_webhook_inbox set status = 'processed', processed_at = now(), last_error = null where event_id = $1`,
        [event.id],
      );
      return { status: 'processed', tenantId } as const;
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await recordFailure(deps.pool, event, via, message);
    return { status: 'failed', error: message };
  }
}

async function recordFailure(
  pool: pg.Pool,
  event: Pick<Stripe.Event, 'id' | 'type' | 'created' | 'livemode'>,
  via: 'webhook' | 'reconcile',
  message: string,
): Promise<void> {
  await pool
    .query(
      `insert into private.stripe_webhook_inbox (event_id, type, created, livemode, status, attempts, last_error, received_via)
       values ($1, $2, to_timestamp($3), $4, 'failed', 1, $5, $6)
       on conflict (event_id) do update set
         status = 'failed', last_error = excluded.last_error,
         attempts = private.stripe_webhook_inbox.attempts + case when private.stripe_webhook_inbox.status = 'failed' then 1 else 0 end
       where private.stripe_webhook_inbox.status in ('processing', 'failed')`,
      [event.id, event.type, event.created, event.livemode, message.slice(0, 2000), via],
    )
    .catch((error: unknown) => console.error('[billing] could not record a failed event:', event.id, error));
}
