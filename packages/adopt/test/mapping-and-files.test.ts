import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MappingError, parseMapping, writeMigrations } from '../src/index';

describe('mapping file', () => {
  it('reads a column and a multi-hop path, and orders tables so a path ends at a placed table', () => {
    const mapping = parseMapping({
      tables: [
        { table: 'comments', tenant: { path: ['comments.task_id -> tasks.id', 'tasks.project_id -> app.projects.id'] } },
        { table: 'app.projects', tenant: { column: 'org_id' } },
      ],
    });
    expect(mapping.tables.map((t) => `${t.table.schema}.${t.table.name}`)).toEqual(['app.projects', 'public.comments']);
    expect(mapping.tables[1]?.tenant).toMatchObject({ kind: 'path', tenantColumn: 'tenant_id' });
  });

  it('rejects a cycle, a table listed twice, and a tenant given two ways, saying what to fix', () => {
    const cycle = {
      tables: [
        { table: 'a', tenant: { path: ['a.b_id -> b.id'] } },
        { table: 'b', tenant: { path: ['b.a_id -> a.id'] } },
      ],
    };
    expect(() => parseMapping(cycle)).toThrow(MappingError);
    expect(() => parseMapping(cycle)).toThrow(/the paths of public.a form a cycle/);
    expect(() =>
      parseMapping({
        tables: [
          { table: 'a', tenant: { column: 'org_id' } },
          { table: 'public.a', tenant: { column: 'org_id' } },
        ],
      }),
    ).toThrow(/public.a is listed twice/);
    expect(() => parseMapping({ tables: [{ table: 'a', tenant: { column: 'org_id', path: ['a.x -> b.y'] } }] })).toThrow(
      /give either "column" or "path", not both/,
    );
    expect(() => parseMapping({ tables: [] })).toThrow(/list at least one table/);
  });
});

describe('migration files', () => {
  it('get timestamps after every migration already in the folder, one per file, in the order given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-adopt-files-'));
    writeFileSync(join(dir, '29991231235958_existing.sql'), '');
    const written = writeMigrations(
      dir,
      [
        { name: 'adopt_first', sql: 'select 1;' },
        { name: 'adopt_second', sql: 'select 2;' },
      ],
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(written).toEqual(['29991231235959_adopt_first.sql', '30000101000000_adopt_second.sql']);
    expect(readdirSync(dir).sort()).toEqual(['29991231235958_existing.sql', ...written]);
  });

  it('use the current time when the folder has nothing later', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-adopt-files-'));
    expect(writeMigrations(dir, [{ name: 'adopt_x', sql: '' }], new Date('2026-11-26T15:04:05Z'))).toEqual([
      '20261126150405_adopt_x.sql',
    ]);
  });
});
