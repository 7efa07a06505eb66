-- Entitlement checks the database itself enforces with.
--
--   private.billing_has_paid_access(tenant)  the tenant has a subscription that currently grants
--       its plan: trialing, active, or past_due for at most 7 days (the grace period, counted
--       from status_since). paused, canceled, unpaid and incomplete grant nothing — a trial that
--       ends paused keeps its Stripe entitlements (Stripe sends no entitlement event then), so
--       status is checked here as well as the entitlement rows.
--   private.has_feature(tenant, feature)     the plan's entitlement while paid access lasts, else
--       the free tier.
--   private.feature_limit(tenant, feature)   that grant's numeric limit; null = unlimited (or not
--       granted; ask has_feature first).
--
-- SECURITY INVOKER: they read the billing rows through the caller's own policies, so a tenant
-- user learns nothing about another tenant (for a tenant that is not theirs every answer is the
-- free tier's). Triggers call them with the row's tenant_id.

set local role tenancy_owner;

create function private.billing_has_paid_access(tenant uuid)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return exists (
    select 1
    from public.billing_subscriptions s
    where s.tenant_id = billing_has_paid_access.tenant
      and (
        s.status in ('trialing', 'active')
        or (s.status = 'past_due' and s.status_since > pg_catalog.now() - interval '7 days')
      )
  );
end
$$;
comment on function private.billing_has_paid_access(uuid) is
  'true while the tenant has a trialing, active or (up to 7 days) past_due subscription.';

create function private.has_feature(tenant uuid, feature text)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if private.billing_has_paid_access(has_feature.tenant)
     and exists (select 1 from public.tenant_entitlements e where e.tenant_id = has_feature.tenant and e.feature = has_feature.feature) then
    return true;
  end if;
  return exists (select 1 from private.billing_free_features f where f.feature = has_feature.feature);
end
$$;
comment on function private.has_feature(uuid, text) is
  'Whether the tenant may use a feature (by lookup key): its paid entitlement while paid access lasts, else the free tier.';

create function private.feature_limit(tenant uuid, feature text)
returns integer
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  paid record;
begin
  if private.billing_has_paid_access(feature_limit.tenant) then
    select e.limit_value into paid
      from public.tenant_entitlements e
     where e.tenant_id = feature_limit.tenant and e.feature = feature_limit.feature;
    if found then
      return paid.limit_value;
    end if;
  end if;
  return (select f.limit_value from private.billing_free_features f where f.feature = feature_limit.feature);
end
$$;
comment on function private.feature_limit(uuid, text) is
  'The limit of the tenant''s grant of a feature (null = unlimited or not granted; check has_feature first).';

revoke all on function private.billing_has_paid_access(uuid) from public, anon, authenticated, service_role;
revoke all on function private.has_feature(uuid, text) from public, anon, authenticated, service_role;
revoke all on function private.feature_limit(uuid, text) from public, anon, authenticated, service_role;
grant execute on function private.billing_has_paid_access(uuid) to authenticated, billing_sync;
grant execute on function private.has_feature(uuid, text) to authenticated, billing_sync;
grant execute on function private.feature_limit(uuid, text) to authenticated, billing_sync;

reset role;
