import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { resolveCheck } from './checks';

/**
 * The audit config (`supabase/tenancy-audit.json` in the kit): which tables are tenant tables
 * beyond those with a tenant column, the tenant helpers, the claims hook, the exposed schemas,
 * and the allow-list — each entry with a written justification.
 */

const qualifiedName = z
  .string()
  .regex(/^[^.\s]+\.[^.\s]+$/, 'must be schema.name (unquoted identifiers)')
  .describe('schema.name');

const allowEntry = z
  .object({
    check: z
      .string()
      .refine(
        (value) => resolveCheck(value) !== undefined,
        'unknown check: use an id (BH005) or a name (policy-without-tenant-helper)',
      ),
    object: z
      .string()
      .regex(/^[^.\s]+\.[^.\s]+(\.[^.\s]+)?$/, 'must be schema.name or schema.table.member (policy, column, constraint)'),
    justification: z.string().trim().min(20, 'write down why this exception is safe (at least 20 characters)'),
  })
  .strict();

const crossTenantRole = z
  .object({
    role: z.string().min(1),
    justification: z.string().trim().min(20, 'write down why this role may act for every tenant (at least 20 characters)'),
  })
  .strict();

const tenantTable = z
  .object({
    table: qualifiedName,
    tenantColumn: z.string().min(1).optional(),
    justification: z.string().trim().min(1).optional(),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    /** The column that makes a table a tenant table. */
    tenantColumn: z.string().min(1).default('tenant_id'),
    /** Tables that are tenant tables without having the tenant column (e.g. tenants, keyed by id). */
    tenantTables: z.array(z.union([qualifiedName, tenantTable])).default([]),
    /**
     * Functions whose call makes a policy tenant-scoped (BH005). Policies must call them wrapped in
     * (select …) (BH006), and `authenticated` may execute them even when they are SECURITY DEFINER (BH015).
     */
    tenantHelpers: z.array(qualifiedName).min(1).default(['private.current_tenant_id', 'private.current_tenant_role']),
    /**
     * Other functions policies call as the querying role (e.g. the live user id): wrapped like the
     * tenant helpers, executable by `authenticated`, but calling one does not scope a policy to a tenant.
     */
    policyHelpers: z.array(qualifiedName).default([]),
    /** The custom access token hook; only `hookRole` may execute it. */
    claimsHook: qualifiedName.nullable().default('private.custom_access_token_hook'),
    /** The role Supabase Auth runs the hook as. */
    hookRole: z.string().min(1).default('supabase_auth_admin'),
    /** Schemas the Data API serves (config.toml [api] schemas). */
    exposedSchemas: z.array(z.string().min(1)).default(['public', 'graphql_public']),
    /** Schemas managed by Supabase itself, never audited. */
    ignoredSchemas: z
      .array(z.string().min(1))
      .default([
        'auth',
        'storage',
        'realtime',
        '_realtime',
        'extensions',
        'vault',
        'graphql',
        'pgsodium',
        'pgsodium_masks',
        'supabase_functions',
        'supabase_migrations',
        'net',
        'cron',
        'pgbouncer',
        'pgtle',
        '_analytics',
        '_supavisor',
        'information_schema',
      ]),
    /**
     * Kit roles that act for every tenant by design (e.g. the billing webhook login). A permissive
     * policy only for such roles is not tenant-scoped, and that is its purpose: BH005 reports it as
     * allowed with the role's justification instead of needing one allow-list entry per policy.
     * Only policies for these roles alone qualify; a policy that also names `authenticated` is
     * still a finding.
     */
    crossTenantRoles: z.array(crossTenantRole).default([]),
    /** The login migrations run as (owner of what they create unless they SET ROLE). */
    migrationRole: z.string().min(1).default('postgres'),
    allow: z.array(allowEntry).default([]),
  })
  .strict();

export type AuditConfig = z.output<typeof configSchema>;
export type AllowEntry = z.output<typeof allowEntry>;

export interface TenantTableSpec {
  table: string;
  tenantColumn: string;
}

export function tenantTableSpecs(config: AuditConfig): TenantTableSpec[] {
  return config.tenantTables.map((entry) =>
    typeof entry === 'string'
      ? { table: entry, tenantColumn: config.tenantColumn }
      : { table: entry.table, tenantColumn: entry.tenantColumn ?? config.tenantColumn },
  );
}

export const defaultConfig: AuditConfig = configSchema.parse({});

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseConfig(value: unknown, origin = 'config'): AuditConfig {
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`${origin} is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Reads a config file; a missing file at the default path means the defaults. */
export function loadConfig(path: string, { required = false } = {}): AuditConfig {
  if (!existsSync(path)) {
    if (required) throw new ConfigError(`config file not found: ${path}`);
    return defaultConfig;
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(json, path);
}
