import { createTestDatabase, type TestDatabase } from '@bulkhead/local-stack/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditLive, auditStatic } from '../src/audit';
import { loadConfig } from '../src/config';
import type { AuditResult } from '../src/engine';
import { liveCatalog } from '../src/live';
import { staticCatalog } from '../src/static';
import { catalogSummary, comparable, kitConfigPath, kitMigrations, repoRoot } from './helpers';

/**
 * The gate on the kit itself: its migrations (static mode) and the database they build (live
 * mode, on the suite's migrated template) have no error finding, every allow-list entry is used,
 * and both modes see the same end state.
 */

const cluster = inject('cluster');
const config = loadConfig(kitConfigPath, { required: true });
let db: TestDatabase;
let staticResult: AuditResult;
let liveResult: AuditResult;

beforeAll(async () => {
  db = await createTestDatabase(cluster);
  staticResult = await auditStatic(kitMigrations, config, { relativeTo: repoRoot });
  liveResult = await auditLive(db.migrationUrl, config);
});

afterAll(async () => {
  await db?.drop();
});

const errors = (result: AuditResult) =>
  result.findings.filter((f) => f.severity === 'error').map((f) => `${f.id} ${f.object}: ${f.message}`);

describe("the kit's schema", () => {
  it('passes the static gate: no error in supabase/migrations', () => {
    expect(errors(staticResult)).toEqual([]);
  });

  it('passes the live audit on the migrated database: no error', () => {
    expect(errors(liveResult)).toEqual([]);
  });

  it('has no stale or unused allow-list entries, and nothing static mode cannot model', () => {
    const meta = (r: AuditResult) =>
      r.findings.filter((f) => ['BH020', 'BH021', 'BH022'].includes(f.id)).map((f) => `${f.id} ${f.object}: ${f.message}`);
    expect(meta(staticResult)).toEqual([]);
    expect(meta(liveResult)).toEqual([]);
  });

  it('has tenant tables, all found by both modes', () => {
    expect(staticResult.tenantTables.length).toBeGreaterThan(0);
    expect(liveResult.tenantTables).toEqual(staticResult.tenantTables);
  });

  it('gets the same findings and allowed findings from static and live mode', () => {
    expect(comparable(liveResult)).toEqual(comparable(staticResult));
    const allowed = (r: AuditResult) => r.suppressed.map(({ id, object }) => ({ id, object }));
    expect(allowed(liveResult)).toEqual(allowed(staticResult));
  });

  it('is the same end state in static and live mode', async () => {
    const fromMigrations = catalogSummary(await staticCatalog(kitMigrations), config);
    const fromDatabase = catalogSummary(await liveCatalog(db.migrationUrl, config), config);
    expect(fromDatabase).toEqual(fromMigrations);
  });
});
