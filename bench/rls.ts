import { accessTokenClaimsSchema, type TenantContext, tenantContextFromClaims } from '@bulkhead/tenancy';
import { withTenant } from '@bulkhead/tenancy/server';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { MeasuredTenant } from './dataset';
import { alternating, interleaved, percentile, time } from './stats';

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

/**
 * Statement level, both sides on one connection inside one open transaction, alternating sample by
 * sample: `SET LOCAL ROLE authenticated` then the statement (the RLS path: policies, helpers,
 * claims), `RESET ROLE` then the same statement as `postgres` (BYPASSRLS: no policy runs). Only the
 * statement is timed. One backend for both sides means the same caches and the same CPU, so what
 * differs is the policy work and nothing else (two connections measured 0.1-0.2 apart between
 * rounds on this 2-core machine, one connection within 0.02).
 */
export async function statementRatios(urls: { bypass: string }, tenant: MeasuredTenant, runs: number) {
  const client = new pg.Client({ connectionString: urls.bypass });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(tenant.claims)]);
    const asTenant = async (text: string, values: unknown[]) => {
      await client.query('set local role authenticated');
      return time(() => client.query(text, values));
    };
    const bypassing = async (text: string, values: unknown[]) => {
      await client.query('reset role');
      return time(() => client.query(text, values));
    };
    const list = await alternating(
      runs,
      () => asTenant(LIST_SQL, [tenant.tenantId]),
      () => bypassing(LIST_SQL, [tenant.tenantId]),
    );
    const lookup = await alternating(
      runs,
      () => asTenant(LOOKUP_SQL, [tenant.tenantId, tenant.documentId]),
      () => bypassing(LOOKUP_SQL, [tenant.tenantId, tenant.documentId]),
    );
    // Sanity: the RLS side really returns the tenant's rows (a silent zero would look fast).
    await client.query('set local role authenticated');
    const check = await client.query(LIST_SQL, [tenant.tenantId]);
    if (check.rowCount !== 20) throw new Error(`the RLS path returned ${check.rowCount} rows, expected 20`);
    await client.query('rollback');
    return { list: summarize(list.a, list.b), lookup: summarize(lookup.a, lookup.b) };
  } finally {
    await client.end();
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

/**
 * The kit's private.verified_request() with its proof removed: the full check (live session, then
 * the claimed membership) on every statement, the way the helpers worked before
 * 20260107000100_verified_request_context.sql. Prices checking once per transaction.
 */
export function withChecksOnEveryStatement<T>(admin: pg.Client, fn: () => Promise<T>): Promise<T> {
  return withReplacedHelpers(
    admin,
    ['verified_request'],
    `
    create or replace function private.verified_request() returns text language plpgsql stable security definer set search_path = ''
    as $$
    declare
      claims text := pg_catalog.current_setting('request.jwt.claims', true);
      claimed uuid;
      live_user uuid;
      member_role text;
    begin
      if claims is null or claims = '' then return null; end if;
      live_user := private.live_session_user_id();
      if live_user is null then return null; end if;
      claimed := private.uuid_or_null(claims::jsonb -> 'app_metadata' ->> 'tenant_id');
      if claimed is not null then
        select m.role into member_role from public.memberships m where m.tenant_id = claimed and m.user_id = live_user;
      end if;
      return case when member_role is null then '' else claimed::text end || '|' || coalesce(member_role, '') || '|' || live_user::text;
    end $$;`,
    fn,
  );
}

/**
 * No membership or session check at all: the answer comes from the token's claims, trusted until
 * the token expires, as most kits do. Prices immediate revocation as a whole.
 */
export function withoutRevocationChecks<T>(admin: pg.Client, fn: () => Promise<T>): Promise<T> {
  return withReplacedHelpers(
    admin,
    ['verified_request'],
    `
    create or replace function private.verified_request() returns text language plpgsql stable security definer set search_path = ''
    as $$
    declare
      claims jsonb := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb;
    begin
      if claims is null then return null; end if;
      return coalesce(claims -> 'app_metadata' ->> 'tenant_id', '') || '|' || coalesce(claims -> 'app_metadata' ->> 'tenant_role', '')
        || '|' || coalesce(claims ->> 'sub', '');
    end $$;`,
    fn,
  );
}
