-- pgTAP: the custom access token hook. Called with GoTrue-shaped input, as Supabase Auth calls it;
-- it must keep every claim, set tenant claims from memberships only, and never return NULL.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(10);

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

select from unnest(array['owner', 'loner', 'both']) label, pg_temp.sign_up(label), pg_temp.sign_in(label);

select from pg_temp.act_as(pg_temp.token('owner'));
select from set_config('tests.first', public.create_tenant('Hook one', 'pgtap-hook-one')::text, true);
reset role;
select from pg_temp.act_as(pg_temp.token('owner'));
select from set_config('tests.second', public.create_tenant('Hook two', 'pgtap-hook-two')::text, true);
reset role;

-- Output shape ------------------------------------------------------------------------------------
select is(
  (select array_agg(k order by k) from jsonb_object_keys(private.custom_access_token_hook(jsonb_build_object(
     'user_id', pg_temp.user_id('owner'), 'claims', jsonb_build_object('sub', pg_temp.user_id('owner'))))) k),
  array['claims'],
  'the output is {claims}'
);
select is(
  (private.custom_access_token_hook(jsonb_build_object(
    'user_id', pg_temp.user_id('owner'), 'authentication_method', 'token_refresh', 'claims', pg_temp.input_claims('owner'))) -> 'claims')
    - 'app_metadata',
  pg_temp.input_claims('owner') - 'app_metadata',
  'every incoming claim is kept as it came'
);
select is(pg_temp.token('loner') -> 'app_metadata', '{"provider": "email", "providers": ["email"]}'::jsonb,
  'no membership: no tenant claims, app_metadata otherwise untouched');
select is(pg_temp.token('owner') -> 'app_metadata' ->> 'tenant_id', current_setting('tests.second'),
  'the most recently selected tenant (create_tenant selects)');

select from pg_temp.act_as(pg_temp.token('owner'));
select from public.switch_tenant(current_setting('tests.first')::uuid);
reset role;
select is(pg_temp.token('owner') -> 'app_metadata' ->> 'tenant_id', current_setting('tests.first'), 'switch_tenant changes the next token');
-- Both memberships were created in this one transaction; make the second one the older.
update public.memberships set last_selected_at = null, created_at = created_at - case
    when tenant_id = current_setting('tests.second')::uuid then interval '1 day' else interval '0' end
 where user_id = pg_temp.user_id('owner');
select is(pg_temp.token('owner') -> 'app_metadata' ->> 'tenant_id', current_setting('tests.second'), 'nothing selected: the oldest membership');

update auth.users set raw_user_meta_data = jsonb_build_object('tenant_id', current_setting('tests.second'))
 where id = pg_temp.user_id('loner');
select ok(
  (pg_temp.token('loner') -> 'app_metadata') ? 'tenant_id' is false
  and pg_temp.token('loner') -> 'user_metadata' ->> 'tenant_id' = current_setting('tests.second'),
  'user_metadata is never read: a self-written tenant_id yields no tenant claim'
);
select is(
  private.custom_access_token_hook(jsonb_build_object('user_id', pg_temp.user_id('loner'),
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
