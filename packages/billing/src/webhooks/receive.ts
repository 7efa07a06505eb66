import 'server-only';
import type pg from 'pg';
import Stripe from 'stripe';
import { type ProcessOutcome, processEvent } from './process';

export interface ReceiveDeps {
  pool: pg.Pool;
  stripe: Stripe;
  webhookSecret: string;
  /** The mode of the secret key; events of the other mode are refused. */
  livemode: boolean;
  /** Signature tolerance in seconds (Stripe's default: 300). */
  toleranceSeconds?: number;
  /** The receive time, for tests that pin the clock. */
  now?: () => number;
}

export interface WebhookResponse {
  status: number;
  body: { received: boolean; outcome?: ProcessOutcome['status'] | 'rejected'; error?: string };
}

/**
 * Everything the webhook route does, without Next.js: verify the signature on the raw body
 * (with the tolerance), check the event's mode against the key's, and apply it through the
 * inbox. Bad signatures and stale timestamps are 400 with nothing stored; a failed handler is a
 * 500, so Stripe delivers the event again.
 */
export async function receiveWebhook(rawBody: string, signature: string | null, deps: ReceiveDeps): Promise<WebhookResponse> {
  if (!signature)
    return { status: 400, body: { received: false, outcome: 'rejected', error: 'missing Stripe-Signature header' } };
  let event: Stripe.Event;
  try {
    event = deps.stripe.webhooks.constructEvent(
      rawBody,
      signature,
      deps.webhookSecret,
      deps.toleranceSeconds ?? 300,
      undefined,
      deps.now ? Math.floor(deps.now() / 1000) : undefined,
    );
  } catch (error) {
    const message = error instanceof Stripe.errors.StripeSignatureVerificationError ? error.message : 'invalid payload';
    return { status: 400, body: { received: false, outcome: 'rejected', error: message } };
  }
  if (event.livemode !== deps.livemode) {
    console.warn(
      `[billing] refused event ${event.id} (${event.type}): livemode ${event.livemode} does not match the ${deps.livemode ? 'live' : 'test'} key`,
    );
    return { status: 400, body: { received: false, outcome: 'rejected', error: 'livemode does not match this endpoint' } };
  }
  const outcome = await processEvent(event, { pool: deps.pool, stripe: deps.stripe });
  if (outcome.status === 'failed') {
    console.error(`[billing] event ${event.id} (${event.type}) failed: ${outcome.error}`);
    return { status: 500, body: { received: false, outcome: 'failed', error: 'processing failed; retry later' } };
  }
  return { status: 200, body: { received: true, outcome: outcome.status } };
}
