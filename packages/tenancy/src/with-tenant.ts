import 'server-only';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import type { AccessTokenClaims, TenantContext, TenantRole } from './claims';
import { appServerPool } from './db';
import * as schema from './schema';

/**
 * The only way application code reaches the database on a user's behalf. One transaction on the
 * app_server pool: `SET LOCAL ROLE authenticated` and the verified claims as transaction-local
 * `request.jwt.claims`, exactly what PostgREST does per request. Both end with the transaction,
 * so a pooled connection never carries one tenant's context into the next request.
 *
 * Before handing over, it asks the database whether the context is still live (membership and
 * session, see private.verified_request()): a removed member or a revoked session gets an
 * error on the very next request instead of silently empty pages. That first check also leaves
 * the transaction its signed proof, so the handler's statements do not repeat it.
 */
export type TenantDb = NodePgDatabase<typeof schema>;

export class TenantAccessLostError extends Error {
  constructor() {
    super('this session no longer has access to the tenant (membership removed or session ended)');
    this.name = 'TenantAccessLostError';
  }
}

export class SessionEndedError extends Error {
  constructor() {
    super('this session has ended (signed out, revoked or expired)');
    this.name = 'SessionEndedError';
  }
}

export interface WithTenantOptions {
  /** Pool to use; defaults to the app's app_server pool. Tests and jobs pass their own. */
  pool?: pg.Pool;
}

/**
 * Tenant data: the token's tenant, while membership and session are live. The handler gets the
 * context with the role as the database has it now (a demotion applies before the token is
 * refreshed).
 */
export function withTenant<T>(
  context: TenantContext,
  fn: (db: TenantDb, context: TenantContext) => Promise<T>,
  options: WithTenantOptions = {},
): Promise<T> {
  return inRequestTransaction(
    context.claims,
    // The role of the caller's membership in the token's tenant, read only while that membership
    // and the session are live: one helper call answers both "still allowed?" and "as what?".
    // (offset 0 keeps the subquery, so the helper runs once.)
    () => 'select r.role is not null as live, r.role from (select private.current_tenant_role() as role offset 0) r',
    () => new TenantAccessLostError(),
    (db, live) => fn(db, { ...context, tenantRole: (live.role as TenantRole | null) ?? context.tenantRole }),
    options,
  );
}

/**
 * The signed-in user without a tenant: onboarding, accepting an invitation, switching tenants,
 * listing one's own tenants and sessions. Policies still apply; only the session must be live.
 */
export function withSession<T>(
  claims: AccessTokenClaims,
  fn: (db: TenantDb) => Promise<T>,
  options: WithTenantOptions = {},
): Promise<T> {
  return inRequestTransaction(
    claims,
    () => 'select private.current_user_id() is not null as live',
    () => new SessionEndedError(),
    (db) => fn(db),
    options,
  );
}

type LiveRow = { live: boolean | null; role?: string | null };

async function inRequestTransaction<T>(
  claims: AccessTokenClaims,
  liveCheck: (client: pg.PoolClient) => string,
  lost: () => Error,
  fn: (db: TenantDb, live: LiveRow) => Promise<T>,
  options: WithTenantOptions,
): Promise<T> {
  const client = await (options.pool ?? appServerPool()).connect();
  let broken = false;
  try {
    // One round trip. The claims are a verified token's payload, quoted with the driver's
    // literal escaping: a multi-statement query cannot take bind parameters.
    const results = (await client.query(
      `begin;
       set local role authenticated;
       select set_config('request.jwt.claims', ${client.escapeLiteral(JSON.stringify(claims))}, true);
       ${liveCheck(client)};`,
    )) as unknown as pg.QueryResult<LiveRow>[];
    const live = results.at(-1)?.rows[0];
    if (live?.live !== true) throw lost();

    const result = await fn(drizzle(client, { schema }), live);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
