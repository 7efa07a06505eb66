-- pgTAP: the custom access token hook. Called with GoTrue-shaped input, as Supabase Auth calls it;
-- it must keep every claim, set tenant claims from memberships only, and never return NULL.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(10);

-- Helpers (sign_up, sign_in, token, act_as, join_tenant): supabase/tests/00_test_helpers.sql

select from unnest(array['owner', 'loner', 'both']) label, tests.sign_up(label), tests.sign_in(label);

select from tests.act_as(tests.token('owner'));
select from set_config('tests.first', public.create_tenant('Hook one', 'pgtap-hook-one')::text, true);
reset role;
select from tests.act_as(tests.token('owner'));
select from set_config('tests.second', public.create_tenant('Hook two', 'pgtap-hook-two')::text, true);
reset role;

-- Output shape ------------------------------------------------------------------------------------
select is(
  (select array_agg(k order by k) from jsonb_object_keys(private.custom_access_token_hook(jsonb_build_object(
     'user_id', tests.user_id('owner'), 'claims', jsonb_build_object('sub', tests.user_id('owner'))))) k),
  array['claims'],
  'the output is {claims}'
);
select is(
  (private.custom_access_token_hook(jsonb_build_object(
    'user_id', tests.user_id('owner'), 'authentication_method', 'token_refresh', 'claims', tests.input_claims('owner'))) -> 'claims')
    - 'app_metadata',
  tests.input_claims('owner') - 'app_metadata',
  'every incoming claim is kept as it came'
);
select is(tests.token('loner') -> 'app_metadata', '{"provider": "email", "providers": ["email"]}'::jsonb,
  'no membership: no tenant claims, app_metadata otherwise untouched');
select is(tests.token('owner') -> 'app_metadata' ->> 'tenant_id', current_setting('tests.second'),
  'the most recently selected tenant (create_tenant selects)');

select from tests.act_as(tests.token('owner'));
select from public.switch_tenant(current_setting('tests.first')::uuid);
reset role;
select is(tests.token('owner') -> 'app_metadata' ->> 'tenant_id', current_setting('tests.first'), 'switch_tenant changes the next token');
-- Both memberships were created in this one transaction; make the second one the older.
update public.memberships set last_selected_at = null, created_at = created_at - case
    when tenant_id = current_setting('tests.second')::uuid then interval '1 day' else interval '0' end
 where user_id = tests.user_id('owner');
select is(tests.token('owner') -> 'app_metadata' ->> 'tenant_id', current_setting('tests.second'), 'nothing selected: the oldest membership');

update auth.users set raw_user_meta_data = jsonb_build_object('tenant_id', current_setting('tests.second'))
 where id = tests.user_id('loner');
select ok(
  (tests.token('loner') -> 'app_metadata') ? 'tenant_id' is false
  and tests.token('loner') -> 'user_metadata' ->> 'tenant_id' = current_setting('tests.second'),
  'user_metadata is never read: a self-written tenant_id yields no tenant claim'
);
select is(
  private.custom_access_token_hook(jsonb_build_object('user_id', tests.user_id('loner'),
    'claims', jsonb_build_object('role', 'authenticated', 'app_metadata', jsonb_build_object('tenant_id', current_setting('tests.second'))))),
  '{"claims": {"role": "authenticated", "app_metadata": {}}}'::jsonb,
  'incoming tenant claims not backed by a membership are dropped'
);
select ok(
  private.custom_access_token_hook(null) is not null
  and private.custom_access_token_hook('{}') = '{"claims": {"app_metadata": {}}}'::jsonb
  and private.custom_access_token_hook('{"user_id": "nope", "claims": {"app_metadata": null}}') -> 'claims' -> 'app_metadata' = '{}'::jsonb,
  'never returns NULL, whatever the input'
);

set local role authenticated;
select throws_ok($$ select private.custom_access_token_hook('{}') $$, '42501', null, 'authenticated cannot call the hook');
reset role;

select * from finish();
rollback;
