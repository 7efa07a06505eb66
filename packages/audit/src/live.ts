import pg from 'pg';
import {
  type Acl,
  addPrivileges,
  type Catalog,
  type Column,
  type DbFunction,
  type Index,
  type KeyConstraint,
  type Policy,
  type PolicyCommand,
  qualified,
  type Relation,
  type RelationKind,
  type Role,
} from './model';
import { type ExpressionContext, ensureParser, parseExpression, policyExpression } from './sql';

/**
 * Live mode: reads the catalogs of any PostgreSQL (the local stack, `supabase start`, a hosted
 * project) into the same model static mode builds. One read-only transaction with
 * search_path = '' so pg_get_expr() qualifies every non-catalog name, as static mode does.
 */

export interface LiveOptions {
  /** Schemas never read (Supabase's own). */
  ignoredSchemas: string[];
}

type AclRow = { grantee: string; privilege: string }[];

interface RelationRow {
  oid: number;
  schema: string;
  name: string;
  relkind: string;
  owner: string;
  rls: boolean;
  force: boolean;
  invoker: boolean;
  acl: AclRow;
}

interface ColumnRow {
  relid: number;
  name: string;
  sequential: boolean;
  acl: AclRow;
}

interface ConstraintRow {
  relid: number;
  name: string;
  contype: 'p' | 'u' | 'f';
  columns: string[];
  ref_schema: string | null;
  ref_name: string | null;
  ref_columns: string[] | null;
}

interface IndexRow {
  relid: number;
  name: string;
  columns: (string | null)[];
  unique: boolean;
  constraint_backed: boolean;
}

interface PolicyRow {
  relid: number;
  name: string;
  cmd: string;
  permissive: boolean;
  roles: string[];
  qual: string | null;
  with_check: string | null;
}

interface FunctionRow {
  schema: string;
  name: string;
  prokind: 'f' | 'p';
  arg_types: string;
  owner: string;
  secdef: boolean;
  config: string[] | null;
  acl: AclRow;
}

const relkinds: Record<string, RelationKind> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
};

const commands: Record<string, PolicyCommand> = { r: 'select', a: 'insert', w: 'update', d: 'delete', '*': 'all' };

/** Objects that belong to an extension are the extension's business, as in Supabase's linter. */
const notExtensionMember = (catalog: string, oid: string) =>
  `not exists (select from pg_depend d where d.classid = '${catalog}'::regclass and d.objid = ${oid} and d.deptype = 'e')`;

const aclJson = (acl: string, kind: string, owner: string) => `
  coalesce((select json_agg(json_build_object(
      'grantee', case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee) end,
      'privilege', a.privilege_type))
    from aclexplode(coalesce(${acl}, acldefault('${kind}', ${owner}))) a), '[]'::json)`;

const schemaFilter = (nsp: string) => `${nsp}.nspname <> all($1::text[]) and ${nsp}.nspname !~ '^pg_'`;

const queries = {
  roles: `select rolname as name, rolsuper as superuser, rolbypassrls as bypassrls from pg_roles`,
  relations: `
    select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relkind, pg_get_userbyid(c.relowner) as owner,
           c.relrowsecurity as rls, c.relforcerowsecurity as force,
           coalesce(exists (select from unnest(c.reloptions) o
                            where o ~* '^security_invoker=(true|on|1|yes|t)$'), false) as invoker,
           ${aclJson('c.relacl', 'r', 'c.relowner')} as acl
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'f') and ${schemaFilter('n')} and ${notExtensionMember('pg_class', 'c.oid')}`,
  // Columns of tables only: no check reads the output columns of views, and static mode does not model them.
  columns: `
    select a.attrelid::int as relid, a.attname as name,
           (a.attidentity <> '' or coalesce(pg_get_expr(d.adbin, d.adrelid) ~ '\\mnextval\\(', false)) as sequential,
           coalesce((select json_agg(json_build_object(
               'grantee', case when x.grantee = 0 then 'PUBLIC' else pg_get_userbyid(x.grantee) end,
               'privilege', x.privilege_type))
             from aclexplode(a.attacl) x), '[]'::json) as acl
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where c.relkind in ('r', 'p', 'f') and a.attnum > 0 and not a.attisdropped and ${schemaFilter('n')}
    order by a.attrelid, a.attnum`,
  constraints: `
    select k.conrelid::int as relid, k.conname as name, k.contype,
           array(select a.attname from unnest(k.conkey) with ordinality u(n, i)
                 join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i)::text[] as columns,
           rn.nspname as ref_schema, rc.relname as ref_name,
           case when k.contype = 'f' then
             array(select a.attname from unnest(k.confkey) with ordinality u(n, i)
                   join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i)::text[]
           end as ref_columns
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_class rc on rc.oid = k.confrelid
    left join pg_namespace rn on rn.oid = rc.relnamespace
    where k.contype in ('p', 'u', 'f') and ${schemaFilter('n')}`,
  indexes: `
    select i.indrelid::int as relid, ic.relname as name, i.indisunique as unique,
           exists (select from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid
                   and k.contype in ('p', 'u')) as constraint_backed,
           array(select case when u.n = 0 then null else a.attname end
                 from unnest(i.indkey::int2[]) with ordinality u(n, o)
                 left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = u.n
                 where u.o <= i.indnkeyatts order by u.o)::text[] as columns
    from pg_index i
    join pg_class ic on ic.oid = i.indexrelid
    join pg_class c on c.oid = i.indrelid
    join pg_namespace n on n.oid = c.relnamespace
    where ${schemaFilter('n')}`,
  policies: `
    select p.polrelid::int as relid, p.polname as name, p.polcmd::text as cmd, p.polpermissive as permissive,
           array(select case when r = 0 then 'public' else pg_get_userbyid(r) end from unnest(p.polroles) r)::text[] as roles,
           pg_get_expr(p.polqual, p.polrelid) as qual, pg_get_expr(p.polwithcheck, p.polrelid) as with_check
    from pg_policy p
    join pg_class c on c.oid = p.polrelid
    join pg_namespace n on n.oid = c.relnamespace
    where ${schemaFilter('n')}
    order by p.polrelid, p.polname`,
  functions: `
    select n.nspname as schema, p.proname as name, p.prokind, oidvectortypes(p.proargtypes) as arg_types,
           pg_get_userbyid(p.proowner) as owner, p.prosecdef as secdef, p.proconfig as config,
           ${aclJson('p.proacl', 'f', 'p.proowner')} as acl
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where p.prokind in ('f', 'p') and ${schemaFilter('n')} and ${notExtensionMember('pg_proc', 'p.oid')}`,
};

