import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, startTestCluster } from '@bulkhead/local-stack/cluster';
import pg from 'pg';
import { adoptBackfillSection, runAdoptBackfillBenchmark } from './adopt-backfill';
import { runAuditBenchmark } from './audit';
import { DOCS_PER_TENANT, growTo, measuredTenant } from './dataset';
import { machineDescription } from './machine';
import { helperCallMicros, requestRatios, statementRatios, withChecksOnEveryStatement, withoutRevocationChecks } from './rls';
import { benchStackStart, withThrowawayStack } from './stack-start';
import { fmt, percentile } from './stats';
import { tokenVerification } from './token';

/**
 * `pnpm bench`: every benchmark in one run on this machine, written to docs/benchmarks.md.
 * `pnpm bench -- --quick` runs a smaller dataset (for trying changes; not for publishing).
 */
const quick = process.argv.includes('--quick');
const runs = quick ? 300 : 2_000;
const helperRounds = quick ? 10 : 40;
const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 50_000]; // tenants; × DOCS_PER_TENANT rows
const mainSize = 10_000;
const out = join(dirname(fileURLToPath(import.meta.url)), '../docs/benchmarks.md');
const log = (message: string) => console.log(`[bench] ${message}`);

async function databaseBenchmarks() {
  const cluster = await startTestCluster();
  const db = await createTestDatabase(cluster);
  const admin = new pg.Client({ connectionString: db.superuserUrl });
  const authAdmin = new pg.Client({ connectionString: db.loginUrl('supabase_auth_admin') });
  await admin.connect();
  await authAdmin.connect();
  const urls = { appServer: db.loginUrl('app_server'), bypass: db.migrationUrl };
  try {
    await growTo(admin, sizes[0] as number);
    const tenant = await measuredTenant(admin, authAdmin);
    const growth: { rows: number; p50: number; baseP50: number }[] = [];
    let main: Awaited<ReturnType<typeof measureAll>> | undefined;
    for (const size of sizes) {
      log(`growing to ${size * DOCS_PER_TENANT} documents`);
      await growTo(admin, size);
      const statement = await statementRatios(urls, tenant, Math.min(runs, 500));
      growth.push({ rows: size * DOCS_PER_TENANT, p50: statement.list.p50, baseP50: statement.list.baseP50 });
      if (size === mainSize) main = await measureAll(admin, urls, tenant);
    }
    const { rows } = await admin.query<{ v: string }>(`select current_setting('server_version') as v`);
    return { main, growth, serverVersion: rows[0]?.v ?? '?' };
  } finally {
    await admin.end();
    await authAdmin.end();
    await db.drop();
    await cluster.stop();
  }
}

async function measureAll(
  admin: pg.Client,
  urls: { appServer: string; bypass: string },
  tenant: Awaited<ReturnType<typeof measuredTenant>>,
) {
  const measure = async () => ({
    statement: await statementRatios(urls, tenant, runs),
    request: await requestRatios(urls, tenant, runs),
    helperMicros: await helperCallMicros(urls, tenant, helperRounds),
  });
  log('statement and request ratios: the kit (checked once per transaction)');
  const withChecks = await measure();
  log('the same with the full check on every statement');
  const everyStatement = await withChecksOnEveryStatement(admin, measure);
  log('the same without the membership and session checks');
  const withoutChecks = await withoutRevocationChecks(admin, measure);
  return { withChecks, everyStatement, withoutChecks };
}

function ms(value: number) {
  return `${fmt(value)} ms`;
}

function micros(valueMs: number) {
  return `${Math.round(valueMs * 1000)} µs`;
}

