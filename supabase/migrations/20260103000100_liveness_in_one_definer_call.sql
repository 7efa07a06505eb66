-- The caller's liveness in one definer call, and the claims parsed once per helper.
--
-- Every tenant policy calls private.current_tenant_id() once per statement, so its cost is paid by
-- every query (docs/benchmarks.md). Measured inside the database, one call cost ~100 µs, almost
-- none of it in the two index probes it needs. The rest was helper plumbing:
--
--   * private.request_claims() and private.uuid_or_null() are SQL functions with a
--     `SET search_path` clause. PostgreSQL never inlines a function that has a SET clause, so each
--     call went through the function manager and the SQL-function executor, and the chain
--     current_tenant_id → memberships policy → session_is_live made eight such calls per statement,
--     parsing the JSON claims three times.
--   * The liveness check answered a yes/no question, so the policy then parsed the claims again
--     to compare `user_id` with the token's `sub`.
--
-- What changes (what the helpers return does not):
--
-- 1. private.live_session_user_id() replaces private.session_is_live(): the token's `sub` while its
--    session is live, else NULL. Same rules as before (a live auth.sessions row of that user,
--    `not_after` unset or in the future, and not every refresh token of the session revoked), the
--    same owner (postgres: the only role that may read auth.sessions) and the same single grantee
--    (tenancy_owner). Returning the user id lets the memberships policy be one comparison.
-- 2. The tenancy_owner memberships policy becomes `user_id = (select private.live_session_user_id())`.
-- 3. The helpers read the claims GUC themselves, once, in plpgsql (whose expression plans are kept
--    per connection), and check the UUID shape inline: a malformed claim still denies, never errors.
-- 4. current_user_id() and current_user_email() ask live_session_user_id() directly.
--
-- session_is_live() is dropped: nothing else called it, and one definition of "live" is safer
-- than two. request_claims() and uuid_or_null() stay for the flow functions, which run once per
-- action, not once per statement.

-- 1. Liveness, owned by postgres (reads auth tables).
create function private.live_session_user_id()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  claims jsonb := coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb);
  subject text := claims ->> 'sub';
  session text := claims ->> 'session_id';
  uuid_shape constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
begin
  if subject is null or session is null or subject !~ uuid_shape or session !~ uuid_shape then
    return null;
  end if;
  if exists (
    select 1
    from auth.sessions s
    where s.id = session::uuid
      and s.user_id = subject::uuid
      and (s.not_after is null or s.not_after > pg_catalog.now())
      -- Supabase Auth answers a replayed refresh token by revoking the session's tokens. A live
      -- session normally has an unrevoked token, so that probe comes first and usually decides.
      and (
        exists (select 1 from auth.refresh_tokens r where r.session_id = s.id and r.revoked = false)
        or not exists (select 1 from auth.refresh_tokens r where r.session_id = s.id)
      )
  ) then
    return subject::uuid;
  end if;
  return null;
end
$$;
comment on function private.live_session_user_id() is
  'The request token''s sub while its session_id is a live auth.sessions row of that user whose refresh tokens are not all revoked, else NULL. Owned by postgres (reads auth tables); executable by tenancy_owner only.';
revoke all on function private.live_session_user_id() from public, anon, authenticated, service_role;
grant execute on function private.live_session_user_id() to tenancy_owner;

set local role tenancy_owner;

-- 2. tenancy_owner sees the caller's own memberships, while the caller's session is live.
alter policy memberships_select_own_as_tenancy_owner on public.memberships
  using (user_id = (select private.live_session_user_id()));

-- 3. The tenant the token claims, while the live user is still a member of it (the policy above
--    supplies "live" and "the user's own row").
create or replace function private.current_tenant_id()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  claimed text := coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb)
    -> 'app_metadata' ->> 'tenant_id';
begin
  if claimed is null or claimed !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
    return null;
  end if;
  return (select m.tenant_id from public.memberships m where m.tenant_id = claimed::uuid);
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
  claimed text := coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb)
    -> 'app_metadata' ->> 'tenant_id';
begin
  if claimed is null or claimed !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
    return null;
  end if;
  return (select m.role from public.memberships m where m.tenant_id = claimed::uuid);
end
$$;

-- 4. The live user and their e-mail.
create or replace function private.current_user_id()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return private.live_session_user_id();
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
  if private.live_session_user_id() is not null then
    return nullif(pg_catalog.lower(private.request_claims() ->> 'email'), '');
  end if;
  return null;
end
$$;

reset role;

drop function private.session_is_live();
