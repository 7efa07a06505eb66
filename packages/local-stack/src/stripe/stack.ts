import { stackEnv } from '../env';
import { portInUse } from '../ports';
import { DEFAULT_STRIPE_WEBHOOK_URL, LOCAL_STRIPE_SECRET_KEY, LOCAL_STRIPE_WEBHOOK_SECRET } from './keys';
import { startStripeServer } from './server';

/**
 * The stand-in as part of `pnpm stack up`: on BULKHEAD_STRIPE_PORT (default: API port + 10),
 * its account kept in the stack directory, and a webhook endpoint for the web app's route
 * registered with the fixed local secret. Returns the variables the apps read.
 */
export async function startStackStripe(input: { apiPort: number; statePath: string }) {
  const port = stackEnv.stripePort ?? input.apiPort + 10;
  if (await portInUse(port)) {
    throw new Error(
      `port ${port} for the local Stripe stand-in is already in use: stop what uses it or set BULKHEAD_STRIPE_PORT`,
    );
  }
  const server = await startStripeServer({
    port,
    secretKey: LOCAL_STRIPE_SECRET_KEY,
    statePath: input.statePath,
    webhook: { url: stackEnv.stripeWebhookUrl ?? DEFAULT_STRIPE_WEBHOOK_URL, secret: LOCAL_STRIPE_WEBHOOK_SECRET },
  });
  return {
    env: {
      STRIPE_API_URL: server.url,
      STRIPE_SECRET_KEY: LOCAL_STRIPE_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: LOCAL_STRIPE_WEBHOOK_SECRET,
    },
    stop: server.stop,
  };
}

/** `pnpm stack reset` also empties the stand-in's account (when the running stack has one). */
export async function resetStackStripe(env: Record<string, string> | undefined): Promise<boolean> {
  if (!env?.STRIPE_API_URL || !env.STRIPE_SECRET_KEY?.startsWith('sk_test_bulkhead_local_')) return false;
  const response = await fetch(`${env.STRIPE_API_URL}/_local/reset`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${env.STRIPE_SECRET_KEY}` },
  });
  if (!response.ok) throw new Error(`the local Stripe stand-in did not reset: HTTP ${response.status}`);
  return true;
}
