-- The custom access token hook: puts the user's tenant into every access token.
--
-- Supabase Auth calls it (as supabase_auth_admin, within a 2 s statement timeout) each time it
-- issues an access token, at sign-in and at every refresh, with
--   {"user_id": ..., "claims": {...the token's claims...}, "authentication_method": ...}
-- and signs whatever `claims` it returns. Enabled in supabase/config.toml:
--   [auth.hook.custom_access_token] uri = "pg-functions://postgres/private/custom_access_token_hook"
--
-- What it does: sets app_metadata.tenant_id and app_metadata.tenant_role from the user's selected
-- membership (the most recent switch_tenant(), else the oldest membership); a user without
-- memberships gets no tenant claims. Any tenant claims already present are dropped first: the
-- membership table is the only source. It never reads user_metadata (users write it themselves),
-- keeps every other claim as it came (Auth rejects tokens missing a required one), and always
-- returns an object; there is no path that returns NULL (jsonb_set(..., NULL) would).
--
-- The token is a hint for the UI and the wrapper; the database does not trust it alone:
-- private.current_tenant_id() re-checks the membership and the session on every statement.
--
-- SECURITY INVOKER (Supabase advises against definer hooks), so supabase_auth_admin gets exactly
-- what the hook reads: usage on `private`, execute on the hook, SELECT on five membership columns,
-- and a read policy on memberships for itself. Nobody else may execute it.

set local role tenancy_owner;

create function private.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  claims jsonb := case when pg_catalog.jsonb_typeof(event -> 'claims') = 'object' then event -> 'claims' else '{}'::jsonb end;
  app_metadata jsonb := case
    when pg_catalog.jsonb_typeof(claims -> 'app_metadata') = 'object' then claims -> 'app_metadata'
    else '{}'::jsonb
  end;
  subject text := coalesce(event ->> 'user_id', claims ->> 'sub');
  selected record;
begin
  app_metadata := app_metadata - 'tenant_id' - 'tenant_role';

  if subject ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select m.tenant_id, m.role
      into selected
      from public.memberships m
     where m.user_id = subject::uuid
     order by m.last_selected_at desc nulls last, m.created_at, m.tenant_id
     limit 1;
    if found then
      app_metadata := app_metadata || pg_catalog.jsonb_build_object('tenant_id', selected.tenant_id, 'tenant_role', selected.role);
    end if;
  end if;

  return pg_catalog.jsonb_build_object('claims', claims || pg_catalog.jsonb_build_object('app_metadata', app_metadata));
end
$$;
comment on function private.custom_access_token_hook(jsonb) is
  'Supabase Auth custom access token hook: app_metadata.tenant_id/tenant_role from the selected membership. Executable by supabase_auth_admin only.';

revoke all on function private.custom_access_token_hook(jsonb) from public, anon, authenticated, service_role;
grant usage on schema private to supabase_auth_admin;
grant execute on function private.custom_access_token_hook(jsonb) to supabase_auth_admin;

grant select (tenant_id, user_id, role, last_selected_at, created_at) on table public.memberships to supabase_auth_admin;
create policy memberships_select_for_claims_hook on public.memberships
  for select to supabase_auth_admin
  using (true);

-- The migration runner records this file as postgres, in this same transaction.
reset role;
