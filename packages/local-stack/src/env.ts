import { resolve } from 'node:path';
import { z } from 'zod';
import { repoRoot } from './paths';

/**
 * The local stack's own settings. Everything is optional: with nothing set, the stack runs an
 * embedded PostgreSQL 17 with its data under .bulkhead/.
 */
const schema = z.object({
  DATABASE_URL: z
    .string()
    .url('DATABASE_URL must be a postgres:// connection string of a superuser (or of the postgres login of a Supabase database)')
    .optional(),
  BULKHEAD_STACK_DIR: z.string().min(1).optional(),
  // Port overrides exist for tests that run a second stack beside a developer's; everyone
  // else takes the ports from supabase/config.toml.
  BULKHEAD_API_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  BULKHEAD_DB_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  // The local Stripe stand-in: its port (default API port + 10) and where it delivers webhooks.
  BULKHEAD_STRIPE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  BULKHEAD_STRIPE_WEBHOOK_URL: z
    .string()
    .url(
      'BULKHEAD_STRIPE_WEBHOOK_URL must be the http(s) URL of the web app webhook route, e.g. http://127.0.0.1:3000/api/stripe/webhook',
    )
    .optional(),
  // Test suites: run against this server (a superuser login) instead of a throwaway embedded one.
  TEST_DATABASE_URL: z.string().url('TEST_DATABASE_URL must be a superuser postgres:// URL').optional(),
});

const parsed = schema.safeParse(process.env);
if (!parsed.success) {
  throw new Error(`local-stack environment is invalid:\n${z.prettifyError(parsed.error)}`);
}

export const stackEnv = {
  databaseUrl: parsed.data.DATABASE_URL,
  stackDir: resolve(repoRoot, parsed.data.BULKHEAD_STACK_DIR ?? '.bulkhead'),
  apiPort: parsed.data.BULKHEAD_API_PORT,
  dbPort: parsed.data.BULKHEAD_DB_PORT,
  stripePort: parsed.data.BULKHEAD_STRIPE_PORT,
  stripeWebhookUrl: parsed.data.BULKHEAD_STRIPE_WEBHOOK_URL,
  testDatabaseUrl: parsed.data.TEST_DATABASE_URL,
};
