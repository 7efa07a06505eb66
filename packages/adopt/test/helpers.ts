import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMigrations } from '@bulkhead/local-stack';
import type pg from 'pg';
import { type GeneratedMigration, writeMigrations } from '../src/index';

export const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');

/** A throwaway migrations folder and a way to write generated migrations into it and apply them as `postgres`. */
export function migrationsFolder(migrationUrl: string) {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-adopt-migrations-'));
  return {
    dir,
    write: (migrations: GeneratedMigration[]) => writeMigrations(dir, migrations),
    /** Applies every pending file of the folder, in order (stops at the first that fails). */
    apply: () => applyMigrations(migrationUrl, dir),
    read: (file: string) => readFileSync(join(dir, file), 'utf8'),
  };
}

/**
 * What a rollback must restore, read from the catalogs: per table its columns, constraints,
 * indexes, policies, triggers, row level security flags, owner and privileges. Dropped columns
 * (attisdropped) are not part of a table's definition.
 */
export async function schemaSnapshot(client: pg.ClientBase, tables: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of tables) {
    const { rows } = await client.query(
      `select
         (select json_agg(json_build_object('name', attname, 'type', format_type(atttypid, atttypmod), 'not_null', attnotnull,
                                            'default', pg_get_expr(d.adbin, d.adrelid)) order by attname)
            from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
           where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
         (select json_agg(json_build_object('name', conname, 'def', pg_get_constraintdef(k.oid)) order by conname)
            from pg_constraint k where k.conrelid = c.oid) as constraints,
         (select json_agg(pg_get_indexdef(i.indexrelid) order by pg_get_indexdef(i.indexrelid)) from pg_index i where i.indrelid = c.oid) as indexes,
         (select json_agg(json_build_object('name', polname, 'cmd', polcmd, 'permissive', polpermissive,
                                            'using', pg_get_expr(polqual, polrelid), 'check', pg_get_expr(polwithcheck, polrelid)) order by polname)
            from pg_policy p where p.polrelid = c.oid) as policies,
         (select json_agg(tgname order by tgname) from pg_trigger t where t.tgrelid = c.oid and not t.tgisinternal) as triggers,
         c.relrowsecurity as rls, c.relforcerowsecurity as force, pg_get_userbyid(c.relowner) as owner,
         (select json_agg(format('%s:%s', pg_get_userbyid(x.grantee), x.privilege_type)
                          order by pg_get_userbyid(x.grantee), x.privilege_type)
            from aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) x) as privileges
       from pg_class c where c.oid = $1::regclass`,
      [table],
    );
    out[table] = rows[0];
  }
  return out;
}
