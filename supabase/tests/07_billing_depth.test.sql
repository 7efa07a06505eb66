-- pgTAP: billing depth. Several subscriptions per tenant: each grants its own features while its
-- own status does, limits combine by the catalog's rule (sum for seats, max for documents); credit
-- pools: the balance is the cached ledger's sum, usage not yet invoiced counts against it, and a
-- plan whose rule is `block` refuses documents the pool no longer covers (an `overage` plan does
-- not). Members read their own tenant's credit rows only and write none. Billing rows are written
-- as postgres (a fixture standing in for billing_sync). One transaction, rolled back.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(24);

-- Fixture: tenant A on an annual base plan + a monthly add-on; tenant B free -----------------------
select from unnest(array['owner_a', 'owner_b']) label, tests.sign_up(label), tests.sign_in(label);
select from tests.act_as(tests.token('owner_a'));
select from set_config('tests.a', public.create_tenant('Depth A', 'pgtap-depth-a')::text, true);
reset role;
select from tests.act_as(tests.token('owner_b'));
select from set_config('tests.b', public.create_tenant('Depth B', 'pgtap-depth-b')::text, true);
reset role;

insert into public.billing_subscriptions (tenant_id, stripe_subscription_id, stripe_customer_id, status, plan_lookup_key, livemode, stripe_created)
values (current_setting('tests.a')::uuid, 'sub_depth_base', 'cus_depthA', 'active', 'pro_annual', false, now() - interval '1 day'),
       (current_setting('tests.a')::uuid, 'sub_depth_addon', 'cus_depthA', 'active', 'team_pack_monthly', false, now() - interval '1 day');
insert into public.billing_subscription_items (tenant_id, stripe_item_id, stripe_subscription_id, stripe_price_id, price_lookup_key)
values (current_setting('tests.a')::uuid, 'si_depth_base', 'sub_depth_base', 'price_base', 'pro_annual'),
       (current_setting('tests.a')::uuid, 'si_depth_addon', 'sub_depth_addon', 'price_addon', 'team_pack_monthly');
insert into public.billing_subscription_entitlements (tenant_id, stripe_subscription_id, feature, limit_value, stripe_feature_id)
values (current_setting('tests.a')::uuid, 'sub_depth_base', 'seats', 50, 'feat_pro_seats'),
       (current_setting('tests.a')::uuid, 'sub_depth_base', 'documents', 10000, 'feat_pro_documents'),
       (current_setting('tests.a')::uuid, 'sub_depth_addon', 'seats', 10, 'feat_team_seats'),
       (current_setting('tests.a')::uuid, 'sub_depth_addon', 'documents', 500, 'feat_team_documents'),
       (current_setting('tests.a')::uuid, 'sub_depth_addon', 'priority_support', null, 'feat_support');

-- Union and combination ---------------------------------------------------------------------------
select ok(private.billing_subscription_is_live('past_due', now() - interval '6 days'), 'past_due within the grace period is live');
select ok(not private.billing_subscription_is_live('past_due', now() - interval '8 days'), 'past_due beyond it is not');
select ok(not private.billing_subscription_is_live('paused', now()), 'paused is not live');

select from tests.act_as(tests.token('owner_a'));
select ok(private.has_feature(current_setting('tests.a')::uuid, 'priority_support'), 'A: the add-on''s feature');
select is(private.feature_limit(current_setting('tests.a')::uuid, 'seats'), 60, 'A: seats combine by sum (50 + 10)');
select is(private.feature_limit(current_setting('tests.a')::uuid, 'documents'), 10000, 'A: documents combine by max');
select ok(not private.has_feature(current_setting('tests.b')::uuid, 'priority_support'), 'asking about B from A: the free tier''s answer');
reset role;

update public.billing_subscriptions set status = 'paused' where stripe_subscription_id = 'sub_depth_addon';
select from tests.act_as(tests.token('owner_a'));
select ok(not private.has_feature(current_setting('tests.a')::uuid, 'priority_support'), 'A, add-on paused: its feature locks');
select is(private.feature_limit(current_setting('tests.a')::uuid, 'seats'), 50, 'A, add-on paused: only the base plan''s seats');
select is(private.feature_limit(current_setting('tests.a')::uuid, 'documents'), 10000, 'A, add-on paused: the base plan still grants');
reset role;
update public.billing_subscription_entitlements set limit_value = null where stripe_feature_id = 'feat_team_seats';
update public.billing_subscriptions set status = 'active' where stripe_subscription_id = 'sub_depth_addon';
select from tests.act_as(tests.token('owner_a'));
select is(private.feature_limit(current_setting('tests.a')::uuid, 'seats'), null, 'A: an unlimited grant makes the combination unlimited');
reset role;

