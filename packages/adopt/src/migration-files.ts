import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes generated migrations into a migrations folder (supabase/migrations by default), named
 * like the Supabase CLI expects: `<14-digit UTC timestamp>_<name>.sql`. Each file gets its own
 * timestamp, later than every migration already there, so the files apply in the order given.
 */

export interface GeneratedMigration {
  /** Without timestamp and extension, e.g. adopt_public__projects_add_tenant_id. */
  name: string;
  sql: string;
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function nextStamp(value: string): string {
  const d = new Date(
    Date.UTC(
      Number(value.slice(0, 4)),
      Number(value.slice(4, 6)) - 1,
      Number(value.slice(6, 8)),
      Number(value.slice(8, 10)),
      Number(value.slice(10, 12)),
      Number(value.slice(12, 14)) + 1,
    ),
  );
  return stamp(d);
}

export function writeMigrations(dir: string, migrations: GeneratedMigration[], now = new Date()): string[] {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const existing = readdirSync(dir)
    .map((f) => /^(\d{14})_/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort();
  let current = stamp(now);
  const latest = existing.at(-1);
  if (latest && latest >= current) current = nextStamp(latest);
  const written: string[] = [];
  for (const migration of migrations) {
    const file = `${current}_${migration.name}.sql`;
    writeFileSync(join(dir, file), migration.sql.endsWith('\n') ? migration.sql : `${migration.sql}\n`);
    written.push(file);
    current = nextStamp(current);
  }
  return written;
}
