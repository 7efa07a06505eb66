import 'server-only';
import { z } from 'zod';

/**
 * The billing package's environment, validated on first use. The same names whichever Stripe the
 * kit talks to: a real account, or the local stand-in (`pnpm stack env` prints its values).
 */
const schema = z.object({
  STRIPE_SECRET_KEY: z
    .string()
    .regex(
      /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/,
      'STRIPE_SECRET_KEY must be a Stripe secret key (sk_test_… or sk_live_…; see `pnpm stack env`)',
    ),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(
      /^whsec_[A-Za-z0-9_+/=]+$/,
      'STRIPE_WEBHOOK_SECRET must be the endpoint signing secret (whsec_…; see `pnpm stack env`)',
    ),
  STRIPE_API_URL: z
    .url('STRIPE_API_URL must be an http(s) URL such as https://api.stripe.com (leave unset for Stripe itself)')
    .default('https://api.stripe.com'),
  BILLING_DATABASE_URL: z
    .string()
    .regex(
      /^postgres(ql)?:\/\//,
      'BILLING_DATABASE_URL must be a postgres:// URL of the billing_sync login (see `pnpm stack env`)',
    ),
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
