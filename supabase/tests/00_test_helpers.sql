-- pgTAP test helpers, shared by every file in supabase/tests. Files run in name order, so this one
-- runs first; unlike the test files it commits, leaving a `tests` schema behind in the test
-- database (never in a migration: it is test code). Each test file works inside its own
-- transaction and rolls back, so the rows the helpers write never outlive a file.
--
--   sign_up(label[, user_metadata])  an auth.users row, e-mail <label>@pgtap.test
--   sign_in(label)                   a new live auth.sessions row for that user
--   input_claims(label)              the claims Supabase Auth hands the hook (GoTrue's shape)
--   token(label)                     the access-token claims the real claims hook issues right now
--   act_as(claims)                   the request role and claims, transaction-local, as PostgREST
--                                    sets them (`reset role` returns to postgres)
--   join_tenant(inviter, invitee, role)  invite_member + accept_invitation, as the two users
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(1);

create schema if not exists tests;
-- The test files call these helpers while acting as authenticated, too (as they could the
-- temporary functions they replace).
grant usage on schema tests to anon, authenticated;
create table if not exists tests.sessions (label text primary key, session_id uuid not null);
grant all on table tests.sessions to anon, authenticated;

create or replace function tests.sign_up(label text, user_metadata jsonb default '{}') returns uuid
language sql as $$
  insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
  values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
          label || '@pgtap.test', '{"provider": "email", "providers": ["email"]}', user_metadata, now(), now())
  returning id
$$;

create or replace function tests.user_id(label text) returns uuid
language sql stable as $$ select id from auth.users where email = label || '@pgtap.test' $$;

create or replace function tests.sign_in(who text) returns uuid
language plpgsql as $$
declare
  new_session uuid := gen_random_uuid();
begin
  insert into auth.sessions (id, user_id, created_at, updated_at, aal) values (new_session, tests.user_id(who), now(), now(), 'aal1');
  insert into tests.sessions (label, session_id) values (who, new_session)
    on conflict on constraint sessions_pkey do update set session_id = excluded.session_id;
  return new_session;
end
$$;

create or replace function tests.input_claims(who text) returns jsonb
language sql as $$
  select jsonb_build_object(
    'aud', 'authenticated', 'iat', extract(epoch from now())::bigint, 'exp', extract(epoch from now())::bigint + 3600,
    'iss', 'http://127.0.0.1:54321/auth/v1', 'sub', u.id, 'email', u.email, 'phone', '', 'role', 'authenticated',
    'aal', 'aal1', 'amr', jsonb_build_array(jsonb_build_object('method', 'password', 'timestamp', extract(epoch from now())::bigint)),
    'session_id', s.session_id, 'is_anonymous', false,
    'app_metadata', u.raw_app_meta_data, 'user_metadata', u.raw_user_meta_data)
  from auth.users u join tests.sessions s on s.label = who
  where u.id = tests.user_id(who)
$$;

create or replace function tests.token(who text) returns jsonb
language sql as $$
  select private.custom_access_token_hook(jsonb_build_object(
    'user_id', tests.user_id(who), 'authentication_method', 'password', 'claims', tests.input_claims(who))) -> 'claims'
$$;

create or replace function tests.act_as(claims jsonb) returns void
language sql as $$
  -- Each act_as is a new request: the previous one's verified context (bulkhead.request_proof) ends.
  select set_config('request.jwt.claims', claims::text, true), set_config('bulkhead.request_proof', '', true),
         set_config('role', 'authenticated', true)
$$;

create or replace function tests.join_tenant(inviter text, invitee text, role text) returns void
language plpgsql as $$
declare
  invitation_token text;
begin
  perform tests.act_as(tests.token(inviter));
  invitation_token := public.invite_member(invitee || '@pgtap.test', role);
  reset role;
  perform tests.act_as(tests.token(invitee));
  perform public.accept_invitation(invitation_token);
  reset role;
end
$$;

select ok(to_regprocedure('tests.act_as(jsonb)') is not null, 'pgTAP helpers installed in schema tests');
select * from finish();
commit;
