-- pgTAP: staff (20260105* migrations). The staff claim comes from private.staff_members only;
-- staff functions refuse tenant users and staff at aal1; a break-glass grant shows a tenant's
-- documents only through the audited read, read-only, while it is live; suspension hides the
-- tenant from its members. Each "cannot" sits next to the matching "can". Rolled back.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(16);

-- Fixture: tenant B with a document; staff members at aal1 and aal2 ------------------------------
select from unnest(array['owner_b', 'staff', 'pretender']) label, tests.sign_up(label), tests.sign_in(label);
update auth.users set raw_app_meta_data = raw_app_meta_data || '{"staff": true}' where id = tests.user_id('pretender');
insert into private.staff_members (user_id, email) values (tests.user_id('staff'), 'staff@pgtap.test');

select from tests.act_as(tests.token('owner_b'));
select from set_config('tests.b', public.create_tenant('Tenant B', 'pgtap-staff-b')::text, true);
reset role;
select from tests.act_as(tests.token('owner_b'));
insert into public.documents (title) values ('B secret');
reset role;

select from set_config('tests.staff_aal2', (tests.token('staff') || '{"aal": "aal2"}')::text, true);
select from set_config('tests.staff_aal1', tests.token('staff')::text, true);

-- The claim ----------------------------------------------------------------------------------------
select is(tests.token('staff') -> 'app_metadata' -> 'staff', 'true'::jsonb, 'the hook adds the staff claim for a listed user');
select is(tests.token('pretender') -> 'app_metadata' -> 'staff', null, 'app_metadata.staff written outside the table is dropped');

-- Refusals and the matching successes ------------------------------------------------------------
select from tests.act_as(tests.token('owner_b'));
select throws_ok($$ select * from public.staff_tenants() $$, '42501', null, 'a tenant owner cannot list tenants');
reset role;
select from tests.act_as(current_setting('tests.staff_aal1')::jsonb);
select throws_ok($$ select * from public.staff_tenants() $$, '42501', null, 'staff at aal1 cannot list tenants');
reset role;
select from tests.act_as(current_setting('tests.staff_aal2')::jsonb);
select ok((select count(*) from public.staff_tenants('pgtap-staff-b')) = 1, 'staff at aal2 list tenants (and find B)');
reset role;

-- Break-glass --------------------------------------------------------------------------------------
select from tests.act_as(current_setting('tests.staff_aal2')::jsonb);
select is((select count(*)::int from public.staff_tenant_documents(current_setting('tests.b')::uuid)), 0, 'no grant: the audited read shows nothing');
select throws_ok(
  format($$ select public.staff_open_grant(%L, 'pgTAP reason text', 61) $$, current_setting('tests.b')),
  '22023', null, 'a grant lasts at most 60 minutes'
);
select from set_config('tests.grant', public.staff_open_grant(current_setting('tests.b')::uuid, 'pgTAP: ticket 1', 15)::text, true);
select is((select count(*)::int from public.staff_tenant_documents(current_setting('tests.b')::uuid)), 1, 'a live grant: the audited read shows B''s document');
select is((select count(*)::int from public.documents where tenant_id = current_setting('tests.b')::uuid and title = 'B secret'), 1,
  'the grant keeps applying for the rest of the audited transaction (RLS, not the function)');
with changed as (update public.documents set title = 'staff' where tenant_id = current_setting('tests.b')::uuid returning 1)
select is(count(*)::int, 0, 'a live grant never allows a write') from changed;
select ok(public.staff_end_grant(current_setting('tests.grant')::uuid), 'staff end the grant');
select is((select count(*)::int from public.staff_tenant_documents(current_setting('tests.b')::uuid)), 0, 'an ended grant: nothing');
reset role;
select is(
  (select count(*)::int from public.audit_log where tenant_id = current_setting('tests.b')::uuid and action = 'staff.read_data'),
  3, 'each of the three reads is in B''s audit log'
);

-- Suspension ---------------------------------------------------------------------------------------
select from tests.act_as(tests.token('owner_b'));
select is((select count(*)::int from public.documents), 1, 'before suspension the owner reads B''s document');
reset role;
select from tests.act_as(current_setting('tests.staff_aal2')::jsonb);
select ok(public.staff_set_tenant_status(current_setting('tests.b')::uuid, 'suspended', 'pgTAP'), 'staff suspend B');
reset role;
select from tests.act_as(tests.token('owner_b'));
select is((select count(*)::int from public.documents) + (select count(*)::int from public.tenants), 0,
  'suspended: the owner reads nothing of B');
reset role;

select * from finish();
rollback;
