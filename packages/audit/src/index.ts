export { auditLive, auditSources, auditStatic } from './audit';
export { type CheckDefinition, type CheckId, checks, modeSpecificChecks, type Severity } from './checks';
export { type AuditConfig, configSchema, defaultConfig, loadConfig, parseConfig } from './config';
export { type AuditResult, exitCode, type Finding, runChecks, type SuppressedFinding } from './engine';
export { liveCatalog } from './live';
export type { Catalog } from './model';
export { formatJson, formatSarif, formatText } from './report';
export { readMigrations, staticCatalog, staticCatalogFromSources } from './static';
