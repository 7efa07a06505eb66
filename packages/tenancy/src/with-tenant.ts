import 'server-only';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import type { TenantContext } from './claims';
import { appServerPool } from './db';
import * as schema from './schema';

/**
 * The only way application code reaches tenant data. One transaction on the app_server pool:
 * `SET LOCAL ROLE authenticated` and the verified claims as transaction-local
 * `request.jwt.claims`, exactly what PostgREST does per request. Both end with the transaction,
 * so a pooled connection never carries one tenant's context into the next request.
 *
 * Before handing over, it asks the database whether the context is still live (membership and
 * session, see private.current_tenant_id()); a removed member or a revoked session gets
 * TenantAccessLostError on the very next request instead of silently empty pages.
 */
export type TenantDb = NodePgDatabase<typeof schema>;

export class TenantAccessLostError extends Error {
  constructor() {
    super('this session no longer has access to the tenant (membership removed or session ended)');
    this.name = 'TenantAccessLostError';
  }
}

export interface WithTenantOptions {
  /** Pool to use; defaults to the app's app_server pool. Tests and jobs pass their own. */
  pool?: pg.Pool;
}

export async function withTenant<T>(
  context: TenantContext,
  fn: (db: TenantDb, context: TenantContext) => Promise<T>,
  options: WithTenantOptions = {},
): Promise<T> {
  const client = await (options.pool ?? appServerPool()).connect();
  let broken = false;
  try {
    // One round trip: the claims are a verified token's payload, quoted by the driver's
    // literal escaping (set_config cannot take a bind parameter inside a multi-statement query).
    const setup = (await client.query(
      `begin;
       set local role authenticated;
       select set_config('request.jwt.claims', ${client.escapeLiteral(JSON.stringify(context.claims))}, true);
       select private.current_tenant_id() = ${client.escapeLiteral(context.tenantId)}::uuid as live;`,
    )) as unknown as pg.QueryResult<{ live: boolean | null }>[];
    if (setup.at(-1)?.rows[0]?.live !== true) throw new TenantAccessLostError();

    const result = await fn(drizzle(client, { schema }), context);
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
