-- pgTAP: tenant isolation. Two tenants built through the flows; every caller sees and changes its
-- own tenant only; a removed member, a revoked session and a user_metadata spoof read nothing of it.
-- Each "cannot" sits next to the matching "can". One transaction, rolled back.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(25);

-- Helpers (sign_up, sign_in, token, act_as, join_tenant): supabase/tests/00_test_helpers.sql

-- Fixture: tenants A and B -----------------------------------------------------------------------
select from unnest(array['owner_a', 'member_a', 'viewer_a', 'removed_a', 'revoked_a', 'spoofer_a', 'owner_b', 'member_b']) label,
  tests.sign_up(label), tests.sign_in(label);

select from tests.act_as(tests.token('owner_a'));
select from set_config('tests.a', public.create_tenant('Tenant A', 'pgtap-tenant-a')::text, true);
reset role;
select from tests.act_as(tests.token('owner_a'));
insert into public.documents (title) values ('A plan');
reset role;

select from tests.act_as(tests.token('owner_b'));
select from set_config('tests.b', public.create_tenant('Tenant B', 'pgtap-tenant-b')::text, true);
reset role;
select from tests.act_as(tests.token('owner_b'));
insert into public.documents (title) values ('B plan');
reset role;

select from (values ('member_a', 'member'), ('viewer_a', 'viewer'), ('removed_a', 'member'), ('revoked_a', 'member'), ('spoofer_a', 'member')) v(label, role),
  tests.join_tenant('owner_a', v.label, v.role);
select from tests.join_tenant('owner_b', 'member_b', 'member');

-- A member of A -----------------------------------------------------------------------------------
select from tests.act_as(tests.token('member_a'));
select is((select count(*)::int from public.documents), 1, 'member of A: reads A''s document (no WHERE clause)');
select is(
  (select count(*)::int from public.documents where tenant_id = current_setting('tests.b')::uuid)
  + (select count(*)::int from public.memberships where tenant_id = current_setting('tests.b')::uuid)
  + (select count(*)::int from public.tenants where id = current_setting('tests.b')::uuid)
  + (select count(*)::int from public.invitations where tenant_id = current_setting('tests.b')::uuid)
  + (select count(*)::int from public.audit_log where tenant_id = current_setting('tests.b')::uuid),
  0,
  'member of A: reads nothing of B in any tenant table, even asking for it'
);
select lives_ok($$ insert into public.documents (title) values ('mine') $$, 'member of A: creates a document in A');
select throws_ok(
  format($$ insert into public.documents (tenant_id, title) values (%L, 'yours') $$, current_setting('tests.b')),
  '42501', null, 'member of A: cannot create a document in B'
);
with changed as (update public.documents set title = title returning tenant_id)
select is((select array_agg(distinct tenant_id::text) from changed), array[current_setting('tests.a')], 'member of A: an UPDATE without WHERE changes A''s documents only');
with changed as (update public.documents set title = 'pwned' where tenant_id = current_setting('tests.b')::uuid returning 1)
select is(count(*)::int, 0, 'member of A: updates no document of B') from changed;
with gone as (delete from public.documents where tenant_id = current_setting('tests.b')::uuid returning 1)
select is(count(*)::int, 0, 'member of A: deletes no document of B') from gone;
select throws_ok(
  format($$ insert into public.documents (tenant_id, id, title)
            select tenant_id, id, 'upserted' from (values (%L::uuid, gen_random_uuid())) v(tenant_id, id)
            on conflict (tenant_id, id) do update set title = excluded.title $$, current_setting('tests.b')),
  '42501', null, 'member of A: cannot upsert into B'
);
select throws_ok($$ select public.invite_member('x@pgtap.test', 'member') $$, '42501', null, 'member of A: cannot invite (admins only)');
reset role;

-- A member of B, the mirror image ---------------------------------------------------------------
select from tests.act_as(tests.token('member_b'));
select is(
  (select array_agg(distinct tenant_id::text) from public.documents), array[current_setting('tests.b')],
  'member of B: reads B''s documents only'
);
select is((select count(*)::int from public.memberships where tenant_id = current_setting('tests.a')::uuid), 0, 'member of B: sees no member of A');
with renamed as (update public.tenants set name = 'Taken over' where id = current_setting('tests.a')::uuid returning 1)
select is(count(*)::int, 0, 'member of B: renames nothing of A') from renamed;
reset role;

