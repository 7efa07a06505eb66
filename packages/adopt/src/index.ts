export { type BackfillResult, runBackfill } from './backfill';
export { type AdoptionRecord, readRecords, readTable, STEPS, type Step, type TableInfo } from './catalog';
export { main } from './cli';
export { deriveTenantSql } from './derive';
export { loadMapping, type Mapping, MappingError, parseMapping } from './mapping';
export { type GeneratedMigration, writeMigrations } from './migration-files';
export { ACTIONS, type Action, PlanError, plan, planRollback, type RollbackTarget } from './plan';
export { type CallerFindings, explainFindings, formatReport, shadowReport } from './report';
export { type ValidationProblem, validate } from './validate';
