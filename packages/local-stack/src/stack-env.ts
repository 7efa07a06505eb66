import type { LocalApiKeys } from './keys';

/**
 * The variables `supabase status -o env` prints, with the same names, so the apps can be
 * pointed at `supabase start` or a hosted project by changing values only.
 */
export function stackEnvironment(input: { apiUrl: string; migrationUrl: string; keys: LocalApiKeys }): Record<string, string> {
  return {
    API_URL: input.apiUrl,
    DB_URL: input.migrationUrl,
    JWT_SECRET: input.keys.jwtSecret,
    ANON_KEY: input.keys.anonKey,
    SERVICE_ROLE_KEY: input.keys.serviceRoleKey,
    PUBLISHABLE_KEY: input.keys.publishableKey,
    SECRET_KEY: input.keys.secretKey,
  };
}
