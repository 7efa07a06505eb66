export { loadSupabaseConfig, type SupabaseConfig } from './config';
export { LOCAL_DB_PASSWORD, LOCAL_JWT_SECRET, localApiKeys } from './keys';
export { applyMigrations, latestMigration, listMigrations, MigrationError } from './migrations';
export { prepareDatabase } from './prepare-database';
