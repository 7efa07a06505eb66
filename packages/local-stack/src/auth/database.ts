import pg from 'pg';
import { ApiError, CommitThenFail } from './errors';

/**
 * The auth server's connections: a pool of `supabase_auth_admin` logins, as GoTrue connects.
 *
 * `pnpm stack reset` drops and recreates the database under a running server, which kills every
 * pooled connection. The pool's `error` listener keeps those deaths from crashing the process,
 * and a unit of work that fails because its connection died is retried once on a fresh one
 * (it was rolled back, so retrying cannot apply anything twice).
 */

/** Anything that runs a query: a transaction's client, or the pool (see `retrying`). */
export interface Db {
  // biome-ignore lint/suspicious/noExplicitAny: mirrors pg's own default row type
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export function createPool(connectionString: string, log: (message: string) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: 5_000,
    application_name: 'bulkhead-local-auth',
  });
  pool.on('error', (error) => log(`idle database connection lost: ${error.message}`));
  return pool;
}

const connectionErrorCodes = new Set(['57P01', '57P02', '57P03', '3D000', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE']);

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof ApiError) return false;
  const code = (error as { code?: string }).code;
  if (code && (connectionErrorCodes.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error/i.test(error.message);
}

async function attempt<T>(pool: pg.Pool, fn: (db: Db) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const commit = async () => {
    try {
      await client.query('commit');
    } catch (error) {
      // The commit may or may not have happened: never retry such a unit of work.
      broken = error as Error;
      throw new Error('the database connection failed during COMMIT', { cause: error });
    }
  };
  try {
    await client.query('begin');
    try {
      const result = await fn(client);
      await commit();
      return result;
    } catch (error) {
      if (broken) throw error;
      if (error instanceof CommitThenFail) {
        await commit();
        throw error.failure;
      }
      await client.query('rollback').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    }
  } catch (error) {
    if (isConnectionError(error)) broken = error as Error;
    throw error;
  } finally {
    // A broken client must not go back to the pool.
    client.release(broken);
  }
}

/** Runs `fn` in one transaction; HTTP-level errors pass through untouched. */
export async function transaction<T>(pool: pg.Pool, fn: (db: Db) => Promise<T>): Promise<T> {
  try {
    return await attempt(pool, fn);
  } catch (error) {
    if (isConnectionError(error)) return attempt(pool, fn);
    throw error;
  }
}

/** Single statements outside a transaction, retried once when their connection had died. */
export function retrying(pool: pg.Pool): Db {
  return {
    query: async (text, values) => {
      try {
        return await pool.query(text, values);
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        return pool.query(text, values);
      }
    },
  };
}
