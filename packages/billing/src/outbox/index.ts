import 'server-only';
import { billingSyncPool } from '../db';
import { stripeClient } from '../stripe';
import { type SendReport, sendOutbox } from './send';

// @bulkhead/billing/outbox: sends every tenant's pending seat and usage updates (billing_sync).
export { MAX_ATTEMPTS, type SendDeps, type SendReport, sendOutbox } from './send';

/** sendOutbox() with the environment's Stripe client and billing_sync pool. */
export function sendDueOutbox(): Promise<SendReport> {
  return sendOutbox({ pool: billingSyncPool(), stripe: stripeClient() });
}
