import { prepareDatabase } from '@bulkhead/local-stack';
import { createEmptyDatabase, LOCAL_DB_PASSWORD, type TestDatabase } from '@bulkhead/local-stack/testing';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { auditLive, auditStatic } from '../src/audit';
import { checks } from '../src/checks';
import type { AuditResult } from '../src/engine';
import { liveCatalog } from '../src/live';
import { staticCatalog } from '../src/static';
import { catalogSummary, comparable, fixtureConfig, fixtureDir, fixtureNames, idsAndObjects } from './helpers';

/**
 * Every check is proven by a fixture: a migrations folder that violates it exactly once. Static
 * mode must report exactly that finding; live mode, on a database migrated with the same folder,
 * must report the same; and the two modes must build the same end state.
 */

const cluster = inject('cluster');

type Expected = { id: string; object: string }[];

const expected: Record<string, Expected> = {
  clean: [],
  'bh000-sql-parse-error': [{ id: 'BH000', object: '20260101000000_broken.sql' }],
  'bh001-rls-not-enabled': [{ id: 'BH001', object: 'public.documents' }],
  'bh002-rls-not-forced': [{ id: 'BH002', object: 'public.documents' }],
  'bh003-owner-bypasses-rls': [{ id: 'BH003', object: 'public.documents' }],
  'bh004-command-without-policy': [{ id: 'BH004', object: 'public.documents' }],
  'bh005-policy-without-tenant-helper': [{ id: 'BH005', object: 'public.documents.documents_select' }],
  'bh006-helper-not-wrapped': [{ id: 'BH006', object: 'public.documents.documents_select' }],
  'bh007-policy-uses-user-metadata': [{ id: 'BH007', object: 'public.documents.documents_select' }],
  'bh008-policy-always-true': [{ id: 'BH008', object: 'public.documents.documents_update' }],
  'bh009-permissive-policies-overlap': [{ id: 'BH009', object: 'public.documents' }],
  'bh010-tenant-index-missing': [{ id: 'BH010', object: 'public.documents' }],
  'bh011-foreign-key-without-tenant': [{ id: 'BH011', object: 'public.comments.comments_document_id_fkey' }],
  'bh012-key-without-tenant': [{ id: 'BH012', object: 'public.documents.documents_slug_key' }],
  'bh013-sequential-key': [{ id: 'BH013', object: 'public.documents.number' }],
  'bh014-definer-search-path-mutable': [{ id: 'BH014', object: 'private.document_count' }],
  'bh015-definer-executable-by-api': [{ id: 'BH015', object: 'public.all_document_titles' }],
  'bh016-view-not-security-invoker': [{ id: 'BH016', object: 'public.document_titles' }],
  'bh017-unprotected-relation-exposed': [{ id: 'BH017', object: 'public.document_counts' }],
  'bh018-anon-privileges-on-tenant-table': [{ id: 'BH018', object: 'public.documents' }],
  'bh019-claims-hook-executable': [{ id: 'BH019', object: 'private.custom_access_token_hook' }],
  'bh020-allowlist-object-missing': [{ id: 'BH020', object: 'public.documents.documents_public_read' }],
  'bh021-allowlist-entry-unused': [{ id: 'BH021', object: 'public.documents' }],
  'bh022-unmodelled-statement': [{ id: 'BH022', object: 'DO' }],
};

/** Fixtures a database cannot run (the migration does not parse). */
const staticOnly = new Set(['bh000-sql-parse-error']);
/** Roles the fixtures create (roles are cluster-wide: dropped when the suite ends). */
const fixtureRoles = ['fx_owner'];

const databases: TestDatabase[] = [];

afterAll(async () => {
  for (const db of databases.splice(0)) await db.drop();
  const client = new pg.Client({ connectionString: cluster.superuserUrl });
  await client.connect();
  try {
    for (const role of fixtureRoles) await client.query(`drop role if exists ${role}`).catch(() => undefined);
  } finally {
    await client.end();
  }
});

describe('fixtures', () => {
  it('cover every check, and only the known folders exist', () => {
    expect(fixtureNames()).toEqual(Object.keys(expected).sort());
    const proven = new Set(Object.values(expected).flatMap((list) => list.map((f) => f.id)));
    expect(checks.map((c) => c.id).filter((id) => !proven.has(id))).toEqual([]);
    for (const [name, findings] of Object.entries(expected)) {
      if (name === 'clean') continue;
      expect(findings, name).toHaveLength(1);
      expect(name.startsWith(findings[0]?.id.toLowerCase() ?? '?'), name).toBe(true);
    }
  });

  describe.each(fixtureNames())('%s', (name) => {
    const dir = fixtureDir(name);
    const config = fixtureConfig(name);
    let staticResult: AuditResult;

    it('static mode reports exactly the expected finding', async () => {
      staticResult = await auditStatic(dir, config, { relativeTo: dir });
      expect(idsAndObjects(staticResult)).toEqual(expected[name]);
      for (const finding of staticResult.findings) {
        expect(finding.why.length).toBeGreaterThan(20);
        expect(finding.fix.length).toBeGreaterThan(10);
      }
    });

    it.skipIf(staticOnly.has(name))('live mode on the migrated fixture agrees', async () => {
      const db = await createEmptyDatabase(cluster);
      databases.push(db);
      await prepareDatabase(db.superuserUrl, LOCAL_DB_PASSWORD, dir);
      const liveResult = await auditLive(db.migrationUrl, config);
      const withoutModeSpecific = (expected[name] ?? []).filter((f) => f.id !== 'BH022');
      expect(idsAndObjects(liveResult)).toEqual(withoutModeSpecific);
      expect(comparable(liveResult)).toEqual(comparable(staticResult ?? (await auditStatic(dir, config, { relativeTo: dir }))));

      const fromMigrations = catalogSummary(await staticCatalog(dir), config);
      const fromDatabase = catalogSummary(await liveCatalog(db.migrationUrl, config), config);
      expect(fromDatabase).toEqual(fromMigrations);
    });
  });
});
