-- The kit's database roles, and why FORCE ROW LEVEL SECURITY actually binds.
--
-- On Supabase, `postgres` and `service_role` have BYPASSRLS, and BYPASSRLS beats FORCE. So the
-- tenant tables must belong to a role WITHOUT BYPASSRLS, and the apps must connect as a role that
-- is neither that owner nor BYPASSRLS:
--
--   tenancy_owner  NOLOGIN, no BYPASSRLS. Owns every tenant table and the private helpers. Because
--                  the tables are FORCEd, even its SECURITY DEFINER code obeys policies, and only
--                  the narrow policies written `to tenancy_owner` let that code see anything.
--   app_server     LOGIN, NOINHERIT, no BYPASSRLS, member of `authenticated`. The apps' database
--                  login. NOINHERIT + no grants of its own: a query that forgets
--                  `set local role authenticated` is a permission error, never a leak.
--   billing_sync   NOLOGIN, no BYPASSRLS. Reserved for the billing work (webhooks, reconciliation);
--                  it gets privileges on billing tables only, in later migrations.
--
-- Roles are cluster-wide while migrations run per database (and the test suites migrate many
-- databases on one server), so every statement here is idempotent. No passwords here: the local
-- stack sets the local one after migrating; docs/runbook.md says how to set it on a hosted project.
--
-- Runs as `postgres` (NOSUPERUSER, CREATEROLE), as on a hosted project. On PostgreSQL 16+ a
-- CREATEROLE creator gets ADMIN on the new role but neither SET nor INHERIT, so `postgres` grants
-- itself tenancy_owner explicitly: later migrations create objects under `set local role
-- tenancy_owner` so they are born owned by it.

do $roles$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'tenancy_owner') then
    create role tenancy_owner nologin noinherit nobypassrls;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'app_server') then
    create role app_server login noinherit nobypassrls;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'billing_sync') then
    create role billing_sync nologin noinherit nobypassrls;
  end if;
end
$roles$;

-- Re-assert the attributes, in case a role of the same name existed with others. BYPASSRLS cannot
-- be altered without superuser (PostgreSQL 15), so a pre-existing role that has it stops the
-- migration instead: with BYPASSRLS, FORCE would bind nothing.
alter role tenancy_owner nologin noinherit nocreaterole nocreatedb;
alter role app_server login noinherit nocreaterole nocreatedb;
alter role billing_sync nologin noinherit nocreaterole nocreatedb;

do $no_bypass$
declare
  offender text;
begin
  select string_agg(rolname, ', ') into offender
    from pg_catalog.pg_roles
   where rolname in ('tenancy_owner', 'app_server', 'billing_sync') and (rolbypassrls or rolsuper);
  if offender is not null then
    raise exception 'role(s) % must not have BYPASSRLS or SUPERUSER: row level security would not bind them', offender;
  end if;
end
$no_bypass$;

-- app_server may become `authenticated` (SET LOCAL ROLE inside a transaction) and inherits nothing.
grant authenticated to app_server;

-- postgres (the migration login) may act as tenancy_owner: create objects as it, alter them.
grant tenancy_owner to postgres;

-- tenancy_owner creates the tenant tables in `public` and reads them from its definer helpers.
grant usage, create on schema public to tenancy_owner;

-- A GRANT that postgres may not make is only a warning; fail here, not three files later.
do $grants$
begin
  if not pg_catalog.has_schema_privilege('tenancy_owner', 'public', 'create') then
    raise exception 'postgres could not grant CREATE on schema public to tenancy_owner (public must belong to postgres, as on Supabase)';
  end if;
  -- 'SET' exists from PostgreSQL 16; before that, membership is what allows SET ROLE.
  if not pg_catalog.pg_has_role('postgres', 'tenancy_owner',
                                case when pg_catalog.current_setting('server_version_num')::int >= 160000 then 'set' else 'member' end) then
    raise exception 'postgres cannot SET ROLE tenancy_owner; the later migrations create objects as it';
  end if;
end
$grants$;

-- Functions are executable by PUBLIC by default. Nothing tenancy_owner creates should be: every
-- migration grants EXECUTE explicitly to the one role that needs it.
alter default privileges for role tenancy_owner revoke execute on functions from public;

comment on role tenancy_owner is 'Bulkhead: owns the tenant tables and private helpers; no BYPASSRLS, so FORCE RLS binds it.';
comment on role app_server is 'Bulkhead: the apps'' database login; NOINHERIT, must SET LOCAL ROLE authenticated per transaction.';
comment on role billing_sync is 'Bulkhead: Stripe webhook and reconciliation role; billing tables only.';
