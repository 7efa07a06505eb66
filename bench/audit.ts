/**
 * Benchmark of the tenancy audit: 200 tenant tables (FORCE RLS, a tenant index, four policies,
 * explicit grants each), audited by static mode (parsing the migrations) and by live mode (reading
 * the catalogs of the database they build) on a throwaway embedded PostgreSQL 17, or on the
 * server in TEST_DATABASE_URL. Prints the timings; asserts nothing. Imports by relative path:
 * bench/ belongs to no package, so it resolves dependencies through the packages' own folders.
 *
 *   pnpm --filter @bulkhead/audit bench            (or: ... bench -- --tables 500 --runs 9)
 *
 * Other benchmark runners import runAuditBenchmark() and format its numbers themselves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { auditLive, auditStatic } from '../packages/audit/src/audit';
import { defaultConfig } from '../packages/audit/src/config';
import { withClient } from '../packages/local-stack/src/db';
import { LOCAL_DB_PASSWORD } from '../packages/local-stack/src/keys';
import { prepareDatabase } from '../packages/local-stack/src/prepare-database';
import { createEmptyDatabase, startTestCluster, type TestCluster } from '../packages/local-stack/src/testing/cluster';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const role = 'bench_audit_owner';

const base = `
do $$ begin
  if not exists (select from pg_roles where rolname = '${role}') then create role ${role} nologin; end if;
end $$;
grant ${role} to postgres;
grant usage, create on schema public to ${role};
create schema private;
grant usage on schema private to authenticated;
create function private.current_tenant_id() returns uuid language sql stable set search_path = ''
  as $fn$ select nullif((select auth.jwt()) -> 'app_metadata' ->> 'tenant_id', '')::uuid $fn$;
revoke execute on function private.current_tenant_id() from public;
grant execute on function private.current_tenant_id() to authenticated;
`;

function tenantTable(i: number): string {
  const t = `public.bench_${String(i).padStart(4, '0')}`;
  const check = '(tenant_id = (select private.current_tenant_id()))';
  return `
create table ${t} (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  title text not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index on ${t} (tenant_id, created_at desc);
revoke all on table ${t} from anon, authenticated, service_role;
grant select, insert, update, delete on table ${t} to authenticated;
alter table ${t} owner to ${role};
alter table ${t} enable row level security;
alter table ${t} force row level security;
create policy select_own on ${t} for select to authenticated using ${check};
create policy insert_own on ${t} for insert to authenticated with check ${check};
create policy update_own on ${t} for update to authenticated using ${check} with check ${check};
create policy delete_own on ${t} for delete to authenticated using ${check};
`;
}

export interface AuditBenchmark {
  tables: number;
  policies: number;
  runs: number;
  serverVersion: string;
  migrateMs: number;
  /** First run: loads the parser (WebAssembly) and warms the catalog caches. */
  staticFirstMs: number;
  liveFirstMs: number;
  staticMs: number[];
  liveMs: number[];
  findings: { static: number; live: number };
  tenantTables: { static: number; live: number };
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `median ${median(samples).toFixed(0)} ms, min ${(sorted[0] ?? 0).toFixed(0)} ms, max ${(sorted[sorted.length - 1] ?? 0).toFixed(0)} ms`;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Builds the migrations for `tables` tenant tables, applies them to a fresh database on `cluster`
 * (or on a throwaway one), and times both modes `runs` times after one first run each.
 */
export async function runAuditBenchmark(
  options: { tables?: number; runs?: number; cluster?: TestCluster } = {},
): Promise<AuditBenchmark> {
  const tables = options.tables ?? 200;
  const runs = options.runs ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-audit-bench-'));
  writeFileSync(join(dir, '20260101000000_base.sql'), base);
  // Ten tables per migration file, as a project accumulates them.
  for (let file = 0; file * 10 < tables; file++) {
    const sql = Array.from({ length: Math.min(10, tables - file * 10) }, (_, k) => tenantTable(file * 10 + k + 1)).join('');
    writeFileSync(join(dir, `2026010200${String(file).padStart(4, '0')}_tables.sql`), sql);
  }

  const own = options.cluster ? undefined : await startTestCluster();
  const cluster = options.cluster ?? (own as TestCluster);
  const db = await createEmptyDatabase(cluster);
  try {
    const migrateMs = await time(() => prepareDatabase(db.superuserUrl, LOCAL_DB_PASSWORD, dir));
    const staticFirstMs = await time(() => auditStatic(dir, defaultConfig));
    const liveFirstMs = await time(() => auditLive(db.migrationUrl, defaultConfig));
    const staticMs: number[] = [];
    const liveMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      staticMs.push(await time(() => auditStatic(dir, defaultConfig)));
      liveMs.push(await time(() => auditLive(db.migrationUrl, defaultConfig)));
    }
    const staticResult = await auditStatic(dir, defaultConfig);
    const liveResult = await auditLive(db.migrationUrl, defaultConfig);
    return {
      tables,
      policies: tables * 4,
      runs,
      serverVersion: cluster.serverVersion,
      migrateMs,
      staticFirstMs,
      liveFirstMs,
      staticMs,
      liveMs,
      findings: { static: staticResult.findings.length, live: liveResult.findings.length },
      tenantTables: { static: staticResult.tenantTables.length, live: liveResult.tenantTables.length },
    };
  } finally {
    await db.drop();
    await withClient(cluster.superuserUrl, (client) => client.query(`drop role if exists ${role}`)).catch(() => undefined);
    await own?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const r = await runAuditBenchmark({ tables: option('tables', 200), runs: option('runs', 5) });
  console.log(`tenancy audit benchmark: ${r.tables} tenant tables, ${r.policies} policies, PostgreSQL ${r.serverVersion}`);
  console.log(`  migrations applied in ${r.migrateMs.toFixed(0)} ms`);
  console.log(`  static mode: first run ${r.staticFirstMs.toFixed(0)} ms; then ${stats(r.staticMs)} (${r.runs} runs)`);
  console.log(`  live mode:   first run ${r.liveFirstMs.toFixed(0)} ms; then ${stats(r.liveMs)} (${r.runs} runs)`);
  console.log(
    `  findings: static ${r.findings.static}, live ${r.findings.live}; tenant tables: static ${r.tenantTables.static}, live ${r.tenantTables.live}`,
  );
}

// Run directly (not imported by another runner): print the numbers.
if (/[\\/]bench[\\/]audit\.ts$/.test(process.argv[1] ?? '')) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