-- A viewer of A -----------------------------------------------------------------------------------
select from tests.act_as(tests.token('viewer_a'));
select is((select count(*)::int from public.documents where title = 'A plan'), 1, 'viewer of A: reads A''s documents');
select throws_ok($$ insert into public.documents (title) values ('viewer wrote this') $$, '42501', null, 'viewer of A: cannot create documents');
reset role;

-- A removed member, with the token issued while still a member ---------------------------------
select from set_config('tests.removed_token', tests.token('removed_a')::text, true);
select from tests.act_as(current_setting('tests.removed_token')::jsonb);
select is((select count(*)::int from public.documents where title = 'A plan'), 1, 'removed member, before removal: reads A (positive control)');
reset role;
select from set_config('tests.removed_id', tests.user_id('removed_a')::text, true);
select from tests.act_as(tests.token('owner_a'));
select from public.remove_member(current_setting('tests.removed_id')::uuid);
reset role;
select is(current_setting('tests.removed_token')::jsonb -> 'app_metadata' ->> 'tenant_id', current_setting('tests.a'), 'the removed member''s token still claims A');
select from tests.act_as(current_setting('tests.removed_token')::jsonb);
select is((select count(*)::int from public.documents) + (select count(*)::int from public.tenants) + (select count(*)::int from public.memberships), 0,
  'removed member: reads nothing on the very next request');
select throws_ok($$ insert into public.documents (title) values ('still here') $$, '42501', null, 'removed member: writes nothing');
reset role;

-- A revoked session, with a token issued before sign-out -----------------------------------------
select from set_config('tests.revoked_token', tests.token('revoked_a')::text, true);
select from tests.act_as(current_setting('tests.revoked_token')::jsonb);
select is((select count(*)::int from public.documents where title = 'A plan'), 1, 'revoked session, before sign-out: reads A (positive control)');
reset role;
delete from auth.sessions where id = (select session_id from tests.sessions where label = 'revoked_a');
select from tests.act_as(current_setting('tests.revoked_token')::jsonb);
select is((select count(*)::int from public.documents) + (select count(*)::int from public.tenants) + (select count(*)::int from public.memberships), 0,
  'revoked session: reads nothing on the very next request');
reset role;

-- A member of A who wrote B's tenant_id into user_metadata --------------------------------------
update auth.users set raw_user_meta_data = jsonb_build_object('tenant_id', current_setting('tests.b'), 'tenant_role', 'owner')
 where id = tests.user_id('spoofer_a');
select from set_config('tests.spoofer_token', tests.token('spoofer_a')::text, true);
select is(current_setting('tests.spoofer_token')::jsonb -> 'user_metadata' ->> 'tenant_id', current_setting('tests.b'), 'the spoofer''s token carries B in user_metadata');
select from tests.act_as(current_setting('tests.spoofer_token')::jsonb);
select is(
  (select array_agg(distinct tenant_id::text) from public.documents), array[current_setting('tests.a')],
  'user_metadata spoof: still reads A only, nothing of B'
);
reset role;

-- Roles that must never see tenant data ----------------------------------------------------------
set local role anon;
select throws_ok($$ select * from public.documents $$, '42501', null, 'anon: permission denied on tenant tables');
reset role;
select from set_config('request.jwt.claims', '', true);
set local role tenancy_owner;  -- no usage on the extensions schema: record the count, assert after
select from set_config('tests.owner_sees', ((select count(*) from public.documents) + (select count(*) from public.tenants))::text, true);
reset role;
select is(current_setting('tests.owner_sees'), '0', 'tenancy_owner, the tables'' owner, reads nothing without claims: FORCE binds it');
select is((select count(*)::int from public.documents where title in ('A plan', 'B plan')), 2, 'postgres (BYPASSRLS) sees both: the positive control for the above');

select * from finish();
rollback;
