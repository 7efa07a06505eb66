-- Unbilled usage counts the meter events sent, not the documents that still exist.
--
-- private.billing_unbilled_usage() counted a tenant's documents created since each metered
-- subscription was last invoiced. Every created document has already become a Billing Meter event
-- (through the outbox), and deleting the document does not take the event back, so on a plan
-- whose credit rule is "block" a member could create, delete and create again past the pool, and
-- Stripe billed the overage the plan promised to block (found in review). It now counts the
-- tenant's usage rows in private.billing_outbox, which deletes do not touch.
--
-- The outbox is not readable by tenant users, so the count comes from
-- private.billing_usage_since(), SECURITY DEFINER owned by tenancy_owner, which reads the outbox
-- through a new tenancy_owner policy limited to the caller's current tenant: asked about another
-- tenant, it answers 0. Same signature, grants and callers for billing_unbilled_usage().

set local role tenancy_owner;

create policy billing_outbox_select_current_tenant_as_tenancy_owner on private.billing_outbox
  for select to tenancy_owner
  using (tenant_id = (select private.current_tenant_id()));

create function private.billing_usage_since(tenant uuid, since timestamptz)
returns bigint
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select pg_catalog.count(*)
      from private.billing_outbox o
     where o.tenant_id = billing_usage_since.tenant
       and o.kind = 'usage'
       and o.occurred_at > billing_usage_since.since
  );
end
$$;
comment on function private.billing_usage_since(uuid, timestamptz) is
  'Usage events (created documents) of the caller''s current tenant since a time, deleted documents included; 0 for any other tenant.';
revoke all on function private.billing_usage_since(uuid, timestamptz) from public, anon, authenticated, service_role;
grant execute on function private.billing_usage_since(uuid, timestamptz) to authenticated;

create or replace function private.billing_unbilled_usage(tenant uuid)
returns bigint
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(pg_catalog.sum(i.unit_amount::bigint
           * private.billing_usage_since(i.tenant_id, coalesce(s.usage_billed_through, s.stripe_created))), 0)::bigint
    from public.billing_subscription_items i
    join public.billing_subscriptions s
      on s.tenant_id = i.tenant_id and s.stripe_subscription_id = i.stripe_subscription_id
   where i.tenant_id = billing_unbilled_usage.tenant
     and i.usage_type = 'metered'
     and private.billing_subscription_is_live(s.status, s.status_since)
$$;

reset role;
