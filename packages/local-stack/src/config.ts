import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { z } from 'zod';
import { configTomlPath } from './paths';

/**
 * The part of supabase/config.toml the local stack shares with `supabase start`. Unknown keys
 * are ignored: the file belongs to the Supabase CLI and carries much more.
 */
const durationPattern = /^(\d+h)?(\d+m)?(\d+s)?$/;

const configSchema = z.object({
  project_id: z.string().default('bulkhead'),
  api: z.object({ port: z.number().int().default(54321) }).prefault({}),
  db: z.object({ port: z.number().int().default(54322), major_version: z.number().int().default(17) }).prefault({}),
  auth: z
    .object({
      site_url: z.string().url().default('http://127.0.0.1:3000'),
      additional_redirect_urls: z.array(z.string()).default([]),
      jwt_expiry: z.number().int().min(1).max(604800).default(3600),
      enable_refresh_token_rotation: z.boolean().default(true),
      refresh_token_reuse_interval: z.number().int().min(0).default(10),
      enable_signup: z.boolean().default(true),
      minimum_password_length: z.number().int().min(6).default(6),
      sessions: z
        .object({
          timebox: z.string().regex(durationPattern).optional(),
          inactivity_timeout: z.string().regex(durationPattern).optional(),
        })
        .prefault({}),
      hook: z
        .object({
          custom_access_token: z.object({ enabled: z.boolean().default(false), uri: z.string().optional() }).optional(),
        })
        .prefault({}),
    })
    .prefault({}),
});

export type SupabaseConfig = z.infer<typeof configSchema>;

/** "8h30m" → seconds. Supabase writes session limits as Go durations. */
export function durationToSeconds(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const match = durationPattern.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  const [, h, m, s] = match;
  return (Number.parseInt(h ?? '0', 10) * 60 + Number.parseInt(m ?? '0', 10)) * 60 + Number.parseInt(s ?? '0', 10);
}

/**
 * A `pg-functions://postgres/<schema>/<function>` hook address, split into its parts.
 */
export function parsePgFunctionUri(uri: string): { schema: string; name: string } {
  const match = /^pg-functions:\/\/[^/]+\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!match?.[1] || !match[2]) throw new Error(`hook uri must be pg-functions://postgres/<schema>/<function>, got ${uri}`);
  return { schema: match[1], name: match[2] };
}

export function loadSupabaseConfig(path = configTomlPath): SupabaseConfig {
  const parsed = configSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw new Error(`supabase/config.toml: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** The stack's ports: config.toml, unless a test stack overrides them. */
export function stackPorts(config: SupabaseConfig, overrides: { apiPort?: number; dbPort?: number }) {
  return { api: overrides.apiPort ?? config.api.port, db: overrides.dbPort ?? config.db.port };
}
