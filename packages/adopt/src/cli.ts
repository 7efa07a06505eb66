import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runBackfill } from './backfill';
import { CatalogError, readRecords } from './catalog';
import { adoptEnv } from './env';
import { loadMapping, MappingError } from './mapping';
import { writeMigrations } from './migration-files';
import { ACTIONS, type Action, PlanError, plan, planRollback, type RollbackTarget } from './plan';
import { explainFindings, formatReport, shadowReport } from './report';
import { validate } from './validate';

const usage = `pnpm tenancy:adopt <command> [options]

Moves an existing single-tenant schema to enforced tenancy, table by table (docs/adopting.md).

Commands that write migrations (into --out, default supabase/migrations; review them, then apply):
  prepare     step 1 nullable tenant_id + insert trigger, step 2 batched backfill machinery
  constrain   step 3 validation gate, step 4 NOT NULL, tenant keys and foreign keys
  shadow      step 5 shadow-mode policies: access as before, hidden rows recorded
  enforce     step 6 tenant policies, ENABLE + FORCE, owner tenancy_owner
              (refused while shadow findings are unexplained; --force --reason "…" overrides)
  rollback    --to column|backfill|constrain|shadow|none: undo the steps above it

Commands that work on the database:
  backfill    run the batched backfill (resumable: kill it and run it again) [--batch-size N]
  validate    list every row step 3 would stop on (missing tenant, cross-tenant reference)
  report      shadow findings per table and caller [--json]
  explain     mark a caller's findings on a table as expected: --table T --caller C --reason "…"
  status      each table's step and state (off / shadow / enforce)

Options:
  --db URL          the database (default: $DATABASE_URL); the postgres login, as migrations run
  --mapping FILE    the mapping file (default: supabase/tenancy-adopt.json)
  --table T         only this table (repeatable; default: every table in the mapping)
  --out DIR         where migrations are written (default: supabase/migrations)
`;

/** Exit status: 0 done, 1 refused or problems found (the message says which), 2 could not run. */
export async function main(argv: string[], cwd = process.cwd()): Promise<number> {
  try {
    return await run(argv, cwd);
  } catch (error) {
    if (error instanceof PlanError) {
      console.error(error.message);
      return 1;
    }
    if (error instanceof MappingError || error instanceof CatalogError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}

async function run(argv: string[], cwd: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      mapping: { type: 'string', default: 'supabase/tenancy-adopt.json' },
      table: { type: 'string', multiple: true, default: [] },
      out: { type: 'string', default: 'supabase/migrations' },
      to: { type: 'string' },
      force: { type: 'boolean', default: false },
      reason: { type: 'string' },
      caller: { type: 'string' },
      'batch-size': { type: 'string', default: '1000' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return command || values.help ? 0 : 2;
  }
  const url = values.db ?? adoptEnv().databaseUrl;
  if (!url) {
    console.error('no database: pass --db postgresql://… or set DATABASE_URL');
    return 2;
  }
  const tables = values.table.map((t) => (t.includes('.') ? t : `public.${t}`));
  const needsMapping = command !== 'report' && command !== 'explain' && command !== 'status';
  const mapping = needsMapping ? loadMapping(resolve(cwd, values.mapping)) : undefined;

  if (command === 'backfill') {
    const batchSize = Number(values['batch-size']);
    const results = await runBackfill(url, mapping as NonNullable<typeof mapping>, {
      batchSize,
      tables,
      onBatch: (p) => {
        if (p.batch % 50 === 0) console.log(`${p.table}: batch ${p.batch}`);
      },
    });
    for (const r of results) {
      console.log(
        `${r.table}: ${r.rowsSeen} rows in ${r.batches} batches, ${r.rowsAssigned} placed, ${r.rowsUnresolved} unresolved, ` +
          `${Math.round(r.ms)} ms, longest batch ${Math.round(r.longestBatchMs)} ms`,
      );
    }
    return 0;
  }

  const client = new pg.Client({ connectionString: url, application_name: 'bulkhead-adopt' });
  await client.connect();
  try {
    if ((ACTIONS as string[]).includes(command)) {
      if (values.force && !values.reason) {
        console.error('--force needs --reason "…"');
        return 2;
      }
      const migrations = await plan(client, mapping as NonNullable<typeof mapping>, {
        action: command as Action,
        tables,
        force: values.force ? { reason: values.reason as string } : undefined,
      });
      const written = writeMigrations(resolve(cwd, values.out), migrations);
      for (const file of written) console.log(`wrote ${values.out}/${file}`);
      return 0;
    }
    if (command === 'rollback') {
      const to = values.to as RollbackTarget | undefined;
      if (!to || !['column', 'backfill', 'constrain', 'shadow', 'none'].includes(to)) {
        console.error('rollback needs --to column|backfill|constrain|shadow|none');
        return 2;
      }
      const written = writeMigrations(
        resolve(cwd, values.out),
        await planRollback(client, mapping as NonNullable<typeof mapping>, tables, to),
      );
      for (const file of written) console.log(`wrote ${values.out}/${file}`);
      return 0;
    }
    if (command === 'validate') {
      const problems = await validate(client, mapping as NonNullable<typeof mapping>, tables);
      if (values.json) console.log(JSON.stringify(problems, null, 2));
      else if (problems.length === 0) console.log('no problems: every row has its tenant and every reference stays inside it.');
      else for (const p of problems) console.log(`${p.table} ${p.problem} ${p.rowKey}: ${p.detail}`);
      return problems.length === 0 ? 0 : 1;
    }
    if (command === 'report') {
      const findings = (await shadowReport(client)).filter((f) => tables.length === 0 || tables.includes(f.table));
      console.log(values.json ? JSON.stringify(findings, null, 2) : formatReport(findings));
      return findings.some((f) => f.unexplained > 0) ? 1 : 0;
    }
    if (command === 'explain') {
      if (tables.length !== 1 || !values.caller || !values.reason) {
        console.error('explain needs --table T --caller C --reason "…"');
        return 2;
      }
      await explainFindings(client, tables[0] as string, values.caller, values.reason);
      console.log(`explained: ${tables[0]} / ${values.caller}`);
      return 0;
    }
    if (command === 'status') {
      const records = await readRecords(client);
      if (records.size === 0) console.log('no table is being adopted.');
      for (const r of records.values()) console.log(`${r.table}: ${r.state} (last step: ${r.step})`);
      return 0;
    }
    console.error(`unknown command ${command}\n\n${usage}`);
    return 2;
  } finally {
    await client.end();
  }
}
