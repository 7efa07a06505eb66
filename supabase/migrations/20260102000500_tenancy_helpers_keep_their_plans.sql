-- The tenancy helpers, made cheap enough to run in every statement.
--
-- Every policy calls these helpers, so their cost is paid by every query (see
-- docs/benchmarks.md). Three changes, none of which changes what they return:
--
-- 1. current_user_id() and current_user_email() move from SQL to plpgsql. A SECURITY DEFINER
--    function written in SQL is never inlined, so PostgreSQL planned its body again on every
--    call; plpgsql keeps each statement's plan for the life of the (pooled) connection.
--
-- 2. current_tenant_id() and current_tenant_role() no longer call current_user_id() themselves.
--    They read memberships as tenancy_owner, and the only policy that lets tenancy_owner see a
--    membership row (below) already requires the caller's session to be live and the row to be
--    the caller's own. Checking the session twice per call bought nothing.
--
-- 3. That policy asks private.session_is_live() directly instead of going through
--    current_user_id(): `user_id = (select current_user_id())` and
--    `(select session_is_live()) and user_id = <token sub>` select exactly the same rows.
--
-- Same owners and grants: `create or replace` and `alter policy` keep them.

set local role tenancy_owner;

create or replace function private.current_user_id()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if private.session_is_live() then
    return private.uuid_or_null(private.request_claims() ->> 'sub');
  end if;
  return null;
end
$$;

create or replace function private.current_user_email()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if private.session_is_live() then
    return nullif(pg_catalog.lower(private.request_claims() ->> 'email'), '');
  end if;
  return null;
end
$$;

-- Liveness (session and membership) comes from memberships_select_own_as_tenancy_owner.
create or replace function private.current_tenant_id()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  claims jsonb := private.request_claims();
begin
  return (
    select m.tenant_id
    from public.memberships m
    where m.tenant_id = private.uuid_or_null(claims -> 'app_metadata' ->> 'tenant_id')
      and m.user_id = private.uuid_or_null(claims ->> 'sub')
  );
end
$$;

create or replace function private.current_tenant_role()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  claims jsonb := private.request_claims();
begin
  return (
    select m.role
    from public.memberships m
    where m.tenant_id = private.uuid_or_null(claims -> 'app_metadata' ->> 'tenant_id')
      and m.user_id = private.uuid_or_null(claims ->> 'sub')
  );
end
$$;

alter policy memberships_select_own_as_tenancy_owner on public.memberships
  using ((select private.session_is_live()) and user_id = (select private.uuid_or_null((select private.request_claims()) ->> 'sub')));

reset role;
