-- Staff: who may use the staff console (apps/admin), and the one helper that says whether the
-- caller is staff right now.
--
-- private.staff_members lists staff by auth user id. Only service_role writes it (the scripts
-- `pnpm admin:grant-staff <email>` / `admin:revoke-staff <email>`, run by an operator with the
-- database URL; never shipped in an app). No app role can read or write it directly: it lives in
-- the non-exposed `private` schema and `authenticated` holds no privilege on it.
--
-- private.staff_user_id() answers "who is the staff member making this request?" for the staff
-- functions and policies. It trusts nothing on its own:
--   * the token must say `aal2` (the session proved a second factor) and carry the `staff` claim
--     (the claims hook sets it from this table) — both are cheap checks on the JWT, so a normal
--     tenant user's request leaves after parsing the claims, before any table is read;
--   * the session must be live (private.current_user_id());
--   * the user must still be in this table: revoking staff takes effect on the next query, not
--     when the token expires.
-- SECURITY DEFINER owned by tenancy_owner (no BYPASSRLS), reading the table through a policy that
-- shows tenancy_owner only the live caller's own row.

set local role tenancy_owner;

create table private.staff_members (
  user_id uuid not null primary key,
  email text not null,
  granted_at timestamptz not null default now(),
  granted_by text not null default current_user
);
comment on table private.staff_members is
  'Staff of the SaaS operator (apps/admin). Written only by service_role (scripts/admin-grant-staff.ts, admin-revoke-staff.ts).';

alter table private.staff_members enable row level security;
alter table private.staff_members force row level security;

revoke all on table private.staff_members from public, anon, authenticated, service_role;
grant select, insert, delete on table private.staff_members to service_role;

-- The claims hook reads it as supabase_auth_admin (the `staff` claim).
grant select (user_id) on table private.staff_members to supabase_auth_admin;
create policy staff_members_select_for_claims_hook on private.staff_members
  for select to supabase_auth_admin
  using (true);

-- private.staff_user_id() (tenancy_owner) sees the live caller's own row and nothing else.
create policy staff_members_select_own_as_tenancy_owner on private.staff_members
  for select to tenancy_owner
  using (user_id = (select private.current_user_id()));

create function private.staff_user_id()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  claims jsonb := coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb);
  caller uuid;
begin
  if claims -> 'app_metadata' ->> 'staff' is distinct from 'true' or claims ->> 'aal' is distinct from 'aal2' then
    return null;
  end if;
  caller := private.current_user_id();
  if caller is null then
    return null;
  end if;
  return (select s.user_id from private.staff_members s where s.user_id = caller);
end
$$;
comment on function private.staff_user_id() is
  'The live caller''s user id when the token says aal2 and carries the staff claim and the user is still in private.staff_members; else NULL.';

-- The staff functions raise instead of returning nothing, so the console can tell "not allowed"
-- from "no rows".
create function private.require_staff()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  caller uuid := private.staff_user_id();
begin
  if caller is null then
    raise exception 'staff access requires a staff member with a verified second factor (aal2)'
      using errcode = '42501', hint = 'Sign in to the staff console and complete MFA.';
  end if;
  return caller;
end
$$;
comment on function private.require_staff() is 'private.staff_user_id(), or error 42501 when the caller is not staff at aal2.';

revoke all on function private.staff_user_id() from public, anon, authenticated, service_role;
revoke all on function private.require_staff() from public, anon, authenticated, service_role;
grant execute on function private.staff_user_id() to authenticated;
grant execute on function private.require_staff() to authenticated;

reset role;
