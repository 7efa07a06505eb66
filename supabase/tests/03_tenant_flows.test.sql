-- pgTAP: the tenant flows (create, switch, invite, accept, change role, remove, leave), the
-- last-owner guard and the audit trail they leave. One transaction, rolled back.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(22);

-- Helpers for this file only (temporary functions, gone at rollback) ----------------------------
--   sign_up(label[, user_metadata])  an auth.users row, e-mail <label>@pgtap.test
--   sign_in(label)                   a new live auth.sessions row for that user
--   input_claims(label)              the claims Supabase Auth hands the hook (GoTrue's shape)
--   token(label)                     the access-token claims the real claims hook issues right now
--   act_as(claims)                   the request role and claims, transaction-local, as PostgREST
--                                    sets them (`reset role` returns to postgres)
--   join_tenant(inviter, invitee, role)  invite_member + accept_invitation, as the two users
create temporary table test_sessions (label text primary key, session_id uuid not null);

create function pg_temp.sign_up(label text, user_metadata jsonb default '{}') returns uuid
language sql as $$
  insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
  values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
          label || '@pgtap.test', '{"provider": "email", "providers": ["email"]}', user_metadata, now(), now())
  returning id
$$;

create function pg_temp.user_id(label text) returns uuid
language sql stable as $$ select id from auth.users where email = label || '@pgtap.test' $$;

create function pg_temp.sign_in(who text) returns uuid
language plpgsql as $$
declare
  new_session uuid := gen_random_uuid();
begin
  insert into auth.sessions (id, user_id, created_at, updated_at, aal) values (new_session, pg_temp.user_id(who), now(), now(), 'aal1');
  insert into test_sessions (label, session_id) values (who, new_session)
    on conflict on constraint test_sessions_pkey do update set session_id = excluded.session_id;
  return new_session;
end
$$;

create function pg_temp.input_claims(who text) returns jsonb
language sql as $$
  select jsonb_build_object(
    'aud', 'authenticated', 'iat', extract(epoch from now())::bigint, 'exp', extract(epoch from now())::bigint + 3600,
    'iss', 'http://127.0.0.1:54321/auth/v1', 'sub', u.id, 'email', u.email, 'phone', '', 'role', 'authenticated',
    'aal', 'aal1', 'amr', jsonb_build_array(jsonb_build_object('method', 'password', 'timestamp', extract(epoch from now())::bigint)),
    'session_id', s.session_id, 'is_anonymous', false,
    'app_metadata', u.raw_app_meta_data, 'user_metadata', u.raw_user_meta_data)
  from auth.users u join test_sessions s on s.label = who
  where u.id = pg_temp.user_id(who)
$$;

create function pg_temp.token(who text) returns jsonb
language sql as $$
  select private.custom_access_token_hook(jsonb_build_object(
    'user_id', pg_temp.user_id(who), 'authentication_method', 'password', 'claims', pg_temp.input_claims(who))) -> 'claims'
$$;

create function pg_temp.act_as(claims jsonb) returns void
language sql as $$
  select set_config('request.jwt.claims', claims::text, true), set_config('role', 'authenticated', true)
$$;

create function pg_temp.join_tenant(inviter text, invitee text, role text) returns void
language plpgsql as $$
declare
  invitation_token text;
begin
  perform pg_temp.act_as(pg_temp.token(inviter));
  invitation_token := public.invite_member(invitee || '@pgtap.test', role);
  reset role;
  perform pg_temp.act_as(pg_temp.token(invitee));
  perform public.accept_invitation(invitation_token);
  reset role;
end
$$;

select from unnest(array['owner', 'admin', 'member', 'invitee', 'stranger']) label, pg_temp.sign_up(label), pg_temp.sign_in(label);
select from unnest(array['owner', 'admin', 'member', 'invitee', 'stranger']) label,
  set_config('tests.' || label, pg_temp.user_id(label)::text, true);

-- create_tenant -----------------------------------------------------------------------------------
select from pg_temp.act_as(pg_temp.token('owner'));
select from set_config('tests.tenant', public.create_tenant('Flows', 'pgtap-flows')::text, true);
select throws_ok($$ select public.create_tenant('Again', 'pgtap-flows') $$, '23505', null, 'create_tenant: a slug is taken once');
select throws_ok($$ select public.create_tenant('Bad', 'Not A Slug') $$, '22023', null, 'create_tenant: slugs are validated');
reset role;
select is((pg_temp.token('owner') -> 'app_metadata' ->> 'tenant_id'), current_setting('tests.tenant'), 'create_tenant: the next token carries the new tenant');
select is((pg_temp.token('owner') -> 'app_metadata' ->> 'tenant_role'), 'owner', 'create_tenant: the creator is its owner');

