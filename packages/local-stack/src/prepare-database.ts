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
  /** True when the database had no auth schema before: a first start (the seed belongs here). */
  fresh: boolean;
}

/**
 * Makes `url` a migrated Supabase-shaped database: bootstrap when it is a plain PostgreSQL
 * (needs a superuser login), then pending migrations as `postgres`.
 */
export async function prepareDatabase(url: string, localPassword: string, migrationsDir?: string): Promise<PreparedDatabase> {
  const before = await withClient(url, databaseKind);
  if (before === 'supabase') {
    return {
      kind: 'supabase',
      fresh: false,
      migrationUrl: url,
      authUrl: withLogin(url, 'supabase_auth_admin', localPassword),
      applied: await applyMigrations(url, migrationsDir),
    };
  }
  await bootstrapCluster(url, localPassword);
  await bootstrapDatabase(url);
  const migrationUrl = withLogin(url, 'postgres', localPassword);
  const applied = await applyMigrations(migrationUrl, migrationsDir);
  await setLocalLoginPasswords(url, localPassword);
  return {
    kind: 'bootstrapped',
    fresh: before === 'plain',
    migrationUrl,
    authUrl: withLogin(url, 'supabase_auth_admin', localPassword),
    applied,
  };
}

/**
 * The kit's LOGIN roles (created by supabase/migrations, which hold no passwords). Only a database
 * the stack bootstrapped itself gets the local password; on a hosted project it is set by hand
 * and kept in the deployment's environment (docs/runbook.md).
 */
const KIT_LOGIN_ROLES = ['app_server', 'billing_sync'];

async function setLocalLoginPasswords(superuserUrl: string, localPassword: string): Promise<void> {
  await withClient(superuserUrl, async (client) => {
    await client.query('begin');
    await client.query(`select set_config('bulkhead.local_password', $1, true)`, [localPassword]);
    for (const role of KIT_LOGIN_ROLES) {
      await client.query(
        `do $$ begin
           if exists (select from pg_roles where rolname = ${quoteLiteral(role)}) then
             execute format('alter role %I with password %L', ${quoteLiteral(role)}, current_setting('bulkhead.local_password'));
           end if;
         end $$`,
      );
    }
    await client.query('commit');
  });
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
