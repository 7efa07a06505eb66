-- has_feature() and feature_limit() answer from the subscriptions that currently grant access,
-- each with what it grants, instead of the customer-wide union.
--
-- A tenant may hold several subscriptions. Each one grants access while it is trialing, active,
-- or past_due for at most 7 days (private.billing_subscription_is_live); a paused, cancelled,
-- unpaid or incomplete one grants nothing, whatever the others do. A feature is the tenant's
-- when a live subscription grants it (public.billing_subscription_entitlements), else when the
-- free tier does. Its limit combines the live grants by the catalog's rule for that feature
-- (private.billing_feature_rules: `sum` adds them, `max` takes the largest; no limit on any grant
-- means no limit). So cancelling or pausing an add-on removes exactly what it added.
--
-- Still SECURITY INVOKER with the same signatures: callers and the enforcement triggers keep
-- working, and a user asking about another tenant still gets only the free tier's answer.

set local role tenancy_owner;

create function private.billing_subscription_is_live(status public.billing_subscription_status, status_since timestamptz)
returns boolean
language sql
stable
set search_path = ''
as $$
  select status in ('trialing', 'active')
      or (status = 'past_due' and status_since > pg_catalog.now() - interval '7 days')
$$;
comment on function private.billing_subscription_is_live(public.billing_subscription_status, timestamptz) is
  'Whether a subscription in this status grants its features: trialing, active, or past_due for up to 7 days.';

create or replace function private.billing_has_paid_access(tenant uuid)
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
      and private.billing_subscription_is_live(s.status, s.status_since)
  );
end
$$;

create or replace function private.has_feature(tenant uuid, feature text)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if exists (
    select 1
    from public.billing_subscription_entitlements e
    join public.billing_subscriptions s
      on s.tenant_id = e.tenant_id and s.stripe_subscription_id = e.stripe_subscription_id
    where e.tenant_id = has_feature.tenant and e.feature = has_feature.feature
      and private.billing_subscription_is_live(s.status, s.status_since)
  ) then
    return true;
  end if;
  return exists (select 1 from private.billing_free_features f where f.feature = has_feature.feature);
end
$$;
comment on function private.has_feature(uuid, text) is
  'Whether the tenant may use a local feature: a live subscription grants it, or the free tier does.';

create or replace function private.feature_limit(tenant uuid, feature text)
returns integer
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  grants integer;
  unlimited boolean;
  combined bigint;
begin
  select pg_catalog.count(*), pg_catalog.bool_or(e.limit_value is null),
         case when coalesce((select r.combine from private.billing_feature_rules r where r.feature = feature_limit.feature), 'max') = 'sum'
              then pg_catalog.sum(e.limit_value) else pg_catalog.max(e.limit_value) end
    into grants, unlimited, combined
    from public.billing_subscription_entitlements e
    join public.billing_subscriptions s
      on s.tenant_id = e.tenant_id and s.stripe_subscription_id = e.stripe_subscription_id
   where e.tenant_id = feature_limit.tenant and e.feature = feature_limit.feature
     and private.billing_subscription_is_live(s.status, s.status_since);
  if grants > 0 then
    if unlimited then
      return null;
    end if;
    return least(combined, 2147483647)::integer;
  end if;
  return (select f.limit_value from private.billing_free_features f where f.feature = feature_limit.feature);
end
$$;
comment on function private.feature_limit(uuid, text) is
  'The tenant''s limit for a feature: the live subscriptions'' grants combined by the catalog rule (sum or max), else the free tier''s (null = unlimited or not granted; check has_feature first).';

revoke all on function private.billing_subscription_is_live(public.billing_subscription_status, timestamptz) from public, anon, authenticated, service_role;
grant execute on function private.billing_subscription_is_live(public.billing_subscription_status, timestamptz) to authenticated, billing_sync;

reset role;
