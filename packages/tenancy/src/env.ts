import 'server-only';
import { z } from 'zod';

/**
 * The tenancy layer's environment, validated once at start-up. Names follow
 * `supabase status -o env`, so `supabase start`, a hosted project or the local stack differ
 * only in values.
 */
const schema = z.object({
  API_URL: z.url('API_URL must be the Supabase API URL, e.g. http://127.0.0.1:54321 (see `pnpm stack env`)'),
  ANON_KEY: z.string().min(20, 'ANON_KEY must be the project anon (or publishable) key (see `pnpm stack env`)'),
  APP_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'APP_DATABASE_URL must be a postgres:// URL')
    .describe('the app_server login; never postgres or service_role'),
  // Only for apps on different subdomains that share one sign-in (docs/staff-console.md): the
  // parent domain, e.g. `example.com`. Unset: the cookie belongs to the exact host.
  AUTH_COOKIE_DOMAIN: z
    .string()
    .regex(/^\.?[a-z0-9.-]+$/i, 'AUTH_COOKIE_DOMAIN must be a bare domain such as example.com (no scheme, port or path)')
    .optional(),
});

export type TenancyEnv = z.infer<typeof schema>;

let cached: TenancyEnv | undefined;

/** Reads and validates the environment on first use; throws a message that says what to set. */
export function tenancyEnv(): TenancyEnv {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(
      `@bulkhead/tenancy: environment is incomplete.\n${z.prettifyError(parsed.error)}\n` +
        'Locally, run the app through `pnpm dev` (or `pnpm stack exec -- <cmd>`), which sets these from the stack.',
    );
  }
  cached = parsed.data;
  return cached;
}
