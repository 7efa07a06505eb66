import type { LocalApiKeys } from './keys';

/**
 * The variables `supabase status -o env` prints, with the same names, so the apps can be
 * pointed at `supabase start` or a hosted project by changing values only.
 */
export function stackEnvironment(input: {
  apiUrl: string;
  migrationUrl: string;
  keys: LocalApiKeys;
  /** The app_server login, when the stack knows its password (it set it). */
  appDatabaseUrl?: string;
  /** The billing_sync login (Stripe webhooks, reconciliation), likewise. */
  billingDatabaseUrl?: string;
}): Record<string, string> {
  return {
    API_URL: input.apiUrl,
    DB_URL: input.migrationUrl,
    JWT_SECRET: input.keys.jwtSecret,
    ANON_KEY: input.keys.anonKey,
    SERVICE_ROLE_KEY: input.keys.serviceRoleKey,
    PUBLISHABLE_KEY: input.keys.publishableKey,
    SECRET_KEY: input.keys.secretKey,
    // Bulkhead's own: the apps' database login (see docs/runbook.md for hosted projects).
    ...(input.appDatabaseUrl ? { APP_DATABASE_URL: input.appDatabaseUrl } : {}),
    ...(input.billingDatabaseUrl ? { BILLING_DATABASE_URL: input.billingDatabaseUrl } : {}),
  };
}
