/**
 * Runs the pgTAP suite in supabase/tests/*.sql with pg_prove against a fresh, migrated database,
 * the way `supabase test db` does on a Supabase stack.
 *
 *   TEST_DATABASE_URL=postgresql://root@127.0.0.1:5432/postgres pnpm test:pgtap
 *
 * TEST_DATABASE_URL is a superuser login on a server that has the pgTAP extension (the embedded
 * PostgreSQL 17 used when it is unset does not ship it). The script bootstraps the Supabase roles
 * if needed, migrates a template database, clones a throwaway database from it, installs pgtap
 * there as the superuser, runs pg_prove as `postgres` (the migration role, as `supabase test db`
 * does), and drops everything it created. Exit status: pg_prove's.
 *
 * Needs pg_prove on PATH and pgTAP on the server; on Debian/Ubuntu:
 *   apt-get install -y postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { repoRoot } from '../packages/local-stack/src/paths';
import {
  createTestDatabase,
  type StartedTestCluster,
  startTestCluster,
  type TestDatabase,
} from '../packages/local-stack/src/testing/index';

const testsDir = join(repoRoot, 'supabase', 'tests');

function fail(message: string): never {
  console.error(`pgtap: ${message}`);
  process.exit(2);
}

function hasPgProve(): boolean {
  return spawnSync('pg_prove', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function installPgTap(db: TestDatabase): Promise<void> {
  const client = new pg.Client({ connectionString: db.superuserUrl });
  await client.connect();
  try {
    await client.query('create extension if not exists pgtap with schema extensions');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `the pgTAP extension is not available on this server (${message}).\n` +
        '  Install it on the server (Debian/Ubuntu: apt-get install -y postgresql-15-pgtap), and point\n' +
        '  TEST_DATABASE_URL at it, e.g. TEST_DATABASE_URL=postgresql://root@127.0.0.1:5432/postgres',
    );
  } finally {
    await client.end();
  }
}

function runPgProve(db: TestDatabase, files: string[]): number {
  const login = new URL(db.migrationUrl);
  const result = spawnSync('pg_prove', ['--ext', '.sql', ...files], {
    cwd: testsDir,
    stdio: 'inherit',
    env: {
      ...process.env,
      PGHOST: login.hostname,
      PGPORT: login.port || '5432',
      PGUSER: decodeURIComponent(login.username),
      PGPASSWORD: decodeURIComponent(login.password),
      PGDATABASE: decodeURIComponent(login.pathname.slice(1)),
      PGOPTIONS: '--client-min-messages=warning',
    },
  });
  if (result.error) fail(`could not run pg_prove: ${result.error.message}`);
  return result.status ?? 1;
}

async function main(): Promise<number> {
  if (!hasPgProve()) {
    fail(
      'pg_prove is not installed (it runs the pgTAP files).\n' +
        '  Debian/Ubuntu: apt-get install -y postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl',
    );
  }
  const files = readdirSync(testsDir)
    .filter((file) => file.endsWith('.sql'))
    .sort();
  if (files.length === 0) fail(`no pgTAP files in ${testsDir}`);

  let cluster: StartedTestCluster | undefined;
  let db: TestDatabase | undefined;
  try {
    cluster = await startTestCluster();
    console.log(`pgtap: PostgreSQL ${cluster.serverVersion}, ${files.length} file(s)`);
    db = await createTestDatabase(cluster);
    await installPgTap(db);
    return runPgProve(db, files);
  } catch (error) {
    console.error(`pgtap: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    await db?.drop().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)),
);
