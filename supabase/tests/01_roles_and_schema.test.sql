-- pgTAP: the structure isolation rests on. Run with `supabase test db`, or `pnpm test:pgtap` (any
-- migrated database; everything happens inside one transaction that is rolled back).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;

select plan(17);

-- Roles ------------------------------------------------------------------------------------------
select ok(
  (select not rolcanlogin and not rolbypassrls and not rolsuper from pg_roles where rolname = 'tenancy_owner'),
  'tenancy_owner: NOLOGIN, no BYPASSRLS (FORCE binds it)'
);
select ok(
  (select rolcanlogin and not rolinherit and not rolbypassrls and not rolsuper from pg_roles where rolname = 'app_server'),
  'app_server: LOGIN, NOINHERIT, no BYPASSRLS'
);
select is(
  (select array_agg(r.rolname::text order by r.rolname) from pg_auth_members m
     join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member where u.rolname = 'app_server'),
  array['authenticated'],
  'app_server is a member of authenticated, and of nothing else'
);
select ok(
  (select rolcanlogin and not rolbypassrls and not rolsuper from pg_roles where rolname = 'billing_sync'),
  'billing_sync: LOGIN (webhooks, reconciliation), no BYPASSRLS'
);

-- Tenant tables ----------------------------------------------------------------------------------
select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'),
  array['audit_log', 'billing_credit_grants', 'billing_credit_transactions', 'billing_customers', 'billing_reconciliation_runs',
        'billing_subscription_entitlements', 'billing_subscription_items', 'billing_subscriptions',
        'documents', 'invitations', 'memberships', 'tenant_entitlements', 'tenants'],
  'the tenant tables'
);
select is(
  (select count(*)::int from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
      and not (c.relrowsecurity and c.relforcerowsecurity and pg_get_userbyid(c.relowner) = 'tenancy_owner')),
  0,
  'every tenant table is owned by tenancy_owner with row level security ENABLED and FORCED'
);
select is(
  (select count(*)::int from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
      and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id')
      and not exists (select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                       where i.indrelid = c.oid and a.attname = 'tenant_id')),
  0,
  'every table with tenant_id has an index leading with it'
);
select is(
  (select count(*)::int from information_schema.role_table_grants
    where table_schema = 'public' and grantee in ('PUBLIC', 'anon', 'service_role', 'app_server')),
  0,
  'no table privileges for PUBLIC, anon, service_role or app_server'
);
select is(
  (select array_agg(distinct table_name::text order by table_name::text) from information_schema.role_table_grants
    where table_schema = 'public' and grantee = 'billing_sync'),
  array['billing_credit_grants', 'billing_credit_transactions', 'billing_customers', 'billing_reconciliation_runs',
        'billing_subscription_entitlements', 'billing_subscription_items', 'billing_subscriptions', 'tenant_entitlements'],
  'billing_sync: privileges on the billing tables only'
);
select is(
  (select count(*)::int from pg_policies where schemaname = 'public' and (cmd = 'ALL' or 'public' = any (roles))),
  0,
  'no FOR ALL policies and no policies for PUBLIC'
);
select is(
  (select array_agg(policyname::text) from pg_policies where schemaname = 'public' and qual = 'true'),
  array['memberships_select_for_claims_hook'],
  'USING (true) only for the claims hook'
);
select is(
  (select count(*)::int from pg_policies
    where schemaname = 'public' and coalesce(qual, '') || coalesce(with_check, '') ~ 'user_metadata'),
  0,
  'no policy reads user_metadata'
);

-- Functions --------------------------------------------------------------------------------------
select is(
  (select count(*)::int from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      and (has_function_privilege('anon', p.oid, 'execute') or not coalesce('search_path=""' = any (p.proconfig), false))),
  0,
  'no kit function is executable by anon, and every one sets search_path'
);
select ok(
  not has_function_privilege('authenticated', 'private.live_session_user_id()', 'execute')
  and has_function_privilege('tenancy_owner', 'private.live_session_user_id()', 'execute')
  and pg_get_userbyid((select proowner from pg_proc where oid = 'private.live_session_user_id()'::regprocedure)) = 'postgres',
  'live_session_user_id: owned by postgres (reads auth.sessions), executable by tenancy_owner only'
);
select ok(
  (select bool_and(p.provolatile = 's' and p.prosecdef and pg_get_userbyid(p.proowner) = 'tenancy_owner')
     from pg_proc p where p.oid in ('private.current_tenant_id()'::regprocedure, 'private.current_tenant_role()'::regprocedure,
                                    'private.current_user_id()'::regprocedure)),
  'tenant helpers: STABLE, SECURITY DEFINER owned by tenancy_owner (so FORCE binds them)'
);
select ok(
  has_function_privilege('supabase_auth_admin', 'private.custom_access_token_hook(jsonb)', 'execute')
  and not has_function_privilege('authenticated', 'private.custom_access_token_hook(jsonb)', 'execute')
  and not has_function_privilege('anon', 'private.custom_access_token_hook(jsonb)', 'execute')
  and not has_function_privilege('service_role', 'private.custom_access_token_hook(jsonb)', 'execute'),
  'the claims hook is executable by supabase_auth_admin only'
);
select ok(
  has_column_privilege('supabase_auth_admin', 'public.memberships', 'role', 'select')
  and not has_column_privilege('supabase_auth_admin', 'public.memberships', 'id', 'select')
  and not has_table_privilege('supabase_auth_admin', 'public.documents', 'select'),
  'supabase_auth_admin reads only the membership columns the hook needs'
);

select * from finish();
rollback;
