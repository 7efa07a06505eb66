import type pg from 'pg';
import { readRecords } from './catalog';
import type { Mapping } from './mapping';
import { display } from './sql';
import { validationQuery } from './steps/validate';

/** `pnpm tenancy:adopt validate`: every row that step 3 would stop on, by key. Changes nothing. */

export interface ValidationProblem {
  table: string;
  problem: 'missing-tenant' | 'cross-tenant';
  rowKey: string;
  detail: string;
}

export async function validate(client: pg.ClientBase, mapping: Mapping, tables: string[] = []): Promise<ValidationProblem[]> {
  const records = await readRecords(client);
  const out: ValidationProblem[] = [];
  for (const t of mapping.tables) {
    const name = display(t.table);
    if (tables.length > 0 && !tables.includes(name)) continue;
    const record = records.get(name);
    if (!record) continue;
    const { rows } = await client.query<{
      table_name: string;
      problem: ValidationProblem['problem'];
      row_key: string;
      detail: string;
    }>(`select * from (${validationQuery({ mapping: t, all: mapping, original: record.original })}) q order by 2, 3`);
    out.push(...rows.map((r) => ({ table: r.table_name, problem: r.problem, rowKey: r.row_key, detail: r.detail })));
  }
  return out;
}
