import type pg from 'pg';

/**
 * What the attack suite attacks, read from the catalog of the migrated database rather than from
 * a list someone keeps up to date: every relation with row level security or a `tenant_id`
 * column, and every function `authenticated` may execute, outside the schemas Supabase and
 * PostgreSQL own. A table or RPC added next year is attacked the first time the suite runs.
 *
 * Whatever the generator cannot handle on its own must be listed below with a reason; the
 * discovery test fails on anything that is neither handled nor listed, so nothing is skipped
 * silently.
 */

/** Schemas that belong to PostgreSQL, Supabase or this suite's own instrumentation, not to the app. */
export const SYSTEM_SCHEMAS = [
  'pg_catalog',
  'information_schema',
  'auth',
  'storage',
  'realtime',
  '_realtime',
  '_analytics',
  'extensions',
  'graphql',
  'graphql_public',
  'vault',
  'pgsodium',
  'pgsodium_masks',
  'net',
  'supabase_functions',
  'supabase_migrations',
  'cron',
  'pgbouncer',
  'pgtle',
  'attack_oracle',
];

/**
 * Relations with RLS but no tenant column the suite can find (neither `tenant_id` nor the column
 * other tables' `tenant_id` references). Key: `schema.name`. Each needs a reason; the suite then
 * still runs select attacks on it, but cannot seed it per tenant.
 */
export const NOT_TENANT_SCOPED: Record<string, string> = {
  'private.staff_members': "The operator's staff list (no tenant): authenticated holds no privilege on it.",
  'private.staff_access_grants':
    'Break-glass grants of staff on tenants (granted_tenant_id): authenticated holds no privilege on it; only staff functions at aal2 write it.',
  'private.tenant_suspensions':
    'Ids of suspended tenants, read only by tenancy_owner for the helpers; authenticated holds no privilege on it.',
  'private.staff_read_marks':
    'Which transaction logged which staff read (read_tenant_id): authenticated holds no privilege on it; only staff_begin_read() writes it.',
  'private.request_proof_keys':
    "The HMAC key of verified_request()'s proof (no tenant): authenticated holds no privilege on it; only tenancy_owner reads it.",
};

/**
 * Functions executable by `authenticated` that the generator cannot call meaningfully. Key:
 * `schema.name(identity arguments)`, as pg_get_function_identity_arguments prints them.
 */
const STAFF_RPC =
  "Staff console RPC: needs staff at aal2, returns tenant metadata by design and writes the target tenant's audit log, which the oracle would count as a change to a foreign tenant. Its refusals (non-staff, aal1, no or expired grant) are tested in test/schema/staff.test.ts.";

export const NOT_CALLABLE: Record<string, string> = {
  'private.staff_audit(tenant uuid, action text, target_type text, target_id uuid, details jsonb)': STAFF_RPC,
  'private.staff_begin_read(tenant uuid, what text)': STAFF_RPC,
  'public.staff_end_grant(grant_id uuid)': STAFF_RPC,
  'public.staff_end_user_sessions(user_id uuid)': STAFF_RPC,
  'public.staff_grants(include_ended boolean)': STAFF_RPC,
  'public.staff_open_grant(tenant_id uuid, reason text, minutes integer)': STAFF_RPC,
  'public.staff_set_tenant_status(tenant_id uuid, status text, reason text)': STAFF_RPC,
  'public.staff_tenant(tenant_id uuid)': STAFF_RPC,
  'public.staff_tenant_documents(tenant_id uuid, page_size integer, page_offset integer)': STAFF_RPC,
  'public.staff_tenants(search text, page_size integer, page_offset integer)': STAFF_RPC,
};

/**
 * Callable functions for which no call inside the attacker's own tenant can succeed, so no
 * positive control is expected. Same keys as NOT_CALLABLE.
 */
export const NO_POSITIVE_CONTROL: Record<string, string> = {};

/** The kinds of values the generator can produce; a column or argument of any other type is unsupported. */
export type ValueKind = 'uuid' | 'text' | 'int' | 'numeric' | 'bool' | 'time' | 'json' | 'bytea' | 'uuid[]' | 'text[]' | 'enum';

