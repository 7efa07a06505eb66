-- The apps' health routes report which migration the database is at, through the apps' own
-- login (app_server). That login has no privileges of its own on any tenant table; this grants it
-- exactly one read: the migration history the Supabase CLI (or the local stack) keeps. It holds
-- versions and migration text, no tenant data.

grant usage on schema supabase_migrations to app_server;
grant select on table supabase_migrations.schema_migrations to app_server;
