-- The `private` schema: where the tenancy helpers live.
--
-- It is not in the API's exposed schemas (config.toml [api] schemas = public, graphql_public), so
-- nothing in it is callable over PostgREST. It belongs to tenancy_owner, like the tables the
-- helpers guard. Usage is granted per role, and only to roles that must call into it:
--   authenticated        policies call private.current_tenant_id() & co. as the querying role;
--   supabase_auth_admin  runs private.custom_access_token_hook (see the claims hook migration).
-- anon and PUBLIC get nothing: an anonymous request never reaches a tenancy helper.
--
-- Also here: two small building blocks every later migration uses.

-- Created by postgres (which may create schemas in this database) on behalf of tenancy_owner.
create schema private authorization tenancy_owner;

set local role tenancy_owner;

comment on schema private is 'Bulkhead tenancy helpers. Not exposed over the API; no access for anon or PUBLIC.';

revoke all on schema private from public;
grant usage on schema private to authenticated;

-- The claims of the current request, as PostgREST and app_server's withTenant() set them:
-- transaction-locally, in the `request.jwt.claims` setting. '{}' when there are none.
create function private.request_claims()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb)
$$;
comment on function private.request_claims() is 'The JSON claims of the current request (request.jwt.claims), or {} when none.';

-- A claim that should hold a UUID, or NULL when it does not: a malformed claim denies, never errors.
create function private.uuid_or_null(value text)
returns uuid
language sql
immutable
set search_path = ''
as $$
  select case
    when value ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then value::uuid
  end
$$;
comment on function private.uuid_or_null(text) is 'text → uuid, NULL when the text is not a UUID.';

-- Maintains updated_at columns. A trigger function: it never runs outside a trigger.
create function private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end
$$;
comment on function private.touch_updated_at() is 'BEFORE UPDATE trigger: sets updated_at to now().';

revoke all on function private.request_claims() from public, anon, authenticated, service_role;
revoke all on function private.uuid_or_null(text) from public, anon, authenticated, service_role;
revoke all on function private.touch_updated_at() from public, anon, authenticated, service_role;

-- The migration runner records this file as postgres, in this same transaction.
reset role;