async function main() {
  const started = Date.now();
  log(`machine: ${machineDescription()}`);
  const database = await databaseBenchmarks();
  log('stack start');
  const stack = await benchStackStart(quick ? 2 : 5);
  log('token verification');
  const token = await withThrowawayStack((env) =>
    tokenVerification(env.API_URL as string, env.ANON_KEY as string, quick ? 200 : 1_000),
  );
  log('tenancy audit');
  const audit = await runAuditBenchmark({ tables: 200, runs: 5 });
  log('adoption backfill');
  const adopt = await runAdoptBackfillBenchmark({ rows: quick ? 100_000 : 1_000_000, batchSize: 5000 });
  const m = database.main;
  if (!m) throw new Error('the main dataset size was not measured');
  const { withChecks: w, everyStatement: es, withoutChecks: wo } = m;

  const doc = `# Benchmarks

What Bulkhead's isolation costs, measured side by side in one run of \`pnpm bench\`${quick ? ' (**quick mode: small dataset, not for publishing**)' : ''}.
Every figure is a ratio or a difference between two paths measured alternately in the same run,
so machine noise hits both sides alike. Nothing here is asserted in a test.

- **Machine:** ${machineDescription()}
- **PostgreSQL:** ${database.serverVersion} (embedded, the same as \`pnpm dev\`), local TCP
- **Dataset:** ${mainSize.toLocaleString('en')} tenants × ${DOCS_PER_TENANT} documents = ${(mainSize * DOCS_PER_TENANT).toLocaleString('en')} documents (growth: up to ${((sizes.at(-1) as number) * DOCS_PER_TENANT).toLocaleString('en')})
- **Samples:** ${runs.toLocaleString('en')} per side, after warm-up, alternating
- **Command:** \`pnpm bench\` (this file is written by it; ${Math.round((Date.now() - started) / 1000)} s on this machine)

## The RLS path vs. an explicit WHERE without RLS

The measured statements are a tenant's document list (\`${'order by updated_at desc limit 20'}\`, tenant index)
and a single-document lookup by key. The **RLS path** runs as \`authenticated\` with the claims
from the real claims hook; every policy calls the tenant helpers, which answer only while the
membership exists and the session is live. The **baseline** runs the same SQL with an explicit
\`where tenant_id = …\` as \`postgres\` (BYPASSRLS, so no policy runs). Both sides keep the explicit
tenant filter, as Bulkhead's handlers do (defense in depth). Both run on one connection inside one
open transaction, alternating sample by sample (\`SET LOCAL ROLE authenticated\` / \`RESET ROLE\`
between them, not timed), so the only difference is the policy work.

| statement (inside an open transaction) | RLS p50 | baseline p50 | **p50 ratio** | added at p50 | RLS p95 | baseline p95 | p95 ratio |
|---|---|---|---|---|---|---|---|
| document list | ${ms(w.statement.list.p50)} | ${ms(w.statement.list.baseP50)} | **${w.statement.list.p50Ratio.toFixed(2)}** | ${micros(w.statement.list.p50 - w.statement.list.baseP50)} | ${ms(w.statement.list.p95)} | ${ms(w.statement.list.baseP95)} | ${w.statement.list.p95Ratio.toFixed(2)} |
| single-row lookup | ${ms(w.statement.lookup.p50)} | ${ms(w.statement.lookup.baseP50)} | **${w.statement.lookup.p50Ratio.toFixed(2)}** | ${micros(w.statement.lookup.p50 - w.statement.lookup.baseP50)} | ${ms(w.statement.lookup.p95)} | ${ms(w.statement.lookup.baseP95)} | ${w.statement.lookup.p95Ratio.toFixed(2)} |

Whole requests, as the app issues them: \`withTenant()\` (BEGIN, \`SET LOCAL ROLE\`, claims and the
full membership and session check in one round trip; the query; COMMIT) vs. BEGIN; query; COMMIT
without RLS, each on its own pooled connection.

| request | withTenant p50 | baseline p50 | p50 ratio | withTenant p95 | baseline p95 | p95 ratio |
|---|---|---|---|---|---|---|
| document list | ${ms(w.request.list.p50)} | ${ms(w.request.list.baseP50)} | ${w.request.list.p50Ratio.toFixed(2)} | ${ms(w.request.list.p95)} | ${ms(w.request.list.baseP95)} | ${w.request.list.p95Ratio.toFixed(2)} |

**Per-request tenancy overhead** (transaction + \`SET LOCAL\` + \`set_config\` + the full check, vs. an
empty transaction): **${Math.round(w.request.overheadMicros)} µs** at p50.

**Where the statement's added time goes.** The policies call the tenant helper once per statement
(an InitPlan, never per row; the growth table below shows it does not grow with the table). The
first call in a transaction runs the full check: the session is live (\`auth.sessions\`,
\`auth.refresh_tokens\`) and the claimed membership exists and is not suspended. It then stores its
answer with an HMAC bound to the connection, the transaction and the claims
(\`private.verified_request()\`, migration 20260107000100), and every later statement of the
transaction checks that HMAC instead: one read of the key and two SHA-256 rounds,
**${fmt(w.helperMicros)} µs** per \`private.current_tenant_id()\` call measured inside the database.
The rest is RLS planning and the InitPlan, which every RLS kit pays. On queries that do real work
these microseconds are a smaller share; across a network the round trip dwarfs them.

## The price of immediate revocation

The same measurements with the check done differently. **Every statement** is how the helpers
worked before 20260107000100: the full check on every statement, so a revocation committed by
another transaction also ends a transaction already running. **No checks** trusts the token's
claims until it expires, as most kits do. The kit checks once per transaction, and each request is
one transaction: a revoked session fails on its next request either way.

| | the kit (once per transaction) | every statement | no checks |
|---|---|---|---|
| document list, statement p50 ratio | ${w.statement.list.p50Ratio.toFixed(2)} | ${es.statement.list.p50Ratio.toFixed(2)} | ${wo.statement.list.p50Ratio.toFixed(2)} |
| single-row lookup, statement p50 ratio | ${w.statement.lookup.p50Ratio.toFixed(2)} | ${es.statement.lookup.p50Ratio.toFixed(2)} | ${wo.statement.lookup.p50Ratio.toFixed(2)} |
| document list, request p50 ratio | ${w.request.list.p50Ratio.toFixed(2)} | ${es.request.list.p50Ratio.toFixed(2)} | ${wo.request.list.p50Ratio.toFixed(2)} |
| per-request overhead (p50) | ${Math.round(w.request.overheadMicros)} µs | ${Math.round(es.request.overheadMicros)} µs | ${Math.round(wo.request.overheadMicros)} µs |
| one \`current_tenant_id()\` call, in the database | ${fmt(w.helperMicros)} µs | ${fmt(es.helperMicros)} µs | ${fmt(wo.helperMicros)} µs |

## Growth: the RLS query follows the tenant's rows, not the table's

The measured tenant always has ${DOCS_PER_TENANT} documents; other tenants are added around it.

| documents in the table | RLS list p50 | baseline p50 | ratio |
|---|---|---|---|
${database.growth.map((g) => `| ${g.rows.toLocaleString('en')} | ${ms(g.p50)} | ${ms(g.baseP50)} | ${(g.p50 / g.baseP50).toFixed(2)} |`).join('\n')}

## Local stack start

\`pnpm stack up\` through the CLI, ${stack.rounds} rounds: empty data directory (initdb, bootstrap,
all migrations, auth server) and warm restart.

| | p50 | worst |
|---|---|---|
| cold (empty data directory) | ${stack.coldP50} ms | ${stack.coldMax} ms |
| warm restart | ${stack.warmP50} ms | ${stack.warmMax} ms |

## Access-token verification per request

| | p50 | p95 |
|---|---|---|
| local, against the cached JWKS (\`createTokenVerifier\`) | ${ms(token.localP50)} | ${ms(token.localP95)} |
| round trip to the auth server (\`GET /auth/v1/user\`) | ${ms(token.serverP50)} | ${ms(token.serverP95)} |

Local verification is ${(token.serverP50 / token.localP50).toFixed(1)}× faster at p50 and needs no network; it does not see a sign-out, which is
why the database checks the session again in every transaction.

## Tenancy audit

${audit.tables} tenant tables (${audit.policies} policies): static mode (parsing the migrations)
median ${fmt(percentile(audit.staticMs, 50), 0)} ms, live mode (reading the catalogs) median ${fmt(percentile(audit.liveMs, 50), 0)} ms.

${adoptBackfillSection(adopt)}`;
  writeFileSync(out, doc);
  log(`wrote ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
