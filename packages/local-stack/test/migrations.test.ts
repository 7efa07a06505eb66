import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { withClient } from '../src/db';
import { LOCAL_DB_PASSWORD } from '../src/keys';
import { applyMigrations, listMigrations, MigrationError } from '../src/migrations';
import { prepareDatabase } from '../src/prepare-database';
import { createEmptyDatabase, type TestDatabase } from '../src/testing/index';

const cluster = inject('cluster');
const cleanup: TestDatabase[] = [];

afterEach(async () => {
  for (const db of cleanup.splice(0)) await db.drop();
});

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

async function history(url: string) {
  return withClient(url, async (client) => {
    const { rows } = await client.query('select version, name from supabase_migrations.schema_migrations order by version');
    return rows;
  });
}

describe('migrations', () => {
  it('apply in filename order, are recorded like the Supabase CLI does, and re-run idempotently', async () => {
    const db = await createEmptyDatabase(cluster);
    cleanup.push(db);
    const dir = migrationsDir({
      '20260102000000_second.sql': 'alter table public.things add column label text;',
      '20260101000000_first.sql': 'create table public.things (id uuid primary key);',
    });

    const first = await prepareDatabase(db.superuserUrl, LOCAL_DB_PASSWORD, dir);
    expect(first.kind).toBe('bootstrapped');
    expect(first.applied.map((m) => m.file)).toEqual(['20260101000000_first.sql', '20260102000000_second.sql']);
    expect(await history(db.superuserUrl)).toEqual([
      { version: '20260101000000', name: 'first' },
      { version: '20260102000000', name: 'second' },
    ]);

    const again = await prepareDatabase(db.superuserUrl, LOCAL_DB_PASSWORD, dir);
    expect(again.applied).toEqual([]);

    writeFileSync(join(dir, '20260103000000_third.sql'), 'create index things_label_idx on public.things (label);');
    const third = await applyMigrations(db.migrationUrl, dir);
    expect(third.map((m) => m.version)).toEqual(['20260103000000']);
  });

  it('run as postgres, not as a superuser', async () => {
    const db = await createEmptyDatabase(cluster);
    cleanup.push(db);
    const dir = migrationsDir({ '20260101000000_who.sql': 'create table public.who as select current_user::text as name;' });
    await prepareDatabase(db.superuserUrl, LOCAL_DB_PASSWORD, dir);
    const owner = await withClient(db.superuserUrl, (c) => c.query('select name from public.who'));
    expect(owner.rows[0].name).toBe('postgres');
  });

  it('stop at a broken file with its name, line and the Postgres error; earlier files stay applied', async () => {
    const db = await createEmptyDatabase(cluster);
    cleanup.push(db);
    const dir = migrationsDir({
      '20260101000000_good.sql': 'create table public.good (id int);',
      '20260102000000_broken.sql': '-- a comment\ncreate table public.half (id int);\nselect * from public.missing_table;',
      '20260103000000_later.sql': 'create table public.later (id int);',
    });

    const error = await prepareDatabase(db.superuserUrl, LOCAL_DB_PASSWORD, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).file).toBe('20260102000000_broken.sql');
    expect((error as MigrationError).line).toBe(3);
    expect((error as MigrationError).message).toMatch(
      /migration 20260102000000_broken\.sql failed at line 3: relation "public\.missing_table" does not exist/,
    );

    expect(await history(db.superuserUrl)).toEqual([{ version: '20260101000000', name: 'good' }]);
    const tables = await withClient(db.superuserUrl, (c) =>
      c.query(
        `select to_regclass('public.good') as good, to_regclass('public.half') as half, to_regclass('public.later') as later`,
      ),
    );
    // The broken file ran in its own transaction: none of it stays, and nothing after it ran.
    expect(tables.rows[0]).toEqual({ good: 'good', half: null, later: null });
  });

  it('reject a file name that is not <timestamp>_<name>.sql', () => {
    const dir = migrationsDir({ 'add_things.sql': 'select 1;' });
    expect(() => listMigrations(dir)).toThrow(/must be <timestamp>_<name>\.sql: add_things\.sql/);
  });

  it("the kit's own migrations apply cleanly to a fresh database", async () => {
    const db = await createEmptyDatabase(cluster);
    cleanup.push(db);
    const prepared = await prepareDatabase(db.superuserUrl, LOCAL_DB_PASSWORD);
    expect(prepared.applied.map((m) => m.file)).toEqual(listMigrations().map((m) => m.file));
    const client = new pg.Client({ connectionString: db.migrationUrl });
    await client.connect();
    await client.end();
  });
});
