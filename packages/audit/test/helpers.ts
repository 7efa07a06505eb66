import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modeSpecificChecks } from '../src/checks';
import type { AuditConfig } from '../src/config';
import { defaultConfig, loadConfig } from '../src/config';
import type { AuditResult } from '../src/engine';
import type { Acl, Catalog } from '../src/model';

export const fixturesDir = fileURLToPath(new URL('./fixtures', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const kitMigrations = join(repoRoot, 'supabase', 'migrations');
export const kitConfigPath = join(repoRoot, 'supabase', 'tenancy-audit.json');

export function fixtureNames(): string[] {
  return readdirSync(fixturesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('_'))
    .map((entry) => entry.name)
    .sort();
}

/**
 * A fixture's migrations folder: the fixture's own files on top of the shared base in
 * fixtures/_shared (roles, the private schema, a minimal tenant helper), unless the fixture brings
 * its own first migration (20260101000000_*), as the unparseable one does.
 */
export function fixtureDir(name: string): string {
  const own = readdirSync(join(fixturesDir, name));
  const shared = own.some((file) => file.startsWith('20260101000000_')) ? [] : readdirSync(join(fixturesDir, '_shared'));
  // Named after the fixture, so reported locations read <fixture>/<file>.
  const dir = join(mkdtempSync(join(tmpdir(), 'bulkhead-audit-fixture-')), name);
  mkdirSync(dir);
  for (const file of shared) copyFileSync(join(fixturesDir, '_shared', file), join(dir, file));
  for (const file of own) copyFileSync(join(fixturesDir, name, file), join(dir, file));
  return dir;
}

export function fixtureConfig(name: string): AuditConfig {
  const path = join(fixturesDir, name, 'tenancy-audit.json');
  return existsSync(path) ? loadConfig(path, { required: true }) : defaultConfig;
}

/** What a fixture test asserts: the exact findings, as {id, object}. */
export function idsAndObjects(result: AuditResult): { id: string; object: string }[] {
  return result.findings.map(({ id, object }) => ({ id, object }));
}

/** The findings both modes must agree on (static-only findings about the run itself excluded). */
export function comparable(result: AuditResult) {
  return result.findings
    .filter((f) => !modeSpecificChecks.has(f.id))
    .map(({ id, severity, object, message }) => ({ id, severity, object, message }));
}

function aclSummary(acl: Acl): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [grantee, privileges] of [...acl].sort(([a], [b]) => a.localeCompare(b))) {
    // MAINTAIN exists from PostgreSQL 17 on; static mode cannot know the server version.
    const list = [...privileges].filter((p) => p !== 'MAINTAIN').sort();
    if (list.length > 0) out[grantee] = list;
  }
  return out;
}

/**
 * Everything the checks read, in a comparable shape: static and live mode must produce the same
 * end state, down to policy expressions in normal form, owners and privileges.
 */
export function catalogSummary(catalog: Catalog, config: AuditConfig) {
  const ignored = new Set(config.ignoredSchemas);
  const relations = [...catalog.relations.values()]
    .filter((r) => !ignored.has(r.schema))
    .sort((a, b) => `${a.schema}.${a.name}`.localeCompare(`${b.schema}.${b.name}`))
    .map((r) => ({
      relation: `${r.schema}.${r.name}`,
      kind: r.kind,
      owner: r.owner,
      rls: r.rlsEnabled,
      force: r.rlsForced,
      securityInvoker: r.kind === 'view' ? r.securityInvoker : undefined,
      acl: aclSummary(r.acl),
      columns: r.columns
        .map((c) => ({ name: c.name, sequential: c.sequential, acl: aclSummary(c.acl) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      constraints: r.constraints
        .map((k) => ({ name: k.name, kind: k.kind, columns: k.columns, references: k.references }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      indexes: r.indexes
        .map((i) => ({ name: i.name, columns: i.columns, unique: i.unique, constraintBacked: i.constraintBacked }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      policies: r.policies
        .map((p) => ({
          name: p.name,
          command: p.command,
          permissive: p.permissive,
          roles: [...p.roles].sort(),
          using: p.using?.text ?? null,
          withCheck: p.withCheck?.text ?? null,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    }));
  const functions = catalog.functions
    .filter((f) => !ignored.has(f.schema))
    .map((f) => ({
      function: `${f.schema}.${f.name}(${f.argTypes.join(', ')})`,
      kind: f.kind,
      owner: f.owner,
      securityDefiner: f.securityDefiner,
      searchPath: f.searchPath,
      acl: aclSummary(f.acl),
    }))
    .sort((a, b) => a.function.localeCompare(b.function));
  return { relations, functions };
}
