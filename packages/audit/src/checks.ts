/**
 * The audit's checks. Ids are stable: they appear in allow-lists, SARIF rule ids and the
 * runbook, so a check is never renumbered; a retired check keeps its id unused.
 */

export type Severity = 'error' | 'warn' | 'info';

export const severityRank: Record<Severity, number> = { info: 0, warn: 1, error: 2 };

export interface CheckDefinition {
  id: string;
  name: string;
  severity: Severity;
  /** One line: what the check looks for. */
  title: string;
  /** Why it matters: the leak or failure it prevents. */
  why: string;
  /** How to fix it, in the style of the kit's migrations. */
  fix: string;
}

const definitions = [
  {
    id: 'BH000',
    name: 'sql-parse-error',
    severity: 'error',
    title: 'A migration file does not parse as PostgreSQL',
    why: 'Static mode cannot check what it cannot parse, and the migration would fail to apply anyway.',
    fix: 'Fix the syntax error at the reported line; the file must parse with the PostgreSQL 17 grammar.',
  },
  {
    id: 'BH001',
    name: 'rls-not-enabled',
    severity: 'error',
    title: 'Tenant table without ENABLE ROW LEVEL SECURITY',
    why: 'Without RLS every role with a table privilege reads and writes every tenant’s rows; policies on the table are ignored.',
    fix: 'alter table <table> enable row level security;  (and FORCE, see BH002)',
  },
  {
    id: 'BH002',
    name: 'rls-not-forced',
    severity: 'error',
    title: 'Tenant table without FORCE ROW LEVEL SECURITY',
    why: 'Without FORCE the table owner bypasses every policy, and so does every SECURITY DEFINER function and view the owner runs: one owner-run query sees all tenants. Supabase’s linter never checks FORCE.',
    fix: 'alter table <table> force row level security;',
  },
  {
    id: 'BH003',
    name: 'owner-bypasses-rls',
    severity: 'error',
    title: 'Tenant table owned by a superuser or BYPASSRLS role',
    why: 'BYPASSRLS and superuser beat FORCE: policies never apply to the owner, nor to SECURITY DEFINER code it owns. On Supabase, postgres and service_role have BYPASSRLS, so tables created by migrations are owned by a bypassing role unless reassigned.',
    fix: 'alter table <table> owner to tenancy_owner;  (a NOLOGIN role without BYPASSRLS)',
  },
  {
    id: 'BH004',
    name: 'command-without-policy',
    severity: 'warn',
    title: 'A command is granted on a tenant table but no policy covers it',
    why: 'With RLS on and no policy for a command, the command silently matches no rows (SELECT returns nothing, UPDATE/DELETE do nothing, INSERT fails): the grant says “allowed”, the policies say “denied”, and nobody notices which one was intended.',
    fix: 'Add a policy for the command (to authenticated, comparing tenant_id with (select private.current_tenant_id())), or revoke the privilege so the denial is explicit and fails loudly (42501).',
  },
  {
    id: 'BH005',
    name: 'policy-without-tenant-helper',
    severity: 'error',
    title: 'A permissive policy on a tenant table does not call the tenant helper, or ORs in a branch that does not',
    why: 'A permissive policy (or one OR branch of it) that does not compare tenant_id with the tenant helper grants rows regardless of tenant; permissive policies and branches are OR-ed, so one such branch opens the whole table to every tenant.',
    fix: 'Compare the tenant column with the helper: using (tenant_id = (select private.current_tenant_id())); make a policy that narrows by something else RESTRICTIVE.',
  },
  {
    id: 'BH006',
    name: 'helper-not-wrapped',
    severity: 'warn',
    title: 'A policy calls the tenant helper or an auth.* function without the (select …) wrapper',
    why: 'Unwrapped, the function runs once per row instead of once per query (an initPlan): Supabase measured 179 ms vs 9 ms on 100K rows, and minutes on joins. Supabase’s linter does not see custom helpers.',
    fix: 'Wrap the call: (select private.current_tenant_id()) instead of private.current_tenant_id().',
  },
  {
    id: 'BH007',
    name: 'policy-uses-user-metadata',
    severity: 'error',
    title: 'A policy references user_metadata or raw_user_meta_data',
    why: 'Users write their own user_metadata (supabase.auth.updateUser({ data })): a policy that trusts it lets any user claim any tenant.',
    fix: 'Read tenant claims from app_metadata set by the custom access token hook, through the tenant helper.',
  },
  {
    id: 'BH008',
    name: 'policy-always-true',
    severity: 'error',
    title: 'A write policy with USING (true) or WITH CHECK (true)',
    why: 'A permissive USING (true) on UPDATE/DELETE/ALL lets the role change every row; WITH CHECK (true) (or an INSERT policy without WITH CHECK) lets it write rows into any tenant.',
    fix: 'Use the tenant comparison in both USING and WITH CHECK; drop the policy if the role must not write.',
  },
  {
    id: 'BH009',
    name: 'permissive-policies-overlap',
    severity: 'warn',
    title: 'More than one permissive policy for the same role and command',
    why: 'Permissive policies are OR-ed: the table is only as tight as the weakest of them, which is easy to miss in review, and every one is evaluated per row.',
    fix: 'Merge them into one policy per role and command, or make the narrowing ones AS RESTRICTIVE.',
  },
  {
    id: 'BH010',
    name: 'tenant-index-missing',
    severity: 'warn',
    title: 'Tenant table without an index whose leading column is the tenant column',
    why: 'Every tenant query filters on tenant_id (the policy adds it): without a leading index each one scans the table, which is what dominates RLS cost.',
    fix: 'Make the primary key (tenant_id, id), or: create index on <table> (tenant_id);',
  },
  {
    id: 'BH011',
    name: 'foreign-key-without-tenant',
    severity: 'error',
    title: 'A foreign key between tenant tables that does not include the tenant column',
    why: 'A row can then reference another tenant’s row (foreign-key checks bypass RLS), through any BYPASSRLS path or a guessed id; and the schema cannot be distributed by tenant_id on Citus.',
    fix: 'Reference the composite key: foreign key (tenant_id, parent_id) references <parent> (tenant_id, id).',
  },
  {
    id: 'BH012',
    name: 'key-without-tenant',
    severity: 'warn',
    title: 'A primary key or unique constraint/index on a tenant table without the tenant column',
    why: 'Uniqueness is checked across all tenants regardless of RLS: a duplicate-key error tells one tenant that another tenant’s value exists; and Citus requires the distribution column in every primary key and unique constraint.',
    fix: 'Put the tenant column first: primary key (tenant_id, id), unique (tenant_id, slug).',
  },
  {
    id: 'BH013',
    name: 'sequential-key',
    severity: 'warn',
    title: 'Serial or identity column on a tenant table',
    why: 'Sequences are shared by all tenants and not covered by RLS: ids are guessable and leak every tenant’s volume.',
    fix: 'Use uuid keys: id uuid not null default gen_random_uuid().',
  },
  {
    id: 'BH014',
    name: 'definer-search-path-mutable',
    severity: 'error',
    title: 'SECURITY DEFINER function without a fixed search_path',
    why: 'The function runs with its owner’s rights but resolves names through the caller’s search_path: a caller who can create objects earlier in the path runs code as the owner.',
    fix: "Add set search_path = '' to the function and schema-qualify every name in its body.",
  },
  {
    id: 'BH015',
    name: 'definer-executable-by-api',
    severity: 'error',
    title: 'SECURITY DEFINER function executable by anon, authenticated or PUBLIC',
    why: 'Functions are executable by PUBLIC by default and Supabase grants ALL on new functions in public to anon and authenticated: a definer function skips RLS as its owner for anyone who can call it.',
    fix: 'revoke execute on function <fn> from public, anon, authenticated; grant it only to the roles that need it, or make the function SECURITY INVOKER. Allow-list it with a justification if API users must call it.',
  },
  {
    id: 'BH016',
    name: 'view-not-security-invoker',
    severity: 'error',
    title: 'View in an exposed schema without security_invoker',
    why: 'A view runs with its owner’s rights unless security_invoker is set: RLS on the underlying tables is checked for the view owner (often a BYPASSRLS role), not for the caller.',
    fix: 'create view … with (security_invoker = true) as …;  or: alter view <view> set (security_invoker = true);',
  },
  {
    id: 'BH017',
    name: 'unprotected-relation-exposed',
    severity: 'error',
    title: 'Materialized view or foreign table in an exposed schema',
    why: 'Materialized views and foreign tables cannot have RLS: every row is visible to whoever has SELECT, through the Data API.',
    fix: 'Move it to a non-exposed schema (e.g. private) and expose it through a security_invoker view or function that filters by tenant.',
  },
  {
    id: 'BH018',
    name: 'anon-privileges-on-tenant-table',
    severity: 'error',
    title: 'anon (or PUBLIC) holds a privilege on a tenant table',
    why: 'Supabase grants ALL on new tables in public to anon: RLS becomes the only barrier, and TRUNCATE and REFERENCES are never subject to RLS at all.',
    fix: 'revoke all on <table> from anon, public;  then grant authenticated only what the policies cover.',
  },
  {
    id: 'BH019',
    name: 'claims-hook-executable',
    severity: 'error',
    title: 'The custom access token hook is executable by roles other than supabase_auth_admin',
    why: 'Anyone who can call the hook can ask it for the claims of any user id (tenant ids and roles), and a SECURITY DEFINER hook runs with its owner’s rights.',
    fix: 'revoke execute on function <hook> from public, anon, authenticated; grant execute on function <hook> to supabase_auth_admin;',
  },
  {
    id: 'BH020',
    name: 'allowlist-object-missing',
    severity: 'error',
    title: 'The audit config names an object that does not exist',
    why: 'A stale allow-list entry (or tenant-table entry) no longer documents anything, and it silently exempts any future object that reuses the name.',
    fix: 'Remove the entry from the audit config, or correct its object name.',
  },
  {
    id: 'BH021',
    name: 'allowlist-entry-unused',
    severity: 'info',
    title: 'An allow-list entry matches no finding',
    why: 'The object exists but no longer has the finding the entry excuses: the entry is dead weight in review.',
    fix: 'Remove the entry from the audit config.',
  },
  {
    id: 'BH022',
    name: 'unmodelled-statement',
    severity: 'info',
    title: 'Static mode cannot model a statement',
    why: 'Static mode replays migrations without a database; what it cannot model (DO blocks, dynamic SQL, REASSIGN OWNED, …) may change the end state it checks, so its verdict may differ from the live audit.',
    fix: 'Prefer plain DDL in migrations (see docs/runbook.md, “Keeping migrations auditable”), or confirm with the live audit: pnpm audit:tenancy --live.',
  },
] as const satisfies readonly CheckDefinition[];

export type CheckId = (typeof definitions)[number]['id'];

export const checks: readonly CheckDefinition[] = definitions;

const byKey = new Map<string, CheckDefinition>();
for (const check of checks) {
  byKey.set(check.id, check);
  byKey.set(check.name, check);
}

export function checkById(id: CheckId): CheckDefinition {
  const check = byKey.get(id);
  if (!check) throw new Error(`unknown check ${id}`);
  return check;
}

/** Resolves an id (BH002) or a name (rls-not-forced), as the config accepts both. */
export function resolveCheck(idOrName: string): CheckDefinition | undefined {
  return byKey.get(idOrName) ?? byKey.get(idOrName.toUpperCase());
}

/** Findings that describe the audit run rather than the schema: they differ between modes by nature. */
export const modeSpecificChecks: ReadonlySet<string> = new Set(['BH000', 'BH022']);
