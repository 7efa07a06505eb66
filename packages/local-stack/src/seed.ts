import { existsSync, readFileSync } from 'node:fs';
import { withClient } from './db';
import { seedPath } from './paths';

/** Runs supabase/seed.sql in one transaction as the `postgres` login, as `supabase db reset` does. */
export async function applySeed(migrationUrl: string, path = seedPath): Promise<boolean> {
  if (!existsSync(path)) return false;
  const sql = readFileSync(path, 'utf8');
  if (!sql.trim()) return false;
  await withClient(migrationUrl, async (client) => {
    await client.query('begin');
    await client.query(sql);
    await client.query('commit');
  });
  return true;
}
