-- Who is asking, and for which tenant: the helpers every tenant policy calls.
--
-- A signed access token stays valid until it expires (an hour), but a removed member or a revoked
-- session must lose access on the very next query. So the helpers never trust the token alone:
--
--   private.current_user_id()    the token's `sub`, only while its `session_id` is a live row of
--                                auth.sessions for that user (not deleted, `not_after` unset or
--                                in the future). Sign-out deletes the row; so does revocation.
--   private.current_tenant_id()  the token's `app_metadata.tenant_id` (set by the claims hook from
--                                memberships; never `user_metadata`, which users can write), only
--                                while that user's membership in that tenant still exists.
--   private.current_tenant_role()  the role of that membership, read from the table (not from
--                                the token), so a demotion also applies on the next query.
--   private.current_user_tenant_ids()  every tenant the live user belongs to (the tenant
--                                switcher lists them).
--
-- Policies call them wrapped, `(select private.current_tenant_id())`, so the planner runs each once
-- per statement as an InitPlan and compares `tenant_id` with a constant: the tenant index applies.
--
-- The auth.sessions trap: on Supabase, auth.sessions belongs to supabase_auth_admin, has RLS on and
-- no policies, and `postgres` cannot add one. A definer helper owned by tenancy_owner (no BYPASSRLS)
-- would therefore read zero sessions. The one function that reads auth.sessions is owned by
-- `postgres` (BYPASSRLS, SELECT on auth tables), answers a single yes/no question about the
-- caller's own token, and is executable by tenancy_owner only.
--
-- The memberships-reading helpers are SECURITY DEFINER owned by tenancy_owner: they must read
-- memberships without going through the `to authenticated` policies that call them (that would
-- recurse). FORCE RLS still binds them; the tenants-and-memberships migration gives tenancy_owner
-- one policy there: its own rows, for a live session. They are written in plpgsql because they
-- precede the table they read (plpgsql bodies are resolved at first call).

-- 1. Is the caller's session live? Owned by postgres: the only reader of auth.sessions.
create function private.session_is_live()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1
    from auth.sessions s
    where s.id = private.uuid_or_null(private.request_claims() ->> 'session_id')
      and s.user_id = private.uuid_or_null(private.request_claims() ->> 'sub')
      and (s.not_after is null or s.not_after > pg_catalog.now())
  )
$$;
comment on function private.session_is_live() is
  'true while the request token''s session_id is a live auth.sessions row of its sub. Owned by postgres (reads auth.sessions); executable by tenancy_owner only.';
revoke all on function private.session_is_live() from public, anon, authenticated, service_role;
grant execute on function private.session_is_live() to tenancy_owner;

set local role tenancy_owner;

-- 2. The live user.
create function private.current_user_id()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select case when private.session_is_live() then private.uuid_or_null(private.request_claims() ->> 'sub') end
$$;
comment on function private.current_user_id() is 'The token''s sub while its session is live, else NULL.';

-- The live user's e-mail, lower-cased, as the token states it (invitations are matched on it).
create function private.current_user_email()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select case when private.session_is_live() then nullif(pg_catalog.lower(private.request_claims() ->> 'email'), '') end
$$;
comment on function private.current_user_email() is 'The token''s email (lower-case) while its session is live, else NULL.';

-- 3. The tenant the token claims, checked against the membership table.
create function private.current_tenant_id()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select m.tenant_id
    from public.memberships m
    where m.tenant_id = private.uuid_or_null(private.request_claims() -> 'app_metadata' ->> 'tenant_id')
      and m.user_id = private.current_user_id()
  );
end
$$;
comment on function private.current_tenant_id() is
  'The token''s app_metadata.tenant_id while the live user is still a member of it, else NULL. Call it wrapped: (select private.current_tenant_id()).';

create function private.current_tenant_role()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select m.role
    from public.memberships m
    where m.tenant_id = private.uuid_or_null(private.request_claims() -> 'app_metadata' ->> 'tenant_id')
      and m.user_id = private.current_user_id()
  );
end
$$;
comment on function private.current_tenant_role() is
  'The live user''s role (owner|admin|member|viewer) in the current tenant, read from memberships, else NULL.';

create function private.current_user_tenant_ids()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce(
    (select pg_catalog.array_agg(m.tenant_id) from public.memberships m where m.user_id = private.current_user_id()),
    '{}'::uuid[]
  );
end
$$;
comment on function private.current_user_tenant_ids() is 'Every tenant the live user belongs to (empty when none or not live).';

-- Grants: policies run as the querying role, so `authenticated` executes the helpers they call.
-- Nobody else does (tenancy_owner, their owner, runs them inside its own definer code).
revoke all on function private.current_user_id() from public, anon, authenticated, service_role;
revoke all on function private.current_user_email() from public, anon, authenticated, service_role;
revoke all on function private.current_tenant_id() from public, anon, authenticated, service_role;
revoke all on function private.current_tenant_role() from public, anon, authenticated, service_role;
revoke all on function private.current_user_tenant_ids() from public, anon, authenticated, service_role;
grant execute on function private.current_user_id() to authenticated;
grant execute on function private.current_tenant_id() to authenticated;
grant execute on function private.current_tenant_role() to authenticated;
grant execute on function private.current_user_tenant_ids() to authenticated;

-- The migration runner records this file as postgres, in this same transaction.
reset role;