export interface Column {
  name: string;
  /** format_type(): what a parameter is cast to. */
  type: string;
  kind: ValueKind | null;
  enumValues: string[];
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
  canInsert: boolean;
  canUpdate: boolean;
}

export interface ForeignKey {
  columns: string[];
  refTable: string;
  refColumns: string[];
}

export interface Relation {
  /** schema.name, quoted for SQL. */
  sql: string;
  /** schema.name, for reports. */
  name: string;
  kind: 'table' | 'view' | 'other';
  rls: boolean;
  force: boolean;
  /** The column holding the tenant id: `tenant_id`, or the column `tenant_id` refers to. */
  tenantColumn: string | null;
  columns: Column[];
  /** Primary key columns; empty when there is none. */
  primaryKey: string[];
  foreignKeys: ForeignKey[];
  privileges: { select: boolean; insert: boolean; update: boolean; delete: boolean };
}

export interface Arg {
  name: string;
  type: string;
  kind: ValueKind | null;
  enumValues: string[];
}

export interface FunctionTarget {
  /** schema.name(identity args): the key of the lists above. */
  key: string;
  /** schema.name, quoted for SQL. */
  sql: string;
  kind: 'function' | 'procedure' | 'other';
  args: Arg[];
  returnsSet: boolean;
  returns: string;
  securityDefiner: boolean;
  owner: string;
}

export type FunctionClass = { callable: true } | { callable: false; reason: string; listed: boolean };

