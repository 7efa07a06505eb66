import type pg from 'pg';
import { display, type TableName } from './sql';

/**
 * What the tool reads about an existing table before it writes anything: its key, the
 * constraints it will replace, its policies and privileges, and who owns it. The parts a
 * rollback must put back are kept verbatim (definitions as PostgreSQL prints them).
 */

export interface ForeignKey {
  name: string;
  columns: string[];
  refTable: TableName;
  refColumns: string[];
  /** pg_constraint.confdeltype / confupdtype: a no action, r restrict, c cascade, n set null, d set default. */
  onDelete: string;
  onUpdate: string;
  definition: string;
}

export interface UniqueKey {
  name: string;
  columns: string[];
  definition: string;
}

export interface Policy {
  name: string;
  permissive: boolean;
  command: string;
  roles: string[];
  using: string | null;
  withCheck: string | null;
}

export interface TableInfo {
  table: TableName;
  owner: string;
  rls: boolean;
  force: boolean;
  columns: { name: string; type: string; notNull: boolean }[];
  /** The single-column primary key the backfill walks in order. */
  key: { column: string; type: string };
  foreignKeys: ForeignKey[];
  uniques: UniqueKey[];
  policies: Policy[];
  /** Table privileges per grantee other than the owner: role → ['SELECT', …]. */
  grants: Record<string, string[]>;
  /** Grantees that row level security binds (not the owner, not superuser, not BYPASSRLS). */
  boundRoles: string[];
}

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

export async function readTable(client: pg.ClientBase, table: TableName): Promise<TableInfo> {
  const { rows: rel } = await client.query<{ oid: number; owner: string; rls: boolean; force: boolean }>(
    `select c.oid::int as oid, pg_get_userbyid(c.relowner) as owner, c.relrowsecurity as rls, c.relforcerowsecurity as force
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')`,
    [table.schema, table.name],
  );
  const r = rel[0];
  if (!r) throw new CatalogError(`table ${display(table)} does not exist in this database`);
  const { rows: columns } = await client.query<{ name: string; type: string; not_null: boolean }>(
    `select attname as name, format_type(atttypid, atttypmod) as type, attnotnull as not_null
       from pg_attribute where attrelid = $1 and attnum > 0 and not attisdropped order by attnum`,
    [r.oid],
  );
  const { rows: constraints } = await client.query<{
    name: string;
    contype: string;
    columns: string[];
    ref_schema: string | null;
    ref_name: string | null;
    ref_columns: string[] | null;
    on_delete: string;
    on_update: string;
    definition: string;
  }>(
    `select k.conname as name, k.contype::text as contype,
            array(select a.attname::text from unnest(k.conkey) with ordinality u(n, i)
                  join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i) as columns,
            rn.nspname as ref_schema, rc.relname as ref_name,
            case when k.contype = 'f' then array(select a.attname::text from unnest(k.confkey) with ordinality u(n, i)
                  join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i) end as ref_columns,
            k.confdeltype::text as on_delete, k.confupdtype::text as on_update,
            pg_get_constraintdef(k.oid) as definition
       from pg_constraint k
       left join pg_class rc on rc.oid = k.confrelid
       left join pg_namespace rn on rn.oid = rc.relnamespace
      where k.conrelid = $1 and k.contype in ('p', 'u', 'f')
      order by k.conname`,
    [r.oid],
  );
  const pk = constraints.find((c) => c.contype === 'p');
  if (pk?.columns.length !== 1) {
    throw new CatalogError(
      `${display(table)} needs a single-column primary key (the backfill walks it in order); it has ${pk ? `(${pk.columns.join(', ')})` : 'none'}`,
    );
  }
  const keyColumn = pk.columns[0] as string;
  const keyType = columns.find((c) => c.name === keyColumn)?.type as string;
  const { rows: policies } = await client.query<{
    name: string;
    permissive: boolean;
    command: string;
    roles: string[];
    using: string | null;
    with_check: string | null;
  }>(
    `select p.polname as name, p.polpermissive as permissive,
            case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update' when 'd' then 'delete' else 'all' end as command,
            array(select case when x = 0 then 'public' else pg_get_userbyid(x) end from unnest(p.polroles) x)::text[] as roles,
            pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as with_check
       from pg_policy p where p.polrelid = $1 order by p.polname`,
    [r.oid],
  );
  const { rows: acl } = await client.query<{ grantee: string; privilege: string; bound: boolean }>(
    `select case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end as grantee, a.privilege_type as privilege,
            coalesce(not (ro.rolsuper or ro.rolbypassrls), true) as bound
       from pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
       left join pg_roles ro on ro.oid = a.grantee
      where c.oid = $1 and a.grantee <> c.relowner
      order by 1, 2`,
    [r.oid],
  );
  const grants: Record<string, string[]> = {};
  for (const row of acl) {
    const list = grants[row.grantee] ?? [];
    list.push(row.privilege);
    grants[row.grantee] = list;
  }
  const boundRoles = [...new Set(acl.filter((a) => a.bound && a.grantee !== 'public').map((a) => a.grantee))];
  return {
    table,
    owner: r.owner,
    rls: r.rls,
    force: r.force,
    columns: columns.map((c) => ({ name: c.name, type: c.type, notNull: c.not_null })),
    key: { column: keyColumn, type: keyType },
    foreignKeys: constraints
      .filter((c) => c.contype === 'f')
      .map((c) => ({
        name: c.name,
        columns: c.columns,
        refTable: { schema: c.ref_schema as string, name: c.ref_name as string },
        refColumns: c.ref_columns ?? [],
        onDelete: c.on_delete,
        onUpdate: c.on_update,
        definition: c.definition,
      })),
    uniques: constraints
      .filter((c) => c.contype === 'u')
      .map((c) => ({ name: c.name, columns: c.columns, definition: c.definition })),
    policies: policies.map((p) => ({ ...p, withCheck: p.with_check })),
    grants,
    boundRoles,
  };
}

/** The state the tool recorded for a table in bulkhead_adopt.tables, or undefined before step 1. */
export interface AdoptionRecord {
  table: string;
  state: 'off' | 'shadow' | 'enforce';
  step: Step;
  original: TableInfo;
}

export const STEPS = ['column', 'backfill', 'constrain', 'shadow', 'enforce'] as const;
export type Step = (typeof STEPS)[number];

export async function readRecords(client: pg.ClientBase): Promise<Map<string, AdoptionRecord>> {
  const { rows: exists } = await client.query<{ ok: boolean }>(`select to_regclass('bulkhead_adopt.tables') is not null as ok`);
  const out = new Map<string, AdoptionRecord>();
  if (!exists[0]?.ok) return out;
  const { rows } = await client.query<{ table_name: string; state: AdoptionRecord['state']; step: Step; original: TableInfo }>(
    `select table_name, state, step, original from bulkhead_adopt.tables order by table_name`,
  );
  for (const row of rows)
    out.set(row.table_name, { table: row.table_name, state: row.state, step: row.step, original: row.original });
  return out;
}
