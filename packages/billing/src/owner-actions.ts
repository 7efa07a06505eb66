import 'server-only';
import type { TenantContext } from '@bulkhead/tenancy';
import { billingSyncPool } from './db';
import { openPortal, startCheckout } from './sessions';
import { stripeClient } from './stripe';

/** startCheckout() and openPortal() with the environment's Stripe client and pools. */
export function checkoutUrl(context: TenantContext, input: { plan: string; returnUrl: string; seats: number }): Promise<string> {
  return startCheckout(context, input, { stripe: stripeClient(), billingPool: billingSyncPool() });
}

export function portalUrl(context: TenantContext, input: { returnUrl: string }): Promise<string> {
  return openPortal(context, input, { stripe: stripeClient(), billingPool: billingSyncPool() });
}
