import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { lineOfPosition, withClient } from './db';
import { migrationsDir as defaultMigrationsDir } from './paths';

/**
 * Applies supabase/migrations/*.sql the way the Supabase CLI does: in filename order, each file
 * in its own transaction together with its row in supabase_migrations.schema_migrations, so a
 * re-run applies only new files and a failed file leaves the earlier ones applied.
 */

export interface MigrationFile {
  version: string;
  name: string;
  file: string;
  path: string;
}

export class MigrationError extends Error {
  constructor(
    readonly file: string,
    readonly pgMessage: string,
    readonly line: number | undefined,
  ) {
    super(`migration ${file} failed${line ? ` at line ${line}` : ''}: ${pgMessage}`);
    this.name = 'MigrationError';
  }
}

const migrationFilePattern = /^(\d+)_(.+)\.sql$/;

export function listMigrations(dir = defaultMigrationsDir): MigrationFile[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = migrationFilePattern.exec(file);
      if (!match?.[1] || !match[2]) {
        throw new Error(`migration file name must be <timestamp>_<name>.sql: ${file}`);
      }
      return { version: match[1], name: match[2], file, path: join(dir, file) };
    });
}

async function ensureHistoryTable(client: pg.Client): Promise<void> {
  await client.query(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
    alter table supabase_migrations.schema_migrations add column if not exists statements text[];
    alter table supabase_migrations.schema_migrations add column if not exists name text;
  `);
}

export async function appliedVersions(client: pg.Client): Promise<Set<string>> {
  const { rows } = await client.query<{ version: string }>(
    `select version from supabase_migrations.schema_migrations order by version`,
  );
  return new Set(rows.map((r) => r.version));
}

/**
 * Applies pending migrations through `migrationUrl`, which must be the `postgres` login (as
 * on Supabase: no superuser). Returns the files applied now.
 */
export async function applyMigrations(migrationUrl: string, dir = defaultMigrationsDir): Promise<MigrationFile[]> {
  const files = listMigrations(dir);
  return withClient(migrationUrl, async (client) => {
    await ensureHistoryTable(client);
    const done = await appliedVersions(client);
    const applied: MigrationFile[] = [];
    for (const migration of files) {
      if (done.has(migration.version)) continue;
      const sql = readFileSync(migration.path, 'utf8');
      try {
        await client.query('begin');
        await client.query(sql);
        await client.query('insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)', [
          migration.version,
          migration.name,
          [sql],
        ]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        const pgError = error as { message?: string; position?: string };
        throw new MigrationError(migration.file, pgError.message ?? String(error), lineOfPosition(sql, pgError.position));
      }
      applied.push(migration);
    }
    return applied;
  });
}

/** Newest applied migration, as the health routes report it. */
export async function latestMigration(client: pg.Client): Promise<{ version: string; name: string | null } | null> {
  const { rows } = await client.query<{ version: string; name: string | null }>(
    `select version, name from supabase_migrations.schema_migrations order by version desc limit 1`,
  );
  return rows[0] ?? null;
}
