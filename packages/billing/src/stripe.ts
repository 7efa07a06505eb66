import 'server-only';
import Stripe from 'stripe';
import { billingEnv } from './env';

/**
 * The one place the Stripe API version is pinned. Webhook payloads are rendered in the version
 * of the endpoint, and field locations move between versions (periods moved to subscription
 * items in 2025-03-31.basil), so every request and every webhook endpoint uses this one.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

export interface StripeConnection {
  secretKey: string;
  /** Base URL of the API, e.g. https://api.stripe.com. */
  apiUrl: string;
}

/** A stripe-node client for a key and API base URL. Nothing here knows which Stripe it is. */
export function createStripe({ secretKey, apiUrl }: StripeConnection): Stripe {
  const url = new URL(apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(secretKey, {
    apiVersion: STRIPE_API_VERSION,
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'bulkhead' },
  });
}

const globalStripe = globalThis as unknown as { __bulkheadStripe?: Stripe };

/** The process's client, from the environment. */
export function stripeClient(): Stripe {
  if (!globalStripe.__bulkheadStripe) {
    const env = billingEnv();
    globalStripe.__bulkheadStripe = createStripe({ secretKey: env.STRIPE_SECRET_KEY, apiUrl: env.STRIPE_API_URL });
  }
  return globalStripe.__bulkheadStripe;
}

/** Whether a key belongs to live mode; events must come from the same mode. */
export function isLiveKey(secretKey: string): boolean {
  return /^(sk|rk)_live_/.test(secretKey);
}
