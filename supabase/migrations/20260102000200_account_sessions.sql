-- A user's own sessions: list them, and end one (the "active sessions" page).
--
-- Supabase Auth offers sign-out for this session, all sessions or all others, but no way to end
-- one chosen session. Ending a session is deleting its auth.sessions row (its refresh tokens go
-- with it), which is also what Supabase Auth's own sign-out does; the tenancy helpers treat a
-- token whose session row is gone as signed out on its very next query.
--
-- Why SECURITY DEFINER, owned by postgres: auth.sessions has RLS on and no policies (it belongs to
-- supabase_auth_admin), so only a BYPASSRLS role reads or deletes its rows. Both functions act only
-- on rows of the live caller (private.current_user_id() is NULL once the caller's own session is
-- gone), so a user can never see or end someone else's session.

create function public.my_sessions()
returns table (id uuid, created_at timestamptz, refreshed_at timestamptz, user_agent text, ip text, aal text, is_current boolean)
language sql
stable
security definer
set search_path = ''
as $$
  select s.id,
         s.created_at,
         (s.refreshed_at at time zone 'UTC'),
         s.user_agent,
         pg_catalog.host(s.ip),
         s.aal::text,
         s.id = private.uuid_or_null(private.request_claims() ->> 'session_id')
  from auth.sessions s
  where s.user_id = (select private.current_user_id())
    and (s.not_after is null or s.not_after > pg_catalog.now())
  order by coalesce(s.refreshed_at at time zone 'UTC', s.created_at) desc
$$;

comment on function public.my_sessions() is 'The live caller''s sessions, newest activity first; is_current marks the one making the request.';

create function public.end_my_session(session_id uuid)
returns boolean
language sql
volatile
security definer
set search_path = ''
as $$
  with ended as (
    delete from auth.sessions s
    where s.id = end_my_session.session_id
      and s.user_id = (select private.current_user_id())
    returning s.id
  )
  select exists (select 1 from ended)
$$;

comment on function public.end_my_session(uuid) is
  'Ends one of the live caller''s own sessions (deletes the auth.sessions row); false when it is not theirs or already gone.';

revoke all on function public.my_sessions() from public, anon, authenticated, service_role;
revoke all on function public.end_my_session(uuid) from public, anon, authenticated, service_role;
grant execute on function public.my_sessions() to authenticated;
grant execute on function public.end_my_session(uuid) to authenticated;
