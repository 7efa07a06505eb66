import { bootstrapCluster, bootstrapDatabase, databaseKind } from './bootstrap/index';
import { withClient, withLogin } from './db';
import { applyMigrations, type MigrationFile } from './migrations';

export interface PreparedDatabase {
  /** 'bootstrapped': we created Supabase's roles and auth schema; 'supabase': it already was one. */
  kind: 'bootstrapped' | 'supabase';
  /** The `postgres` login: migrations, seed, and what `DB_URL` prints. */
  migrationUrl: string;
  /** The `supabase_auth_admin` login the auth server uses. */
  authUrl: string;
  applied: MigrationFile[];
}

/**
 * Makes `url` a migrated Supabase-shaped database: bootstrap when it is a plain PostgreSQL
 * (needs a superuser login), then pending migrations as `postgres`.
 */
export async function prepareDatabase(url: string, localPassword: string, migrationsDir?: string): Promise<PreparedDatabase> {
  if ((await withClient(url, databaseKind)) === 'supabase') {
    return {
      kind: 'supabase',
      migrationUrl: url,
      authUrl: withLogin(url, 'supabase_auth_admin', localPassword),
      applied: await applyMigrations(url, migrationsDir),
    };
  }
  await bootstrapCluster(url, localPassword);
  await bootstrapDatabase(url);
  const migrationUrl = withLogin(url, 'postgres', localPassword);
  return {
    kind: 'bootstrapped',
    migrationUrl,
    authUrl: withLogin(url, 'supabase_auth_admin', localPassword),
    applied: await applyMigrations(migrationUrl, migrationsDir),
  };
}
