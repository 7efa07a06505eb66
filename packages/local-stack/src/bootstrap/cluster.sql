-- Cluster-wide part of the Supabase bootstrap: the roles a Supabase project has, with the
-- attributes a hosted project gives them. Roles are shared by every database of a cluster, so
-- this runs once per cluster, as the cluster superuser. Every statement is idempotent.
--
-- Fidelity is the point: on Supabase the superuser is `supabase_admin` and migrations run as a
-- `postgres` role WITHOUT superuser (but with BYPASSRLS, CREATEROLE, CREATEDB). Demoting
-- `postgres` here is what Supabase's own image does, so a migration that needs superuser powers
-- fails locally exactly as it would on a hosted project.
--
-- The password placeholder :'local_password' is the clearly-local development password.

do $bootstrap$
declare
  pw text := current_setting('bulkhead.local_password');
begin
  if not exists (select from pg_roles where rolname = 'supabase_admin') then
    create role supabase_admin superuser createdb createrole replication bypassrls login;
  end if;
  execute format('alter role supabase_admin with password %L', pw);

  if not exists (select from pg_roles where rolname = 'postgres') then
    create role postgres login;
  end if;
  alter role postgres nosuperuser createdb createrole login replication bypassrls;
  execute format('alter role postgres with password %L', pw);

  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  alter role anon nologin inherit nobypassrls;
  alter role anon set statement_timeout = '3s';

  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  alter role authenticated nologin inherit nobypassrls;
  alter role authenticated set statement_timeout = '8s';

  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  alter role service_role nologin noinherit bypassrls;

  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
  alter role authenticator login noinherit nobypassrls;
  alter role authenticator set statement_timeout = '8s';
  execute format('alter role authenticator with password %L', pw);

  if not exists (select from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin login noinherit;
  end if;
  alter role supabase_auth_admin login noinherit nocreaterole nobypassrls;
  alter role supabase_auth_admin set search_path = 'auth';
  execute format('alter role supabase_auth_admin with password %L', pw);
end
$bootstrap$;

grant anon, authenticated, service_role to authenticator;
-- postgres may switch to the API roles (tests and scripts do) and, as on Supabase, hand them to
-- roles it creates (the kit's app_server is a member of authenticated).
grant anon, authenticated, service_role to postgres with admin option;
