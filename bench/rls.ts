import { accessTokenClaimsSchema, type TenantContext, tenantContextFromClaims } from '@bulkhead/tenancy';
import { withTenant } from '@bulkhead/tenancy/server';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { MeasuredTenant } from './dataset';
import { interleaved, percentile } from './stats';

/**
 * What isolation costs per query and per request, measured side by side: the same statement
 * through the RLS path (app_server → authenticated, claims, policies calling the tenant helpers)
 * and as an explicit `WHERE tenant_id = …` by a role that bypasses RLS.
 */
export const LIST_SQL =
  'select id, title, updated_at from public.documents where tenant_id = $1 order by updated_at desc, id desc limit 20';
export const LOOKUP_SQL = 'select id, title, body, updated_at from public.documents where tenant_id = $1 and id = $2';

export interface Ratio {
  p50: number;
  p95: number;
  p50Ratio: number;
  p95Ratio: number;
  baseP50: number;
  baseP95: number;
}

function summarize(a: number[], b: number[]): Ratio {
  const [p50, p95, baseP50, baseP95] = [percentile(a, 50), percentile(a, 95), percentile(b, 50), percentile(b, 95)];
  return { p50, p95, baseP50, baseP95, p50Ratio: p50 / baseP50, p95Ratio: p95 / baseP95 };
}

/** Statement level: both sides inside an open transaction, one statement timed at a time. */
export async function statementRatios(urls: { appServer: string; bypass: string }, tenant: MeasuredTenant, runs: number) {
  const rls = new pg.Client({ connectionString: urls.appServer });
  const plain = new pg.Client({ connectionString: urls.bypass });
  await rls.connect();
  await plain.connect();
  try {
    await rls.query('begin');
    await rls.query('set local role authenticated');
    await rls.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(tenant.claims)]);
    await plain.query('begin');
    const list = await interleaved(
      runs,
      () => rls.query(LIST_SQL, [tenant.tenantId]),
      () => plain.query(LIST_SQL, [tenant.tenantId]),
    );
    const lookup = await interleaved(
      runs,
      () => rls.query(LOOKUP_SQL, [tenant.tenantId, tenant.documentId]),
      () => plain.query(LOOKUP_SQL, [tenant.tenantId, tenant.documentId]),
    );
    // Sanity: the RLS side really returns the tenant's rows (a silent zero would look fast).
    const check = await rls.query(LIST_SQL, [tenant.tenantId]);
    if (check.rowCount !== 20) throw new Error(`the RLS path returned ${check.rowCount} rows, expected 20`);
    await rls.query('rollback');
    await plain.query('rollback');
    return { list: summarize(list.a, list.b), lookup: summarize(lookup.a, lookup.b) };
  } finally {
    await rls.end();
    await plain.end();
  }
}

/**
 * What one call of `private.current_tenant_id()` costs inside the database, without the network:
 * a statement calling it per row over N rows minus the same statement without it, divided by N.
 * Policies call it once per statement, so this is the per-statement price of the check.
 */
export async function helperCallMicros(urls: { appServer: string }, tenant: MeasuredTenant, rounds: number) {
  const client = new pg.Client({ connectionString: urls.appServer });
  const calls = 5_000;
  await client.connect();
  try {
    await client.query('begin');
    await client.query('set local role authenticated');
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(tenant.claims)]);
    const withHelper = `select count(private.current_tenant_id()) from generate_series(1, ${calls})`;
    const without = `select count(1) from generate_series(1, ${calls})`;
    const { rows } = await client.query<{ count: string }>(withHelper);
    if (Number(rows[0]?.count) !== calls) throw new Error('current_tenant_id() returned NULL for the measured tenant');
    const timed = await interleaved(
      rounds,
      () => client.query(withHelper),
      () => client.query(without),
      3,
    );
    await client.query('rollback');
    return ((percentile(timed.a, 50) - percentile(timed.b, 50)) * 1000) / calls;
  } finally {
    await client.end();
  }
}

/** Request level: the whole withTenant() transaction vs. BEGIN; query; COMMIT without RLS. */
export async function requestRatios(urls: { appServer: string; bypass: string }, tenant: MeasuredTenant, runs: number) {
  const appPool = new pg.Pool({ connectionString: urls.appServer, max: 1 });
  const plainPool = new pg.Pool({ connectionString: urls.bypass, max: 1 });
  const context: TenantContext = tenantContextFromClaims(accessTokenClaimsSchema.parse(tenant.claims));
  // The same statement as LIST_SQL, written the way handlers write it (bound parameter).
  const listSql = sql`select id, title, updated_at from public.documents where tenant_id = ${tenant.tenantId}
    order by updated_at desc, id desc limit 20`;
  const plainRequest = async (text: string, values: unknown[]) => {
    const client = await plainPool.connect();
    try {
      await client.query('begin');
      await client.query(text, values);
      await client.query('commit');
    } finally {
      client.release();
    }
  };
  try {
    const list = await interleaved(
      runs,
      () => withTenant(context, (db) => db.execute(listSql), { pool: appPool }),
      () => plainRequest(LIST_SQL, [tenant.tenantId]),
    );
    const overhead = await interleaved(
      runs,
      () => withTenant(context, async () => null, { pool: appPool }),
      () => plainRequest('select 1', []),
    );
    return { list: summarize(list.a, list.b), overheadMicros: (percentile(overhead.a, 50) - percentile(overhead.b, 50)) * 1000 };
  } finally {
    await appPool.end();
    await plainPool.end();
  }
}

