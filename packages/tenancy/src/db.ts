import 'server-only';
import pg from 'pg';
import { tenancyEnv } from './env';

/**
 * The apps' one database pool, logged in as `app_server`. That role has no table privileges of
 * its own: tenant data is reachable only inside withTenant(), which switches to
 * `authenticated` for one transaction. Kept on globalThis so Next.js hot reloads reuse it.
 */
const globalPool = globalThis as unknown as { __bulkheadAppPool?: pg.Pool };

export function appServerPool(): pg.Pool {
  if (!globalPool.__bulkheadAppPool) {
    const pool = new pg.Pool({
      connectionString: tenancyEnv().APP_DATABASE_URL,
      max: 10,
      idleTimeoutMillis: 30_000,
      application_name: 'bulkhead-app',
    });
    // A dropped connection must not crash the server; the pool replaces it.
    pool.on('error', (error) => console.error('[tenancy] idle database connection failed:', error.message));
    globalPool.__bulkheadAppPool = pool;
  }
  return globalPool.__bulkheadAppPool;
}
