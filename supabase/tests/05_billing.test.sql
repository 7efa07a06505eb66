-- pgTAP: billing. Members read their own tenant's billing rows and nothing of another's, and
-- cannot write them; the plan's features and limits are enforced by the database and follow the
-- subscription's status; only owners pass the billing owner gate; created documents and
-- membership changes feed the outbox. Billing rows are written here as postgres (BYPASSRLS, as
-- a fixture), standing in for the billing_sync webhook handler. One transaction, rolled back.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(16);

-- Helpers (sign_up, sign_in, token, act_as, join_tenant): supabase/tests/00_test_helpers.sql

-- Fixture: tenant A on the Pro plan (active), tenant B on the free tier -----------------------------
select from unnest(array['owner_a', 'member_a', 'owner_b']) label, tests.sign_up(label), tests.sign_in(label);

select from tests.act_as(tests.token('owner_a'));
select from set_config('tests.a', public.create_tenant('Billing A', 'pgtap-billing-a')::text, true);
reset role;
select from tests.act_as(tests.token('owner_b'));
select from set_config('tests.b', public.create_tenant('Billing B', 'pgtap-billing-b')::text, true);
reset role;
select from tests.join_tenant('owner_a', 'member_a', 'member');

insert into public.billing_customers (tenant_id, stripe_customer_id, livemode)
values (current_setting('tests.a')::uuid, 'cus_pgtapA', false);
insert into public.billing_subscriptions (tenant_id, stripe_subscription_id, stripe_customer_id, status, plan_lookup_key, livemode, stripe_created)
values (current_setting('tests.a')::uuid, 'sub_pgtapA', 'cus_pgtapA', 'active', 'pro_monthly', false, now());
insert into public.tenant_entitlements (tenant_id, feature, limit_value)
values (current_setting('tests.a')::uuid, 'audit_export', null), (current_setting('tests.a')::uuid, 'documents', 10000);
-- What the subscription grants (the helpers answer from these while its status grants access).
insert into public.billing_subscription_entitlements (tenant_id, stripe_subscription_id, feature, limit_value, stripe_feature_id)
values (current_setting('tests.a')::uuid, 'sub_pgtapA', 'audit_export', null, 'feat_pgtapA_export'),
       (current_setting('tests.a')::uuid, 'sub_pgtapA', 'documents', 10000, 'feat_pgtapA_docs');

-- Reading -----------------------------------------------------------------------------------------
select from tests.act_as(tests.token('member_a'));
select is((select count(*)::int from public.billing_subscriptions), 1, 'member of A: reads A''s subscription (no WHERE clause)');
select is((select count(*)::int from public.tenant_entitlements), 2, 'member of A: reads A''s entitlements');
select is(
  (select count(*)::int from public.billing_customers where tenant_id = current_setting('tests.b')::uuid)
  + (select count(*)::int from public.tenant_entitlements where tenant_id = current_setting('tests.b')::uuid),
  0,
  'member of A: reads nothing of B''s billing, even asking for it'
);
select throws_ok(
  format($$ insert into public.tenant_entitlements (tenant_id, feature) values (%L, 'sso') $$, current_setting('tests.a')),
  '42501', null, 'member of A: cannot grant their own tenant a feature'
);
select throws_ok($$ update public.billing_subscriptions set status = 'active' $$, '42501', null, 'member of A: cannot change the subscription');

-- Features and limits -------------------------------------------------------------------------------
select ok(private.has_feature(current_setting('tests.a')::uuid, 'audit_export'), 'A (Pro, active): has audit_export');
select is(private.feature_limit(current_setting('tests.a')::uuid, 'documents'), 10000, 'A (Pro, active): the plan''s document limit');
select ok(not private.has_feature(current_setting('tests.b')::uuid, 'audit_export'), 'asking about B from A: the free tier''s answer only');
reset role;

select from tests.act_as(tests.token('owner_b'));
select ok(not private.has_feature(current_setting('tests.b')::uuid, 'audit_export'), 'B (free): no audit_export');
select is(private.feature_limit(current_setting('tests.b')::uuid, 'documents'), 100, 'B (free): the free document limit');
reset role;

update public.billing_subscriptions set status = 'paused' where stripe_subscription_id = 'sub_pgtapA';
select from tests.act_as(tests.token('member_a'));
select ok(not private.has_feature(current_setting('tests.a')::uuid, 'audit_export'), 'A paused: the plan''s features lock, though the entitlement rows remain');
reset role;
update public.billing_subscriptions set status = 'active' where stripe_subscription_id = 'sub_pgtapA';

-- The document limit, enforced on insert ------------------------------------------------------------
update private.billing_free_features set limit_value = 1 where feature = 'documents';
select from tests.act_as(tests.token('owner_b'));
select lives_ok($$ insert into public.documents (title) values ('first') $$, 'B (free, limit 1): the first document');
select throws_ok($$ insert into public.documents (title) values ('second') $$, '23514', null, 'B (free, limit 1): not a second one');
reset role;

-- The owner gate ----------------------------------------------------------------------------------
select from tests.act_as(tests.token('owner_a'));
select is((select stripe_customer_id from public.billing_owner_gate()), 'cus_pgtapA', 'owner of A: passes the billing owner gate');
reset role;
select from tests.act_as(tests.token('member_a'));
select throws_ok($$ select * from public.billing_owner_gate() $$, '42501', null, 'member of A: refused by the billing owner gate');
reset role;

-- The outbox --------------------------------------------------------------------------------------
select is(
  (select array_agg(kind order by kind) from private.billing_outbox where tenant_id = current_setting('tests.b')::uuid),
  array['seats', 'usage'],
  'B: its owner''s membership queued a seat count, its document a usage event'
);

select * from finish();
rollback;