export interface Catalog {
  relations: Relation[];
  functions: FunctionTarget[];
  /** Functions with their classification, for the discovery report and gate. */
  classified: { fn: FunctionTarget; class: FunctionClass }[];
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Which generator kind serves a type (format_type output, or 'enum'). */
export function kindOf(type: string, isEnum: boolean): ValueKind | null {
  if (isEnum) return 'enum';
  if (type === 'uuid') return 'uuid';
  if (type === 'uuid[]') return 'uuid[]';
  if (type === 'text[]' || /^character varying(\(\d+\))?\[\]$/.test(type)) return 'text[]';
  if (type === 'text' || type === 'citext' || type === 'name' || /^character varying/.test(type) || /^character\(/.test(type)) {
    return 'text';
  }
  if (['smallint', 'integer', 'bigint'].includes(type)) return 'int';
  if (type === 'numeric' || type.startsWith('numeric(') || type === 'real' || type === 'double precision') return 'numeric';
  if (type === 'boolean') return 'bool';
  if (type.startsWith('timestamp') || type === 'date') return 'time';
  if (type === 'jsonb' || type === 'json') return 'json';
  if (type === 'bytea') return 'bytea';
  return null;
}

const schemaFilter = (column: string) => `${column} <> all ($1::text[]) and ${column} !~ '^pg_'`;

export async function discover(client: pg.ClientBase): Promise<Catalog> {
  const relations = await discoverRelations(client);
  const functions = await discoverFunctions(client);
  const classified = functions.map((fn) => ({ fn, class: classify(fn) }));
  return { relations, functions, classified };
}

async function discoverRelations(client: pg.ClientBase): Promise<Relation[]> {
  const { rows } = await client.query<{
    oid: number;
    schema: string;
    name: string;
    relkind: string;
    rls: boolean;
    force: boolean;
  }>(
    `select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relkind::text as relkind,
            c.relrowsecurity as rls, c.relforcerowsecurity as force
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v', 'm', 'f')
        and ${schemaFilter('n.nspname')}
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        and (c.relrowsecurity
             or exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and a.attnum > 0 and not a.attisdropped))
      order by 2, 3`,
    [SYSTEM_SCHEMAS],
  );

  // The tenant column of a table without `tenant_id` (tenants.id): what other tables' tenant_id refers to.
  const { rows: referenced } = await client.query<{ oid: number; column: string }>(
    `select distinct con.confrelid::int as oid, ra.attname as column
       from pg_constraint con
       join lateral unnest(con.conkey, con.confkey) as k(col, refcol) on true
       join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.col
       join pg_attribute ra on ra.attrelid = con.confrelid and ra.attnum = k.refcol
      where con.contype = 'f' and a.attname = 'tenant_id'`,
  );

  const result: Relation[] = [];
  for (const row of rows) {
    const { rows: columns } = await client.query<{
      name: string;
      type: string;
      is_enum: boolean;
      enum_values: string[] | null;
      not_null: boolean;
      has_default: boolean;
      generated: boolean;
      can_insert: boolean;
      can_update: boolean;
    }>(
      `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
              t.typtype = 'e' as is_enum,
              (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = a.atttypid) as enum_values,
              a.attnotnull as not_null, a.atthasdef as has_default,
              (a.attgenerated <> '' or a.attidentity = 'a') as generated,
              has_column_privilege('authenticated', a.attrelid, a.attname, 'INSERT') as can_insert,
              has_column_privilege('authenticated', a.attrelid, a.attname, 'UPDATE') as can_update
         from pg_attribute a join pg_type t on t.oid = a.atttypid
        where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
        order by a.attnum`,
      [row.oid],
    );
    const { rows: pk } = await client.query<{ name: string }>(
      `select a.attname as name
         from pg_index i join lateral unnest(i.indkey) with ordinality as k(attnum, ord) on true
         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
        where i.indrelid = $1 and i.indisprimary
        order by k.ord`,
      [row.oid],
    );
    const { rows: fks } = await client.query<{ columns: string[]; ref_table: string; ref_columns: string[] }>(
      `select array_agg(a.attname::text order by k.ord) as columns,
              format('%I.%I', rn.nspname, rc.relname) as ref_table,
              array_agg(ra.attname::text order by k.ord) as ref_columns
         from pg_constraint con
         join lateral unnest(con.conkey, con.confkey) with ordinality as k(col, refcol, ord) on true
         join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.col
         join pg_attribute ra on ra.attrelid = con.confrelid and ra.attnum = k.refcol
         join pg_class rc on rc.oid = con.confrelid join pg_namespace rn on rn.oid = rc.relnamespace
        where con.conrelid = $1 and con.contype = 'f'
        group by con.oid, rn.nspname, rc.relname`,
      [row.oid],
    );
    const { rows: privs } = await client.query<{ select: boolean; insert: boolean; update: boolean; delete: boolean }>(
      `select has_table_privilege('authenticated', $1::oid, 'SELECT')
                or exists (select 1 from pg_attribute a where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
                             and has_column_privilege('authenticated', $1::oid, a.attnum, 'SELECT')) as "select",
              has_table_privilege('authenticated', $1::oid, 'INSERT')
                or exists (select 1 from pg_attribute a where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
                             and has_column_privilege('authenticated', $1::oid, a.attnum, 'INSERT')) as insert,
              has_table_privilege('authenticated', $1::oid, 'UPDATE')
                or exists (select 1 from pg_attribute a where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
                             and has_column_privilege('authenticated', $1::oid, a.attnum, 'UPDATE')) as update,
              has_table_privilege('authenticated', $1::oid, 'DELETE') as delete`,
      [row.oid],
    );
    const hasTenantId = columns.some((c) => c.name === 'tenant_id');
    result.push({
      sql: `${ident(row.schema)}.${ident(row.name)}`,
      name: `${row.schema}.${row.name}`,
      kind: row.relkind === 'r' || row.relkind === 'p' ? 'table' : row.relkind === 'v' ? 'view' : 'other',
      rls: row.rls,
      force: row.force,
      tenantColumn: hasTenantId ? 'tenant_id' : (referenced.find((r) => r.oid === row.oid)?.column ?? null),
      columns: columns.map((c) => ({
        name: c.name,
        type: c.type,
        kind: kindOf(c.type, c.is_enum),
        enumValues: c.enum_values ?? [],
        notNull: c.not_null,
        hasDefault: c.has_default,
        generated: c.generated,
        canInsert: c.can_insert,
        canUpdate: c.can_update,
      })),
      primaryKey: pk.map((p) => p.name),
      foreignKeys: fks.map((f) => ({ columns: f.columns, refTable: f.ref_table, refColumns: f.ref_columns })),
      privileges: privs[0] ?? { select: false, insert: false, update: false, delete: false },
    });
  }
  return result;
}

async function discoverFunctions(client: pg.ClientBase): Promise<FunctionTarget[]> {
  const { rows } = await client.query<{
    oid: number;
    schema: string;
    name: string;
    identity: string;
    prokind: string;
    retset: boolean;
    returns: string;
    secdef: boolean;
    owner: string;
  }>(
    `select p.oid::int as oid, n.nspname as schema, p.proname as name,
            pg_get_function_identity_arguments(p.oid) as identity, p.prokind::text as prokind,
            p.proretset as retset, format_type(p.prorettype, null) as returns, p.prosecdef as secdef,
            pg_get_userbyid(p.proowner) as owner
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where ${schemaFilter('n.nspname')}
        and has_function_privilege('authenticated', p.oid, 'EXECUTE')
        and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
      order by 2, 3, 4`,
    [SYSTEM_SCHEMAS],
  );
  const result: FunctionTarget[] = [];
  for (const row of rows) {
    // Input arguments only (IN, INOUT, VARIADIC), in order, with names where there are any.
    const { rows: args } = await client.query<{
      name: string | null;
      type: string;
      is_enum: boolean;
      enum_values: string[] | null;
    }>(
      `select coalesce(p.proargnames[k.ord], '') as name,
              format_type(k.typ, null) as type,
              t.typtype = 'e' as is_enum,
              (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = k.typ) as enum_values
         from pg_proc p
         join lateral unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as k(typ, ord) on true
         join pg_type t on t.oid = k.typ
        where p.oid = $1 and coalesce(p.proargmodes[k.ord], 'i') in ('i', 'b', 'v')
        order by k.ord`,
      [row.oid],
    );
    result.push({
      key: `${row.schema}.${row.name}(${row.identity})`,
      sql: `${ident(row.schema)}.${ident(row.name)}`,
      kind: row.prokind === 'f' ? 'function' : row.prokind === 'p' ? 'procedure' : 'other',
      args: args.map((a) => ({
        name: a.name ?? '',
        type: a.type,
        kind: kindOf(a.type, a.is_enum),
        enumValues: a.enum_values ?? [],
      })),
      returnsSet: row.retset,
      returns: row.returns,
      securityDefiner: row.secdef,
      owner: row.owner,
    });
  }
  return result;
}

/** Can the generator call it? Listed functions are not called; unlisted uncallable ones fail the gate. */
export function classify(fn: FunctionTarget): FunctionClass {
  const listed = NOT_CALLABLE[fn.key];
  if (listed) return { callable: false, reason: listed, listed: true };
  if (fn.kind === 'other') return { callable: false, reason: 'aggregate or window function', listed: false };
  if (['trigger', 'event_trigger'].includes(fn.returns)) {
    return { callable: false, reason: `returns ${fn.returns}: runs only as a trigger`, listed: false };
  }
  const unsupported = fn.args.filter((a) => a.kind === null);
  if (unsupported.length > 0) {
    return {
      callable: false,
      reason: `no generator for argument type(s) ${unsupported.map((a) => `${a.name || '?'} ${a.type}`).join(', ')}`,
      listed: false,
    };
  }
  return { callable: true };
}

/** What the suite cannot attack on its own and nobody listed: each entry fails the discovery test. */
export function gateOf(catalog: Catalog): { unlistedFunctions: string[]; unscopedRelations: string[] } {
  return {
    unlistedFunctions: catalog.classified.flatMap((c) =>
      !c.class.callable && !c.class.listed ? [`${c.fn.key}: ${c.class.reason}`] : [],
    ),
    unscopedRelations: catalog.relations.filter((r) => !r.tenantColumn && !NOT_TENANT_SCOPED[r.name]).map((r) => r.name),
  };
}

/** One line per discovered target, for the log. */
export function describeCatalog(catalog: Catalog): string {
  const lines = catalog.relations.map(
    (r) =>
      `  relation ${r.name} (${r.kind}${r.rls ? ', rls' : ''}${r.force ? ', force' : ''}) tenant column ${r.tenantColumn ?? '—'}; ` +
      `authenticated may ${(['select', 'insert', 'update', 'delete'] as const).filter((p) => r.privileges[p]).join('/') || 'nothing'}`,
  );
  for (const { fn, class: c } of catalog.classified) {
    lines.push(
      `  function ${fn.key}${fn.securityDefiner ? ' security definer' : ''}${c.callable ? '' : ` — not called: ${c.reason}`}`,
    );
  }
  return lines.join('\n');
}
