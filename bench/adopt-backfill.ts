/**
 * Benchmark of the adoption backfill (issue 10): a legacy table of 1,000,000 rows spread over
 * 1,000 tenants gets its tenant_id through the generated, batched, resumable backfill
 * (packages/adopt), while a second connection keeps updating random rows of the same table, as a
 * live app would. Measures the duration, rows per second, the longest batch (a batch is one
 * transaction: the longest any row lock is held), and the longest wait the concurrent writer saw.
 * On a throwaway embedded PostgreSQL 17, or the server in TEST_DATABASE_URL. Asserts nothing.
 * Imports by relative path: bench/ belongs to no package.
 *
 *   pnpm --filter @bulkhead/adopt bench            (or: ... bench -- --rows 200000 --batch-size 2000)
 *
 * bench/run.ts calls runAdoptBackfillBenchmark() and adds adoptBackfillSection() to docs/benchmarks.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { parseMapping, plan, runBackfill, writeMigrations } from '../packages/adopt/src/index';
import { applyMigrations } from '../packages/local-stack/src/migrations';
import { createTestDatabase, startTestCluster } from '../packages/local-stack/src/testing/cluster';

export interface AdoptBackfillResult {
  rows: number;
  tenants: number;
  batchSize: number;
  batches: number;
  totalMs: number;
  rowsPerSecond: number;
  batchMs: { p50: number; p95: number; max: number };
  /** The longest batch as the database timed it (inside the transaction). */
  serverLongestBatchMs: number;
  writer: { writes: number; p50: number; p99: number; max: number };
  serverVersion: string;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export async function runAdoptBackfillBenchmark(options: {
  rows: number;
  batchSize: number;
  tenants?: number;
}): Promise<AdoptBackfillResult> {
  const tenants = options.tenants ?? 1000;
  const cluster = await startTestCluster();
  const db = await createTestDatabase(cluster);
  const admin = new pg.Client({ connectionString: db.superuserUrl });
  await admin.connect();
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-bench-adopt-'));
  try {
    await admin.query(`grant create, temporary on database ${db.name} to postgres`);
    const legacy = new pg.Client({ connectionString: db.migrationUrl });
    await legacy.connect();
    await legacy.query(`create table public.bench_items (
      id uuid primary key default gen_random_uuid(), org_id uuid, title text not null, created_at timestamptz not null default now())`);
    await legacy.end();
    await admin.query(
      `insert into public.tenants (id, name, slug)
       select gen_random_uuid(), 'Tenant ' || i, 'bench-tenant-' || i from generate_series(1, $1) i`,
      [tenants],
    );
    await admin.query(
      `insert into public.bench_items (org_id, title)
       select t.ids[1 + i % $2], 'item ' || i
         from (select array_agg(id) as ids from public.tenants where slug like 'bench-tenant-%') t, generate_series(1, $1) i`,
      [options.rows, tenants],
    );
    await admin.query('analyze public.bench_items');

    const mapping = parseMapping({ tables: [{ table: 'public.bench_items', tenant: { column: 'org_id' } }] });
    const planner = new pg.Client({ connectionString: db.migrationUrl });
    await planner.connect();
    writeMigrations(dir, await plan(planner, mapping, { action: 'prepare', tables: [] }));
    await planner.end();
    await applyMigrations(db.migrationUrl, dir);

    // The live app: one connection updating random rows for as long as the backfill runs.
    const { rows: sample } = await admin.query<{ id: string }>(
      `select id from public.bench_items tablesample system (1) limit 2000`,
    );
    const writer = new pg.Client({ connectionString: db.migrationUrl });
    await writer.connect();
    const writes: number[] = [];
    let running = true;
    const writing = (async () => {
      let i = 0;
      while (running) {
        const row = sample[i++ % sample.length] as { id: string };
        const started = performance.now();
        await writer.query(`update public.bench_items set title = title where id = $1`, [row.id]);
        writes.push(performance.now() - started);
      }
    })();

    const batchMs: number[] = [];
    const started = performance.now();
    const [result] = await runBackfill(db.migrationUrl, mapping, {
      batchSize: options.batchSize,
      onBatch: (p) => batchMs.push(p.ms),
    });
    const totalMs = performance.now() - started;
    running = false;
    await writing;
    await writer.end();

    const { rows: check } = await admin.query<{ nulls: number; longest: number; version: string }>(
      `select (select count(*)::int from public.bench_items where tenant_id is null) as nulls,
              (select longest_batch_ms from bulkhead_adopt.backfill_checkpoints where table_name = 'public.bench_items') as longest,
              current_setting('server_version') as version`,
    );
    if (!result || check[0]?.nulls !== 0) throw new Error('the backfill left rows without a tenant');
    const sortedBatches = [...batchMs].sort((a, b) => a - b);
    const sortedWrites = [...writes].sort((a, b) => a - b);
    return {
      rows: options.rows,
      tenants,
      batchSize: options.batchSize,
      batches: result.batches,
      totalMs,
      rowsPerSecond: (result.rowsSeen / totalMs) * 1000,
      batchMs: { p50: pct(sortedBatches, 50), p95: pct(sortedBatches, 95), max: sortedBatches.at(-1) ?? 0 },
      serverLongestBatchMs: check[0]?.longest ?? 0,
      writer: { writes: writes.length, p50: pct(sortedWrites, 50), p99: pct(sortedWrites, 99), max: sortedWrites.at(-1) ?? 0 },
      serverVersion: check[0]?.version ?? '?',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await admin.end();
    await db.drop();
    await cluster.stop();
  }
}

const f = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

export function adoptBackfillSection(r: AdoptBackfillResult): string {
  return `## Adoption backfill (\`pnpm tenancy:adopt backfill\`)

A legacy table of ${r.rows.toLocaleString('en')} rows over ${r.tenants.toLocaleString('en')} tenants gets its \`tenant_id\`
from a loose \`org_id\` through the generated batched backfill (${r.batchSize.toLocaleString('en')} rows per batch, each batch
one transaction that also moves the checkpoint), while another connection keeps updating random rows
of the same table, as a live app would.

| | |
|---|---|
| duration | ${(r.totalMs / 1000).toFixed(1)} s (${r.batches} batches) |
| throughput | ${Math.round(r.rowsPerSecond).toLocaleString('en')} rows/s |
| batch (= longest row-lock hold) p50 / p95 / max | ${f(r.batchMs.p50)} / ${f(r.batchMs.p95)} / ${f(r.batchMs.max)} ms (in the database: max ${f(r.serverLongestBatchMs)} ms) |
| concurrent single-row update p50 / p99 / max | ${f(r.writer.p50)} / ${f(r.writer.p99)} / ${f(r.writer.max)} ms (${r.writer.writes.toLocaleString('en')} updates) |

No lock is held longer than one batch: a writer that hits a row of the running batch waits at most
for that batch to commit. The steps around the backfill are short catalog changes, except step 4
(NOT NULL and the tenant keys), which scans the table once under an exclusive lock (docs/adopting.md).
`;
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runAdoptBackfillBenchmark({ rows: option('rows', 1_000_000), batchSize: option('batch-size', 5000) }).then(
    (r) => console.log(`${adoptBackfillSection(r)}\nPostgreSQL ${r.serverVersion}`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