-- invitations -------------------------------------------------------------------------------------
select from pg_temp.join_tenant('owner', 'admin', 'admin');
select from pg_temp.join_tenant('owner', 'member', 'member');
select from pg_temp.act_as(pg_temp.token('owner'));
select from set_config('tests.invite', public.invite_member('Invitee@pgtap.test', 'viewer'), true);
reset role;
select ok(current_setting('tests.invite') ~ '^bhinv_[A-Za-z0-9_-]{43}$', 'invite_member returns a random one-time token');
select is(
  (select count(*)::int from public.invitations
    where email = 'invitee@pgtap.test' and token_hash = sha256(convert_to(current_setting('tests.invite'), 'UTF8'))),
  1,
  'only the token''s SHA-256 is stored, with the e-mail lower-cased'
);
select from pg_temp.act_as(pg_temp.token('stranger'));
select throws_ok(format('select public.accept_invitation(%L)', current_setting('tests.invite')), 'P0002', null,
  'accept_invitation: someone else holding the token cannot use it');
reset role;
select from pg_temp.act_as(pg_temp.token('invitee'));
select is(public.accept_invitation(current_setting('tests.invite'))::text, current_setting('tests.tenant'), 'accept_invitation: the invitee joins');
select throws_ok(format('select public.accept_invitation(%L)', current_setting('tests.invite')), '22023', null,
  'accept_invitation: a token works once');
reset role;
select is((pg_temp.token('invitee') -> 'app_metadata' ->> 'tenant_role'), 'viewer', 'the invitee''s next token carries the invited role');

select from pg_temp.act_as(pg_temp.token('member'));
select throws_ok($$ select public.invite_member('x@pgtap.test', 'member') $$, '42501', null, 'members cannot invite');
reset role;
select from pg_temp.act_as(pg_temp.token('admin'));
select throws_ok($$ select public.invite_member('x@pgtap.test', 'owner') $$, '42501', null, 'admins cannot invite owners');

-- roles and removal -------------------------------------------------------------------------------
select lives_ok(format('select public.change_member_role(%L, %L)', current_setting('tests.member'), 'viewer'), 'admins change a member''s role');
select throws_ok(format('select public.change_member_role(%L, %L)', current_setting('tests.owner'), 'viewer'), '42501', null,
  'admins cannot demote an owner');
select throws_ok(format('select public.change_member_role(%L, %L)', current_setting('tests.member'), 'owner'), '42501', null,
  'admins cannot make owners');
select lives_ok(format('select public.remove_member(%L)', current_setting('tests.member')), 'admins remove a member');
reset role;

-- the last owner ----------------------------------------------------------------------------------
select from pg_temp.act_as(pg_temp.token('owner'));
select throws_ok(format('select public.change_member_role(%L, %L)', current_setting('tests.owner'), 'admin'), '23514', null,
  'the last owner cannot step down');
select throws_ok('select public.leave_tenant()', '23514', null, 'the last owner cannot leave');
select lives_ok(format('select public.change_member_role(%L, %L)', current_setting('tests.admin'), 'owner'), 'owners make owners');
select lives_ok('select public.leave_tenant()', 'with another owner, the first may leave');
reset role;

-- switch_tenant -----------------------------------------------------------------------------------
select from pg_temp.act_as(pg_temp.token('stranger'));
select throws_ok(format('select public.switch_tenant(%L)', current_setting('tests.tenant')), '42501', null, 'switch_tenant: members only');
reset role;

-- the audit trail ---------------------------------------------------------------------------------
select is(
  (select array_agg(action order by occurred_at) from public.audit_log
    where tenant_id = current_setting('tests.tenant')::uuid and action not in ('invitation.created', 'tenant.selected')),
  array['tenant.created', 'member.added', 'member.added', 'invitation.accepted', 'member.added', 'invitation.accepted',
        'member.added', 'invitation.accepted', 'member.role_changed', 'member.removed', 'member.role_changed', 'member.left'],
  'every flow left its entry in audit_log'
);

select * from finish();
rollback;
