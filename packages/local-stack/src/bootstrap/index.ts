import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { withClient } from '../db';
import { bootstrapDir } from '../paths';

/**
 * The Supabase bootstrap: what a Supabase database has before any project migration. Skipped
 * when the target already is one (the database of `supabase start`, or a hosted project).
 */

/** Marks a database bootstrapped by us, so a restart tells it apart from a real Supabase one. */
export const BOOTSTRAP_MARKER = 'Supabase Auth schema, recreated by the Bulkhead local stack';

/**
 * 'plain': no auth schema yet; 'local': our bootstrap ran here; 'supabase': a database of
 * `supabase start` or a hosted project.
 */
export async function databaseKind(client: pg.Client): Promise<'plain' | 'local' | 'supabase'> {
  const { rows } = await client.query<{ has_auth: boolean; marker: string | null }>(
    `select to_regclass('auth.users') is not null
              and exists (select from pg_roles where rolname = 'supabase_auth_admin') as has_auth,
            obj_description(to_regnamespace('auth'), 'pg_namespace') as marker`,
  );
  const row = rows[0];
  if (!row?.has_auth) return 'plain';
  return row.marker === BOOTSTRAP_MARKER ? 'local' : 'supabase';
}

/** Roles, once per cluster. Needs a superuser login. */
export async function bootstrapCluster(superuserUrl: string, localPassword: string): Promise<void> {
  const sql = readFileSync(join(bootstrapDir, 'cluster.sql'), 'utf8');
  await withClient(superuserUrl, async (client) => {
    const { rows } = await client.query<{ rolsuper: boolean }>('select rolsuper from pg_roles where rolname = current_user');
    if (!rows[0]?.rolsuper) {
      throw new Error('the Supabase bootstrap needs a superuser login (the stack connects as supabase_admin)');
    }
    await client.query('begin');
    await client.query(`select set_config('bulkhead.local_password', $1, true)`, [localPassword]);
    await client.query(sql);
    await client.query('commit');
  });
}

/** Schemas, auth tables and helpers, default privileges: once per database. */
export async function bootstrapDatabase(superuserUrl: string): Promise<void> {
  const sql = readFileSync(join(bootstrapDir, 'database.sql'), 'utf8');
  await withClient(superuserUrl, async (client) => {
    if ((await databaseKind(client)) !== 'plain') return;
    await client.query('begin');
    await client.query(sql);
    await client.query(`comment on schema auth is '${BOOTSTRAP_MARKER}'`);
    await client.query('commit');
  });
}
