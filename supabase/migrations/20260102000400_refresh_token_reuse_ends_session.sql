-- A replayed refresh token ends the session at once, not when the access tokens expire.
--
-- When Supabase Auth sees a refresh token reused outside the reuse interval (a copied cookie
-- jar, a stolen token), it revokes every refresh token of that session. But it keeps the
-- auth.sessions row, and the access tokens already issued stay valid for up to an hour: both the
-- thief and the victim could keep reading until then.
--
-- So a session also counts as dead when it has refresh tokens and every one of them is revoked.
-- A healthy session always has exactly one unrevoked (active) token; rotation revokes the parent
-- only as it issues the child. A session with no rows in auth.refresh_tokens at all (Supabase
-- Auth's newer refresh-token format keeps its counter on the session instead) is judged by the
-- session row alone, as before.
--
-- Written in plpgsql, unlike the first version: a SECURITY DEFINER function in SQL is never
-- inlined, so PostgreSQL plans its body again on every call, and this one runs in every policy
-- of every statement. plpgsql keeps the plan for the life of the connection.
--
-- Same owner (postgres, the only role here that reads auth tables) and grants: `create or
-- replace` keeps them.

create or replace function private.session_is_live()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  claims jsonb := private.request_claims();
  session_id uuid := private.uuid_or_null(claims ->> 'session_id');
  subject uuid := private.uuid_or_null(claims ->> 'sub');
begin
  if session_id is null or subject is null then
    return false;
  end if;
  return exists (
    select 1
    from auth.sessions s
    where s.id = session_id
      and s.user_id = subject
      and (s.not_after is null or s.not_after > pg_catalog.now())
      and (
        not exists (select 1 from auth.refresh_tokens r where r.session_id = s.id)
        or exists (select 1 from auth.refresh_tokens r where r.session_id = s.id and r.revoked = false)
      )
  );
end
$$;

comment on function private.session_is_live() is
  'true while the request token''s session_id is a live auth.sessions row of its sub whose refresh tokens are not all revoked (reuse detected). Owned by postgres (reads auth tables); executable by tenancy_owner only.';
