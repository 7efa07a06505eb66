import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapCluster } from '../bootstrap/index';
import { quoteIdent, withClient, withDatabase, withLogin } from '../db';
import { stackEnv } from '../env';
import { LOCAL_DB_PASSWORD } from '../keys';
import { freePort } from '../ports';
import { startEmbeddedPostgres } from '../postgres';
import { prepareDatabase } from '../prepare-database';

/**
 * One isolated PostgreSQL per test suite: a throwaway embedded cluster on a free port (or the
 * server in TEST_DATABASE_URL, e.g. the system PostgreSQL 15), with a migrated template
 * database that each test file clones. It never touches the developer's .bulkhead/ stack.
 */

/** What a vitest globalSetup hands to the test files (JSON-serialisable). */
export interface TestCluster {
  superuserUrl: string;
  template: string;
  serverVersion: string;
}

export interface StartedTestCluster extends TestCluster {
  stop(): Promise<void>;
}

function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export async function startTestCluster(): Promise<StartedTestCluster> {
  let superuserUrl: string;
  let stopServer = async () => {};
  if (stackEnv.testDatabaseUrl) {
    superuserUrl = stackEnv.testDatabaseUrl;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-test-'));
    chmodSync(dir, 0o755); // the server may run as the OS user postgres
    const pg = await startEmbeddedPostgres({
      dataDir: join(dir, 'pg'),
      port: await freePort(),
      password: LOCAL_DB_PASSWORD,
      ephemeral: true,
    });
    superuserUrl = pg.superuserUrl;
    stopServer = async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }

  await bootstrapCluster(superuserUrl, LOCAL_DB_PASSWORD);
  const template = uniqueName('bulkhead_template');
  const serverVersion = await withClient(superuserUrl, async (client) => {
    await client.query(`create database ${quoteIdent(template)}`);
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return rows[0]?.server_version ?? 'unknown';
  });
  await prepareDatabase(withDatabase(superuserUrl, template), LOCAL_DB_PASSWORD);

  return {
    superuserUrl,
    template,
    serverVersion,
    stop: async () => {
      await dropDatabase(superuserUrl, template);
      await stopServer();
    },
  };
}

async function dropDatabase(superuserUrl: string, name: string): Promise<void> {
  await withClient(superuserUrl, async (client) => {
    await client.query(`drop database if exists ${quoteIdent(name)} with (force)`);
  });
}

export interface TestDatabase {
  name: string;
  /** Cluster superuser (supabase_admin) on this database. */
  superuserUrl: string;
  /** The `postgres` login, as migrations run on Supabase. */
  migrationUrl: string;
  /** A login on this database for any role with the local password. */
  loginUrl(role: string): string;
  drop(): Promise<void>;
}

function describeDatabase(cluster: TestCluster, name: string): TestDatabase {
  const superuserUrl = withDatabase(cluster.superuserUrl, name);
  return {
    name,
    superuserUrl,
    migrationUrl: withLogin(superuserUrl, 'postgres', LOCAL_DB_PASSWORD),
    loginUrl: (role) => withLogin(superuserUrl, role, LOCAL_DB_PASSWORD),
    drop: () => dropDatabase(cluster.superuserUrl, name),
  };
}

/** A fresh database cloned from the migrated template: bootstrap and all migrations applied. */
export async function createTestDatabase(cluster: TestCluster): Promise<TestDatabase> {
  const name = uniqueName('bulkhead_test');
  await withClient(cluster.superuserUrl, async (client) => {
    await client.query(`create database ${quoteIdent(name)} template ${quoteIdent(cluster.template)}`);
    // Database privileges are not copied from a template; postgres may create schemas, as on Supabase.
    await client.query(`grant create, temporary on database ${quoteIdent(name)} to postgres`);
  });
  return describeDatabase(cluster, name);
}

/** An empty database (no bootstrap, no migrations), for tests of the bootstrap itself. */
export async function createEmptyDatabase(cluster: TestCluster): Promise<TestDatabase> {
  const name = uniqueName('bulkhead_empty');
  await withClient(cluster.superuserUrl, async (client) => {
    await client.query(`create database ${quoteIdent(name)}`);
  });
  return describeDatabase(cluster, name);
}

export { freePort } from '../ports';
