import 'server-only';
import { appServerPool } from './db';

export interface DatabaseHealth {
  ok: boolean;
  database: { connected: boolean; login?: string; serverVersion?: string; error?: string };
  migration: { version: string; name: string | null } | null;
}

/**
 * What the apps' /api/health routes report: the database answers through the app's own login,
 * and which migration it is at.
 */
export async function databaseHealth(): Promise<DatabaseHealth> {
  try {
    const { rows } = await appServerPool().query<{
      login: string;
      server_version: string;
      version: string | null;
      name: string | null;
    }>(
      `select current_user as login, current_setting('server_version') as server_version, m.version, m.name
         from (select 1) one
         left join lateral (
           select version, name from supabase_migrations.schema_migrations order by version desc limit 1
         ) m on true`,
    );
    const row = rows[0];
    return {
      ok: true,
      database: { connected: true, login: row?.login, serverVersion: row?.server_version },
      migration: row?.version ? { version: row.version, name: row.name } : null,
    };
  } catch (error) {
    return {
      ok: false,
      database: { connected: false, error: error instanceof Error ? error.message : String(error) },
      migration: null,
    };
  }
}
