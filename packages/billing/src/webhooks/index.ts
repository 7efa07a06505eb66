import 'server-only';
import { billingSyncPool } from '../db';
import { billingEnv } from '../env';
import { isLiveKey, stripeClient } from '../stripe';
import { receiveWebhook, type WebhookResponse } from './receive';

// @bulkhead/billing/webhooks: Stripe's webhook endpoint logic. Reaches beyond one tenant (it
// writes whichever tenant an event concerns, as billing_sync), hence this subpath.
export { customerOf, HANDLED_EVENT_TYPES, isHandled, resolveCustomer } from './events';
export { type ProcessDeps, type ProcessOutcome, processEvent } from './process';
export { type ReceiveDeps, receiveWebhook, type WebhookResponse } from './receive';

/** The webhook endpoint with the environment's key, secret and billing_sync pool. */
export function handleStripeWebhook(rawBody: string, signature: string | null): Promise<WebhookResponse> {
  const env = billingEnv();
  return receiveWebhook(rawBody, signature, {
    pool: billingSyncPool(),
    stripe: stripeClient(),
    webhookSecret: env.STRIPE_WEBHOOK_SECRET,
    livemode: isLiveKey(env.STRIPE_SECRET_KEY),
  });
}
