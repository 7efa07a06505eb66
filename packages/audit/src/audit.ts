import type { AuditConfig } from './config';
import { type AuditResult, runChecks } from './engine';
import { liveCatalog } from './live';
import { type MigrationSource, staticCatalog, staticCatalogFromSources } from './static';

/** Static mode: the end state of a migrations folder, checked before any database exists. */
export async function auditStatic(dir: string, config: AuditConfig, options: { relativeTo?: string } = {}): Promise<AuditResult> {
  const catalog = await staticCatalog(dir, { migrationRole: config.migrationRole, relativeTo: options.relativeTo });
  return runChecks(catalog, config);
}

/** Static mode over migrations held in memory. */
export async function auditSources(sources: MigrationSource[], config: AuditConfig): Promise<AuditResult> {
  return runChecks(await staticCatalogFromSources(sources, { migrationRole: config.migrationRole }), config);
}

/** Live mode: the catalogs of a running database. */
export async function auditLive(url: string, config: AuditConfig): Promise<AuditResult> {
  const catalog = await liveCatalog(url, { ignoredSchemas: config.ignoredSchemas });
  return runChecks(catalog, config);
}