function toAcl(rows: AclRow): Acl {
  const acl: Acl = new Map();
  for (const row of rows) addPrivileges(acl, row.grantee, [row.privilege]);
  return acl;
}

/** The connection string without its password, for reports. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(database)';
  }
}

const noResolution: Omit<ExpressionContext, 'table'> = {
  resolveFunction: () => undefined,
  resolveRelation: () => undefined,
};

export async function liveCatalog(url: string, options: LiveOptions): Promise<Catalog> {
  await ensureParser();
  const client = new pg.Client({ connectionString: url, application_name: 'bulkhead-audit' });
  await client.connect();
  try {
    await client.query('begin transaction read only');
    await client.query(`set local search_path = ''`);
    const params = [options.ignoredSchemas];
    const roles = await client.query<Role>(queries.roles);
    const relations = await client.query<RelationRow>(queries.relations, params);
    const columns = await client.query<ColumnRow>(queries.columns, params);
    const constraints = await client.query<ConstraintRow>(queries.constraints, params);
    const indexes = await client.query<IndexRow>(queries.indexes, params);
    const policies = await client.query<PolicyRow>(queries.policies, params);
    const functions = await client.query<FunctionRow>(queries.functions, params);
    await client.query('commit');

    const byOid = new Map<number, Relation>();
    const catalog: Catalog = {
      mode: 'live',
      target: redactUrl(url),
      roles: new Map(roles.rows.map((r) => [r.name, r])),
      relations: new Map(),
      functions: [],
      notes: [],
    };
    for (const row of relations.rows) {
      const relation: Relation = {
        schema: row.schema,
        name: row.name,
        kind: relkinds[row.relkind] ?? 'table',
        owner: row.owner,
        rlsEnabled: row.rls,
        rlsForced: row.force,
        securityInvoker: row.invoker,
        columns: [],
        constraints: [],
        indexes: [],
        policies: [],
        acl: toAcl(row.acl),
      };
      byOid.set(row.oid, relation);
      catalog.relations.set(qualified(row.schema, row.name), relation);
    }
    for (const row of columns.rows) {
      const column: Column = { name: row.name, sequential: row.sequential, acl: toAcl(row.acl) };
      byOid.get(row.relid)?.columns.push(column);
    }
    for (const row of constraints.rows) {
      const constraint: KeyConstraint = {
        name: row.name,
        kind: row.contype === 'p' ? 'primary' : row.contype === 'u' ? 'unique' : 'foreign',
        columns: row.columns,
      };
      if (row.contype === 'f' && row.ref_schema && row.ref_name) {
        constraint.references = { relation: qualified(row.ref_schema, row.ref_name), columns: row.ref_columns ?? [] };
      }
      byOid.get(row.relid)?.constraints.push(constraint);
    }
    for (const row of indexes.rows) {
      const index: Index = { name: row.name, columns: row.columns, unique: row.unique, constraintBacked: row.constraint_backed };
      byOid.get(row.relid)?.indexes.push(index);
    }
    for (const row of policies.rows) {
      const relation = byOid.get(row.relid);
      if (!relation) continue;
      const ctx = { ...noResolution, table: relation.name };
      const policy: Policy = {
        name: row.name,
        command: commands[row.cmd] ?? 'all',
        permissive: row.permissive,
        roles: row.roles,
        using: row.qual ? policyExpression(parseExpression(row.qual), ctx) : null,
        withCheck: row.with_check ? policyExpression(parseExpression(row.with_check), ctx) : null,
      };
      relation.policies.push(policy);
    }
    for (const row of functions.rows) {
      const searchPath = (row.config ?? []).find((c) => c.startsWith('search_path='));
      const fn: DbFunction = {
        schema: row.schema,
        name: row.name,
        argTypes: row.arg_types ? row.arg_types.split(', ') : [],
        kind: row.prokind === 'p' ? 'procedure' : 'function',
        owner: row.owner,
        securityDefiner: row.secdef,
        searchPath: searchPath ? searchPath.slice('search_path='.length) : null,
        acl: toAcl(row.acl),
      };
      catalog.functions.push(fn);
    }
    return catalog;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
