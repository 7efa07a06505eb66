import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@bulkhead/local-stack/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { checks } from '../src/checks';
import { type CliIo, main } from '../src/cli';
import { fixtureDir, repoRoot } from './helpers';

/** The command line: modes, formats, exit codes. */

const cluster = inject('cluster');
let db: TestDatabase | undefined;

afterAll(async () => {
  await db?.drop();
});

async function run(args: string[], cwd = repoRoot) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  };
  const code = await main(args, io, cwd);
  return { code, stdout, stderr };
}

const fixture = (name: string) => fixtureDir(name);
/** Fixtures run with their own config, or this empty one (the kit's config would flag their objects as missing). */
const emptyConfig = join(mkdtempSync(join(tmpdir(), 'bulkhead-audit-')), 'empty.json');
writeFileSync(emptyConfig, '{}');
const withFixture = (name: string) => ['--static', fixture(name), '--config', emptyConfig];

describe('pnpm audit:tenancy', () => {
  it('audits supabase/migrations by default and exits 0 on the kit', async () => {
    const { code, stdout } = await run([]);
    expect(stdout).toContain('Bulkhead tenancy audit (static): supabase/migrations');
    expect(stdout).toMatch(/^0 errors, /m);
    expect(code).toBe(0);
  });

  it('prints a table with why and fix, and exits 1 on an error', async () => {
    const { code, stdout } = await run(withFixture('bh002-rls-not-forced'));
    expect(code).toBe(1);
    expect(stdout).toMatch(/SEVERITY\s+ID\s+CHECK\s+OBJECT\s+WHERE/);
    expect(stdout).toMatch(/ERROR\s+BH002\s+rls-not-forced\s+public\.documents\s+\S+20260101000100_documents\.sql:2/);
    expect(stdout).toContain('why: Without FORCE the table owner bypasses every policy');
    expect(stdout).toContain('fix: alter table <table> force row level security;');
    expect(stdout).toMatch(/^1 error, 0 warnings, 0 info, 0 allowed$/m);
  });

  it('exits 0 on warnings unless --fail-on warn', async () => {
    const args = withFixture('bh010-tenant-index-missing');
    expect((await run(args)).code).toBe(0);
    expect((await run([...args, '--fail-on', 'warn'])).code).toBe(1);
    expect((await run([...args, '--fail-on=error'])).code).toBe(0);
    const info = fixture('bh021-allowlist-entry-unused');
    const config = join(info, 'tenancy-audit.json');
    expect((await run(['--static', info, '--config', config, '--fail-on', 'warn'])).code).toBe(0);
    expect((await run(['--static', info, '--config', config, '--fail-on', 'info'])).code).toBe(1);
  });

  it('prints JSON', async () => {
    const { code, stdout } = await run([...withFixture('bh006-helper-not-wrapped'), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ tool: 'bulkhead-tenancy-audit', mode: 'static', failOn: 'error' });
    expect(report.summary).toEqual({ error: 0, warn: 1, info: 0, allowed: 0 });
    expect(report.findings).toEqual([
      expect.objectContaining({
        id: 'BH006',
        name: 'helper-not-wrapped',
        severity: 'warn',
        object: 'public.documents.documents_select',
        location: { file: expect.stringMatching(/\/bh006-helper-not-wrapped\/20260101000100_documents\.sql$/), line: 14 },
      }),
    ]);
  });

  it('prints SARIF 2.1.0 for GitHub code scanning: one rule per check, results at file and line', async () => {
    const { stdout } = await run([
      '--static',
      fixture('bh011-foreign-key-without-tenant'),
      '--sarif',
      '--config',
      join(fixture('bh011-foreign-key-without-tenant'), 'tenancy-audit.json'),
    ]);
    const sarif = JSON.parse(stdout);
    expect(sarif.version).toBe('2.1.0');
    const [runResult] = sarif.runs;
    expect(runResult.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(checks.map((c) => c.id));
    for (const rule of runResult.tool.driver.rules) {
      expect(rule).toMatchObject({
        shortDescription: { text: expect.any(String) },
        defaultConfiguration: { level: expect.any(String) },
      });
    }
    const [result, allowed] = runResult.results;
    expect(result).toMatchObject({
      ruleId: 'BH011',
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: {
              uri: expect.stringMatching(/\/bh011-foreign-key-without-tenant\/20260101000200_comments\.sql$/),
              uriBaseId: '%SRCROOT%',
            },
            region: { startLine: 2 },
          },
          logicalLocations: [{ fullyQualifiedName: 'public.comments.comments_document_id_fkey' }],
        },
      ],
    });
    expect(runResult.tool.driver.rules[result.ruleIndex].id).toBe('BH011');
    expect(allowed).toMatchObject({
      ruleId: 'BH012',
      suppressions: [{ kind: 'external', justification: expect.stringContaining('Fixture') }],
    });
  });

  it('writes the report to --output, relative to where it was run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-audit-'));
    const { code, stdout } = await run(['--sarif', '--output', 'audit.sarif'], dir);
    expect(stdout).toBe('');
    // Run outside the repository with no migrations folder: the audit cannot run.
    expect(code).toBe(2);
    const ok = await run(
      [
        '--static',
        join(repoRoot, 'supabase', 'migrations'),
        '--config',
        join(repoRoot, 'supabase', 'tenancy-audit.json'),
        '--json',
        '-o',
        'out.json',
      ],
      dir,
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')).mode).toBe('static');
  });

  it('reads a live database from --live <url>', async () => {
    db = await createTestDatabase(cluster);
    const { code, stdout } = await run(['--live', db.migrationUrl]);
    expect(stdout).toContain('Bulkhead tenancy audit (live): postgresql://postgres:***@');
    expect(stdout).not.toContain(':postgres@');
    expect(stdout).toMatch(/^0 errors, /m);
    expect(code).toBe(0);
  });

  it('exits 2 when it cannot run', async () => {
    expect((await run(['--bogus'])).code).toBe(2);
    expect((await run(['--static', '--live'])).code).toBe(2);
    expect((await run(['--json', '--sarif'])).code).toBe(2);
    expect((await run(['--fail-on', 'fatal'])).code).toBe(2);
    expect((await run(['--static', '/nonexistent/migrations'])).code).toBe(2);
    expect((await run(['--config', '/nonexistent/audit.json'])).code).toBe(2);
    const unreachable = await run(['--live', 'postgresql://nobody:secret@127.0.0.1:1/none']);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain('postgresql://nobody:***@127.0.0.1:1/none');
    expect(unreachable.stderr).not.toContain('secret');
  });

  it('rejects an allow-list entry without a justification', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-audit-'));
    const config = join(dir, 'audit.json');
    writeFileSync(config, JSON.stringify({ allow: [{ check: 'BH002', object: 'public.documents', justification: 'ok' }] }));
    const { code, stderr } = await run(['--config', config]);
    expect(code).toBe(2);
    expect(stderr).toContain('write down why this exception is safe');
    writeFileSync(
      config,
      JSON.stringify({ allow: [{ check: 'BH999', object: 'public.documents', justification: 'x'.repeat(30) }] }),
    );
    expect((await run(['--config', config])).stderr).toContain('unknown check');
  });

  it('prints usage with --help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--fail-on <severity>');
  });
});
