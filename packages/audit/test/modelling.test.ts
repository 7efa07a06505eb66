import { fileURLToPath } from 'node:url';
import { prepareDatabase } from '@bulkhead/local-stack';
import { createEmptyDatabase, LOCAL_DB_PASSWORD, type TestDatabase } from '@bulkhead/local-stack/testing';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { defaultConfig } from '../src/config';
import { runChecks } from '../src/engine';
import { liveCatalog } from '../src/live';
import { staticCatalog } from '../src/static';
import { catalogSummary, comparable } from './helpers';

/**
 * Static mode's model of PostgreSQL, checked against PostgreSQL itself: test/modelling/ runs
 * renames, moves, drops, default privileges, column grants, CREATE OR REPLACE, SET ROLE, policy
 * expressions in every shape pg_get_expr() rewrites, … and both modes must end in the same state.
 */

const cluster = inject('cluster');
const dir = fileURLToPath(new URL('./modelling', import.meta.url));
const config = { ...defaultConfig, exposedSchemas: ['public', 'graphql_public', 'app'] };
let db: TestDatabase | undefined;

afterAll(async () => {
  await db?.drop();
  const client = new pg.Client({ connectionString: cluster.superuserUrl });
  await client.connect();
  try {
    for (const role of ['fx_model_owner', 'fx_model_reader'])
      await client.query(`drop role if exists ${role}`).catch(() => undefined);
  } finally {
    await client.end();
  }
});

describe('static mode models what PostgreSQL does', () => {
  it('builds the same end state as the database the migrations build', async () => {
    db = await createEmptyDatabase(cluster);
    await prepareDatabase(db.superuserUrl, LOCAL_DB_PASSWORD, dir);
    const fromMigrations = await staticCatalog(dir);
    const fromDatabase = await liveCatalog(db.migrationUrl, config);
    expect(fromMigrations.notes).toEqual([]);
    expect(catalogSummary(fromDatabase, config)).toEqual(catalogSummary(fromMigrations, config));
    expect(comparable(runChecks(fromDatabase, config))).toEqual(comparable(runChecks(fromMigrations, config)));
  });
});
