import { createTestDatabase, type TestDatabase } from '@bulkhead/local-stack/testing';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as schema from '../../src/schema';

/**
 * The migrations are the source of truth; src/schema.ts must describe the migrated database
 * exactly: same tables in `public`, same columns, types, nullability and primary keys.
 */
const tables = Object.values(schema as Record<string, unknown>).filter(
  (value): value is PgTable => typeof value === 'object' && value !== null && 'getSQL' in value,
);

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase(inject('cluster'));
  client = new pg.Client({ connectionString: db.superuserUrl });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

type Column = { name: string; type: string; notNull: boolean };

function describeDrizzle(table: PgTable) {
  const config = getTableConfig(table);
  const columns: Column[] = config.columns
    .map((c) => ({ name: c.name, type: c.getSQLType(), notNull: c.notNull }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const inlinePk = config.columns.filter((c) => c.primary).map((c) => c.name);
  const primaryKey = (config.primaryKeys[0]?.columns.map((c) => c.name) ?? inlinePk).sort();
  return { name: config.name, columns, primaryKey };
}

async function describeDatabase(name: string) {
  const { rows: columns } = await client.query<Column>(
    `select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as "notNull"
       from pg_catalog.pg_attribute a
      where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attname`,
    [`public.${name}`],
  );
  const { rows: pk } = await client.query<{ name: string }>(
    `select a.attname as name
       from pg_catalog.pg_index i
       join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
      where i.indrelid = $1::regclass and i.indisprimary
      order by a.attname`,
    [`public.${name}`],
  );
  return { name, columns: [...columns].sort((a, b) => a.name.localeCompare(b.name)), primaryKey: pk.map((r) => r.name) };
}

describe('Drizzle schema', () => {
  it('models every table the migrations create in public, and nothing else', async () => {
    const { rows } = await client.query<{ name: string }>(
      `select c.relname as name from pg_catalog.pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') order by 1`,
    );
    expect(tables.map((t) => getTableConfig(t).name).sort()).toEqual(rows.map((r) => r.name));
  });

  it.each(tables.map((t) => [getTableConfig(t).name, t] as const))(
    'matches the migrated %s table column by column',
    async (_name, table) => {
      const modelled = describeDrizzle(table);
      expect(modelled).toEqual(await describeDatabase(modelled.name));
    },
  );
});