-- Credit pools -------------------------------------------------------------------------------------
-- A usage add-on at 5 cents per document, and 12 cents of credit (two documents' worth).
insert into public.billing_subscriptions (tenant_id, stripe_subscription_id, stripe_customer_id, status, plan_lookup_key, livemode, stripe_created, usage_billed_through)
values (current_setting('tests.a')::uuid, 'sub_depth_usage', 'cus_depthA', 'active', 'document_usage', false, now() - interval '1 day', now() - interval '1 hour');
insert into public.billing_subscription_items (tenant_id, stripe_item_id, stripe_subscription_id, stripe_price_id, price_lookup_key, usage_type, unit_amount, currency)
values (current_setting('tests.a')::uuid, 'si_depth_usage', 'sub_depth_usage', 'price_usage', 'document_usage', 'metered', 5, 'usd');
insert into public.billing_credit_grants (tenant_id, stripe_credit_grant_id, category, amount, currency, stripe_created)
values (current_setting('tests.a')::uuid, 'credgr_depthA', 'paid', 12, 'usd', now()),
       (current_setting('tests.b')::uuid, 'credgr_depthB', 'paid', 500, 'usd', now());
insert into public.billing_credit_transactions (tenant_id, stripe_transaction_id, stripe_credit_grant_id, type, reason, amount, currency, effective_at)
values (current_setting('tests.a')::uuid, 'cbtxn_depthA1', 'credgr_depthA', 'credit', 'credits_granted', 12, 'usd', now() - interval '2 hours'),
       (current_setting('tests.a')::uuid, 'cbtxn_depthA2', 'credgr_depthA', 'credit', 'credits_granted', 1000, 'usd', now() + interval '1 day'),
       (current_setting('tests.b')::uuid, 'cbtxn_depthB1', 'credgr_depthB', 'credit', 'credits_granted', 500, 'usd', now() - interval '2 hours');

select from tests.act_as(tests.token('owner_a'));
select is(private.billing_credit_balance(current_setting('tests.a')::uuid, 'usd'), 12::bigint, 'A: the balance counts entries in effect only');
select is(private.billing_credit_balance(current_setting('tests.b')::uuid, 'usd'), 0::bigint, 'asking about B''s balance from A: nothing');
select is((select count(*)::int from public.billing_credit_transactions), 2, 'A: reads its own ledger only (no WHERE clause)');
select throws_ok(
  format($$ insert into public.billing_credit_transactions (tenant_id, stripe_transaction_id, stripe_credit_grant_id, type, reason, amount, currency, effective_at)
            values (%L, 'cbtxn_forged', 'credgr_depthA', 'credit', 'credits_granted', 99999, 'usd', now()) $$, current_setting('tests.a')),
  '42501', null, 'A''s owner: cannot grant itself credit'
);
reset role;
-- Without a rule for its plan (overage is the default) nothing blocks ...
delete from private.billing_credit_rules where price_lookup_key = 'pro_annual';
select from tests.act_as(tests.token('owner_a'));
select ok(not private.billing_credits_block(current_setting('tests.a')::uuid), 'A without a blocking rule: usage is not blocked');
reset role;
-- ... with the catalog's rule for the annual plan, block at exhaustion (as synced), it does.
insert into private.billing_credit_rules (price_lookup_key, when_exhausted) values ('pro_annual', 'block')
  on conflict (price_lookup_key) do update set when_exhausted = 'block';

select from tests.act_as(tests.token('owner_a'));
select ok(private.billing_credits_block(current_setting('tests.a')::uuid), 'A: a blocking plan with a live metered item');
select lives_ok($$ insert into public.documents (title) values ('usage 1') $$, 'A: the first document is covered (5 of 12)');
select lives_ok($$ insert into public.documents (title) values ('usage 2') $$, 'A: the second too (10 of 12)');
select is(private.billing_unbilled_usage(current_setting('tests.a')::uuid), 10::bigint, 'A: two documents not yet invoiced cost 10');
select throws_ok($$ insert into public.documents (title) values ('usage 3') $$, '23514', null,
  'A: a third is refused, though Stripe''s balance has not moved yet');
delete from public.documents where title = 'usage 2';
select is(private.billing_unbilled_usage(current_setting('tests.a')::uuid), 10::bigint,
  'A: deleting a document does not take its meter event back');
select throws_ok($$ insert into public.documents (title) values ('usage 3') $$, '23514', null,
  'A: so a new document is still refused');
reset role;

-- The same usage on an overage rule is never refused.
update private.billing_credit_rules set when_exhausted = 'overage' where price_lookup_key = 'pro_annual';
select from tests.act_as(tests.token('owner_a'));
select lives_ok($$ insert into public.documents (title) values ('usage 3') $$, 'A on overage: past the pool, billed by Stripe');
reset role;

select * from finish();
rollback;
