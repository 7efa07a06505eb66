import { z } from 'zod';

/**
 * The contract suite's only environment input: a real Supabase to run against instead of the
 * local server. With SUPABASE_URL unset the suite starts its own local auth server per file.
 *
 *   SUPABASE_URL               e.g. http://127.0.0.1:54321 (supabase start) or https://<ref>.supabase.co
 *   SUPABASE_ANON_KEY          the anon (or publishable) key
 *   SUPABASE_SERVICE_ROLE_KEY  the service_role (or secret) key
 *   SUPABASE_DB_URL            optional: a postgres login that may read auth.* (supabase start's
 *                              postgresql://postgres:postgres@127.0.0.1:54322/postgres); tests that
 *                              inspect auth tables skip without it
 */
const schema = z
  .object({
    SUPABASE_URL: z.string().url().optional(),
    SUPABASE_ANON_KEY: z.string().min(1).optional(),
    SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),
    SUPABASE_DB_URL: z.string().url().optional(),
  })
  .refine((env) => !env.SUPABASE_URL || (env.SUPABASE_ANON_KEY && env.SUPABASE_SERVICE_ROLE_KEY), {
    message: 'SUPABASE_URL needs SUPABASE_ANON_KEY and SUPABASE_SERVICE_ROLE_KEY',
  });

const env = schema.parse(process.env);

export interface RemoteTarget {
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  dbUrl?: string;
}

export const remoteTarget: RemoteTarget | undefined =
  env.SUPABASE_URL && env.SUPABASE_ANON_KEY && env.SUPABASE_SERVICE_ROLE_KEY
    ? {
        url: env.SUPABASE_URL.replace(/\/+$/, ''),
        anonKey: env.SUPABASE_ANON_KEY,
        serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY,
        dbUrl: env.SUPABASE_DB_URL,
      }
    : undefined;

/** Reason string for tests that need control only the local server gives. */
export const LOCAL_ONLY = 'needs a local auth server (config per instance); skipped against a real Supabase';
