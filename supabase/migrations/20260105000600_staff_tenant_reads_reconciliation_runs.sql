-- The staff console's tenant detail reads the last reconciliation drift from
-- public.billing_reconciliation_runs, where the billing schema keeps one row per tenant and run
-- that found drift (it has no billing_tenant_drift table). Same function otherwise; still owned
-- by postgres, still refusing non-staff callers and audited.

create or replace function public.staff_tenant(tenant_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  tenant uuid := staff_tenant.tenant_id;
  result jsonb;
begin
  perform private.staff_audit(tenant, 'staff.viewed_tenant', 'tenant', tenant, '{}'::jsonb);
  select pg_catalog.jsonb_build_object(
           'id', t.id, 'name', t.name, 'slug', t.slug, 'status', t.status, 'created_at', t.created_at,
           'members', coalesce((
             select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'user_id', m.user_id, 'email', u.email, 'role', m.role, 'joined_at', m.created_at)
                      order by m.created_at)
               from public.memberships m left join auth.users u on u.id = m.user_id
              where m.tenant_id = t.id), '[]'::jsonb),
           'subscriptions', coalesce((
             select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'id', b.stripe_subscription_id, 'status', b.status, 'plan', b.plan_lookup_key,
                      'cancel_at_period_end', b.cancel_at_period_end,
                      'seats', (select sum(i.quantity) from public.billing_subscription_items i
                                 where i.tenant_id = b.tenant_id and i.stripe_subscription_id = b.stripe_subscription_id))
                      order by b.stripe_created desc)
               from public.billing_subscriptions b where b.tenant_id = t.id), '[]'::jsonb),
           'entitlements', coalesce((
             select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('feature', e.feature, 'limit', e.limit_value, 'source', e.source)
                      order by e.feature)
               from public.tenant_entitlements e where e.tenant_id = t.id), '[]'::jsonb),
           'last_drift', (
             select pg_catalog.jsonb_build_object(
               'checked_at', d.checked_at, 'differences', d.differences, 'repaired', d.repaired, 'dry_run', d.dry_run)
               from public.billing_reconciliation_runs d where d.tenant_id = t.id
              order by d.checked_at desc limit 1),
           'audit_log', coalesce((
             select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'occurred_at', a.occurred_at, 'actor_id', a.actor_id, 'actor_email', u.email, 'action', a.action,
                      'target_type', a.target_type, 'target_id', a.target_id, 'details', a.details)
                      order by a.occurred_at desc)
               from (select * from public.audit_log l where l.tenant_id = t.id order by l.occurred_at desc limit 100) a
               left join auth.users u on u.id = a.actor_id), '[]'::jsonb))
    into result
    from public.tenants t
   where t.id = tenant;
  return result;
end
$$;
comment on function public.staff_tenant(uuid) is
  'Staff at aal2: one tenant''s metadata — members, subscriptions, entitlements, last reconciliation drift, latest 100 audit entries; audited. NULL when no such tenant.';