/**
 * Runs `fn` with some tenant helpers replaced by `replacement` (SQL run as the superuser), then
 * puts the kit's definitions and owners back.
 */
async function withReplacedHelpers<T>(admin: pg.Client, names: string[], replacement: string, fn: () => Promise<T>): Promise<T> {
  const { rows: originals } = await admin.query<{ def: string; signature: string; owner: string }>(
    `select pg_get_functiondef(p.oid) as def, p.oid::regprocedure::text as signature, pg_get_userbyid(p.proowner) as owner
       from pg_proc p where p.pronamespace = 'private'::regnamespace and p.proname = any($1)`,
    [names],
  );
  await admin.query(replacement);
  try {
    return await fn();
  } finally {
    for (const { def, signature, owner } of originals) {
      await admin.query(def);
      await admin.query(`alter function ${signature} owner to ${owner}`);
    }
  }
}

/** The claims GUC parsed once and the tenant claim's UUID shape checked, as the kit's helpers do it. */
const CLAIMED_TENANT = `
    claimed text := coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb)
      -> 'app_metadata' ->> 'tenant_id';
    uuid_shape constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';`;

/**
 * Claims-only helpers (no membership or session check, the token is trusted until it expires):
 * prices immediate revocation on its own. Written like the kit's helpers, so the difference is
 * the checks and nothing else.
 */
export function withoutRevocationChecks<T>(admin: pg.Client, fn: () => Promise<T>): Promise<T> {
  const body = (expression: string) => `
    declare ${CLAIMED_TENANT}
    begin
      if claimed is null or claimed !~ uuid_shape then return null; end if;
      return ${expression};
    end`;
  return withReplacedHelpers(
    admin,
    ['current_tenant_id', 'current_tenant_role'],
    `
    create or replace function private.current_tenant_id() returns uuid language plpgsql stable security definer set search_path = ''
      as $$${body('claimed::uuid')}$$;
    create or replace function private.current_tenant_role() returns text language plpgsql stable security definer set search_path = ''
      as $$${body(`pg_catalog.current_setting('request.jwt.claims', true)::jsonb -> 'app_metadata' ->> 'tenant_role'`)}$$;`,
    fn,
  );
}

/**
 * An alternative shape for the benchmark only: the tenant helpers as one query each, owned by
 * postgres (BYPASSRLS), checking membership and session together. One definer call and one query
 * instead of two of each, but the helpers would no longer be bound by FORCE (ARCHITECTURE.md keeps
 * them owned by tenancy_owner); measured here so the trade-off can be decided on numbers.
 */
export function withSingleQueryHelpers<T>(admin: pg.Client, fn: () => Promise<T>): Promise<T> {
  const body = (column: string) => `
    declare
      claims jsonb := coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb);
      claimed text := claims -> 'app_metadata' ->> 'tenant_id';
      subject text := claims ->> 'sub';
      session text := claims ->> 'session_id';
      uuid_shape constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
    begin
      if claimed !~ uuid_shape or subject !~ uuid_shape or session !~ uuid_shape
         or claimed is null or subject is null or session is null then
        return null;
      end if;
      return (
        select m.${column}
        from public.memberships m
        join auth.sessions s on s.id = session::uuid and s.user_id = subject::uuid
          and (s.not_after is null or s.not_after > pg_catalog.now())
        where m.tenant_id = claimed::uuid and m.user_id = subject::uuid
          and (exists (select 1 from auth.refresh_tokens r where r.session_id = s.id and r.revoked = false)
               or not exists (select 1 from auth.refresh_tokens r where r.session_id = s.id))
      );
    end`;
  return withReplacedHelpers(
    admin,
    ['current_tenant_id', 'current_tenant_role'],
    `
    create or replace function private.current_tenant_id() returns uuid language plpgsql stable security definer set search_path = ''
      as $$${body('tenant_id')}$$;
    create or replace function private.current_tenant_role() returns text language plpgsql stable security definer set search_path = ''
      as $$${body('role')}$$;
    alter function private.current_tenant_id() owner to postgres;
    alter function private.current_tenant_role() owner to postgres;
    -- readable_tenant_ids() (tenancy_owner, the documents select policy) calls current_tenant_id().
    grant execute on function private.current_tenant_id() to tenancy_owner;`,
    fn,
  );
}
