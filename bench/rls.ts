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

/** Claims-only helpers (no membership or session check): prices immediate revocation on its own. */
export function withoutRevocationChecks<T>(admin: pg.Client, fn: () => Promise<T>): Promise<T> {
  return withReplacedHelpers(
    admin,
    ['current_user_id', 'current_tenant_id', 'current_tenant_role'],
    `
    create or replace function private.current_user_id() returns uuid language sql stable security definer set search_path = ''
      as $$ select private.uuid_or_null(private.request_claims() ->> 'sub') $$;
    create or replace function private.current_tenant_id() returns uuid language plpgsql stable security definer set search_path = ''
      as $$ begin return private.uuid_or_null(private.request_claims() -> 'app_metadata' ->> 'tenant_id'); end $$;
    create or replace function private.current_tenant_role() returns text language plpgsql stable security definer set search_path = ''
      as $$ begin return private.request_claims() -> 'app_metadata' ->> 'tenant_role'; end $$;`,
    fn,
  );
}

/**
 * An alternative shape for the benchmark only: the tenant helpers as one query each, owned by
 * postgres (BYPASSRLS), checking membership and session together. Cheaper, but the helpers would
 * no longer be bound by FORCE (ARCHITECTURE.md keeps them owned by tenancy_owner); measured here
 * so the trade-off can be decided on numbers.
 */
export function withSingleQueryHelpers<T>(admin: pg.Client, fn: () => Promise<T>): Promise<T> {
  const body = (column: string) => `
    declare
      claims jsonb := private.request_claims();
      claimed_tenant uuid := private.uuid_or_null(claims -> 'app_metadata' ->> 'tenant_id');
      subject uuid := private.uuid_or_null(claims ->> 'sub');
      session uuid := private.uuid_or_null(claims ->> 'session_id');
    begin
      return (
        select m.${column}
        from public.memberships m
        join auth.sessions s on s.id = session and s.user_id = subject and (s.not_after is null or s.not_after > pg_catalog.now())
        where m.tenant_id = claimed_tenant and m.user_id = subject
          and (not exists (select 1 from auth.refresh_tokens r where r.session_id = session)
               or exists (select 1 from auth.refresh_tokens r where r.session_id = session and r.revoked = false))
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
    alter function private.current_tenant_role() owner to postgres;`,
    fn,
  );
}
