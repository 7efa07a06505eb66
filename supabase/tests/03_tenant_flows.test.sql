-- pgTAP: the tenant flows (create, switch, invite, accept, change role, remove, leave), the
-- last-owner guard and the audit trail they leave. One transaction, rolled back.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(22);

-- Helpers (sign_up, sign_in, token, act_as, join_tenant): supabase/tests/00_test_helpers.sql

select from unnest(array['owner', 'admin', 'member', 'invitee', 'stranger']) label, tests.sign_up(label), tests.sign_in(label);
select from unnest(array['owner', 'admin', 'member', 'invitee', 'stranger']) label,
  set_config('tests.' || label, tests.user_id(label)::text, true);

-- create_tenant -----------------------------------------------------------------------------------
select from tests.act_as(tests.token('owner'));
select from set_config('tests.tenant', public.create_tenant('Flows', 'pgtap-flows')::text, true);
select throws_ok($$ select public.create_tenant('Again', 'pgtap-flows') $$, '23505', null, 'create_tenant: a slug is taken once');
select throws_ok($$ select public.create_tenant('Bad', 'Not A Slug') $$, '22023', null, 'create_tenant: slugs are validated');
reset role;
select is((tests.token('owner') -> 'app_metadata' ->> 'tenant_id'), current_setting('tests.tenant'), 'create_tenant: the next token carries the new tenant');
select is((tests.token('owner') -> 'app_metadata' ->> 'tenant_role'), 'owner', 'create_tenant: the creator is its owner');

-- invitations -------------------------------------------------------------------------------------
select from tests.join_tenant('owner', 'admin', 'admin');
select from tests.join_tenant('owner', 'member', 'member');
select from tests.act_as(tests.token('owner'));
select from set_config('tests.invite', public.invite_member('Invitee@pgtap.test', 'viewer'), true);
reset role;
select ok(current_setting('tests.invite') ~ '^bhinv_[A-Za-z0-9_-]{43}$', 'invite_member returns a random one-time token');
select is(
  (select count(*)::int from public.invitations
    where email = 'invitee@pgtap.test' and token_hash = sha256(convert_to(current_setting('tests.invite'), 'UTF8'))),
  1,
  'only the token''s SHA-256 is stored, with the e-mail lower-cased'
);
select from tests.act_as(tests.token('stranger'));
select throws_ok(format('select public.accept_invitation(%L)', current_setting('tests.invite')), 'P0002', null,
  'accept_invitation: someone else holding the token cannot use it');
reset role;
select from tests.act_as(tests.token('invitee'));
select is(public.accept_invitation(current_setting('tests.invite'))::text, current_setting('tests.tenant'), 'accept_invitation: the invitee joins');
select throws_ok(format('select public.accept_invitation(%L)', current_setting('tests.invite')), '22023', null,
  'accept_invitation: a token works once');
reset role;
select is((tests.token('invitee') -> 'app_metadata' ->> 'tenant_role'), 'viewer', 'the invitee''s next token carries the invited role');

select from tests.act_as(tests.token('member'));
select throws_ok($$ select public.invite_member('x@pgtap.test', 'member') $$, '42501', null, 'members cannot invite');
reset role;
select from tests.act_as(tests.token('admin'));
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
select from tests.act_as(tests.token('owner'));
select throws_ok(format('select public.change_member_role(%L, %L)', current_setting('tests.owner'), 'admin'), '23514', null,
  'the last owner cannot step down');
select throws_ok('select public.leave_tenant()', '23514', null, 'the last owner cannot leave');
select lives_ok(format('select public.change_member_role(%L, %L)', current_setting('tests.admin'), 'owner'), 'owners make owners');
select lives_ok('select public.leave_tenant()', 'with another owner, the first may leave');
reset role;

-- switch_tenant -----------------------------------------------------------------------------------
select from tests.act_as(tests.token('stranger'));
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
