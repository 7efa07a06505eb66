import 'server-only';
import pg from 'pg';
import { billingEnv } from './env';

/**
 * The billing_sync pool: webhooks, the outbox sender and reconciliation. That role writes the
 * billing tables of every tenant and reads nothing else, so it never serves a user's request.
 */
const globalPool = globalThis as unknown as { __bulkheadBillingPool?: pg.Pool };

export function billingSyncPool(): pg.Pool {
  if (!globalPool.__bulkheadBillingPool) {
    const pool = new pg.Pool({
      connectionString: billingEnv().BILLING_DATABASE_URL,
      max: 5,
      idleTimeoutMillis: 30_000,
      application_name: 'bulkhead-billing',
    });
    pool.on('error', (error) => console.error('[billing] idle database connection failed:', error.message));
    globalPool.__bulkheadBillingPool = pool;
  }
  return globalPool.__bulkheadBillingPool;
}

/** Ends the pool if this process opened it (scripts, before exiting). */
export async function closeBillingSyncPool(): Promise<void> {
  const pool = globalPool.__bulkheadBillingPool;
  globalPool.__bulkheadBillingPool = undefined;
  await pool?.end();
}

/** Runs fn in one transaction on a pooled client; rolls back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('begin');
    const result = await fn(client);
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
