-- The claims hook also states whether the user is staff: app_metadata.staff = true for users in
-- private.staff_members, absent for everyone else.
--
-- Everything the hook did before stays as it was (20260101000900_claims_hook.sql): tenant_id and
-- tenant_role from the selected membership, incoming tenant claims dropped, every other claim
-- kept, always an object. The same holds for `staff`: a value already in app_metadata (an admin
-- API call can write app_metadata) is dropped, so the table is the only source.
--
-- The claim only routes the console and lets private.staff_user_id() skip non-staff requests
-- cheaply; the database still checks the table on every staff query.

set local role tenancy_owner;

create or replace function private.custom_access_token_hook(event jsonb)
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
  app_metadata := app_metadata - 'tenant_id' - 'tenant_role' - 'staff';

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
    if exists (select 1 from private.staff_members s where s.user_id = subject::uuid) then
      app_metadata := app_metadata || '{"staff": true}'::jsonb;
    end if;
  end if;

  return pg_catalog.jsonb_build_object('claims', claims || pg_catalog.jsonb_build_object('app_metadata', app_metadata));
end
$$;
comment on function private.custom_access_token_hook(jsonb) is
  'Supabase Auth custom access token hook: app_metadata.tenant_id/tenant_role from the selected membership, app_metadata.staff from private.staff_members. Executable by supabase_auth_admin only.';

reset role;
