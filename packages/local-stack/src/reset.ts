import { databaseName, quoteIdent, withClient, withDatabase } from './db';
import { prepareDatabase } from './prepare-database';
import { applySeed } from './seed';

/**
 * `supabase db reset` for the local stack: drop and recreate the database, bootstrap, migrate,
 * seed. Needs a superuser login; a database of `supabase start` is reset with the CLI instead.
 */
export async function resetDatabase(superuserUrl: string, localPassword: string): Promise<void> {
  const name = databaseName(superuserUrl);
  await withClient(withDatabase(superuserUrl, 'template1'), async (client) => {
    await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [
      name,
    ]);
    await client.query(`drop database if exists ${quoteIdent(name)}`);
    await client.query(`create database ${quoteIdent(name)}`);
  });
  const db = await prepareDatabase(superuserUrl, localPassword);
  await applySeed(db.migrationUrl);
}
