import 'server-only';
import { z } from 'zod';

/**
 * The billing package's environment, validated on first use. The same names whichever Stripe the
 * kit talks to: a real account, or the local stand-in (`pnpm stack env` prints its values).
 */
const SECRET_KEY = 'set STRIPE_SECRET_KEY to a Stripe secret key (sk_test_… or sk_live_…; see `pnpm stack env`)';
const WEBHOOK_SECRET = 'set STRIPE_WEBHOOK_SECRET to the webhook endpoint signing secret (whsec_…; see `pnpm stack env`)';
const DATABASE_URL = 'set BILLING_DATABASE_URL to a postgres:// URL of the billing_sync login (see `pnpm stack env`)';

const schema = z.object({
  STRIPE_SECRET_KEY: z.string({ error: SECRET_KEY }).regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, SECRET_KEY),
  STRIPE_WEBHOOK_SECRET: z.string({ error: WEBHOOK_SECRET }).regex(/^whsec_[A-Za-z0-9_+/=]+$/, WEBHOOK_SECRET),
  STRIPE_API_URL: z
    .url('set STRIPE_API_URL to an http(s) URL such as https://api.stripe.com (or leave it unset for Stripe itself)')
    .default('https://api.stripe.com'),
  BILLING_DATABASE_URL: z.string({ error: DATABASE_URL }).regex(/^postgres(ql)?:\/\//, DATABASE_URL),
});

export type BillingEnv = z.infer<typeof schema>;

let cached: BillingEnv | undefined;

/** Reads and validates the environment on first use; throws a message that says what to set. */
export function billingEnv(): BillingEnv {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(
      `@bulkhead/billing: environment is incomplete.\n${z.prettifyError(parsed.error)}\n` +
        'Locally, run through `pnpm dev` (or `pnpm stack exec -- <cmd>`), which sets these from the stack.',
    );
  }
  cached = parsed.data;
  return cached;
}
