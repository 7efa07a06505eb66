-- Usage beyond the credit pool follows the plan's rule, enforced where documents are written.
--
-- Each created document is one unit of the usage meter; a metered subscription item prices it
-- (unit_amount). Stripe applies credits only when it invoices the period, so its balance does not
-- move while usage accrues. For a plan whose catalog rule is `block` the database therefore counts
-- the usage not yet invoiced itself:
--
--   private.billing_credit_balance(tenant, currency)  the cached ledger's sum (entries in effect)
--   private.billing_unbilled_usage(tenant)            per live metered item: unit_amount × the
--       usage events since Stripe last invoiced that subscription (usage_billed_through), counted
--       from the outbox by private.billing_usage_since() — not from the documents that still
--       exist, since deleting a document does not take its meter event back. The outbox is closed
--       to tenant users, so that count is a tenancy_owner definer reading it through a policy
--       limited to the caller's current tenant (asked about another tenant, it answers 0).
--   private.billing_credits_block(tenant)             a live subscription carries a price whose
--       credit rule is `block`, and the tenant has a live metered item
--
-- and refuses a document whose cost the balance no longer covers (balance < unbilled usage + the
-- new document's cost). On an `overage` plan nothing is refused: Stripe bills what credits miss.
-- The document trigger keeps its feature and limit checks and adds this one; the per-tenant lock
-- serialises concurrent inserts so two cannot both spend the last credit.

set local role tenancy_owner;

create function private.billing_credit_balance(tenant uuid, currency text)
returns bigint
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(pg_catalog.sum(case when t.type = 'credit' then t.amount else -t.amount end), 0)::bigint
    from public.billing_credit_transactions t
   where t.tenant_id = billing_credit_balance.tenant
     and t.currency = billing_credit_balance.currency
     and t.effective_at <= pg_catalog.now()
$$;
comment on function private.billing_credit_balance(uuid, text) is
  'The tenant''s credit balance in a currency (minor unit): the cached ledger''s entries already in effect.';

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

create function private.billing_unbilled_usage(tenant uuid)
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
comment on function private.billing_unbilled_usage(uuid) is
  'What the tenant''s usage since each live metered subscription was last invoiced costs (minor unit), not yet paid by credits.';

create function private.billing_credits_block(tenant uuid)
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select exists (
           select 1
             from public.billing_subscription_items i
             join public.billing_subscriptions s
               on s.tenant_id = i.tenant_id and s.stripe_subscription_id = i.stripe_subscription_id
             join private.billing_credit_rules r on r.price_lookup_key = i.price_lookup_key
            where i.tenant_id = billing_credits_block.tenant
              and r.when_exhausted = 'block'
              and private.billing_subscription_is_live(s.status, s.status_since))
     and exists (
           select 1
             from public.billing_subscription_items i
             join public.billing_subscriptions s
               on s.tenant_id = i.tenant_id and s.stripe_subscription_id = i.stripe_subscription_id
            where i.tenant_id = billing_credits_block.tenant
              and i.usage_type = 'metered'
              and private.billing_subscription_is_live(s.status, s.status_since))
$$;
comment on function private.billing_credits_block(uuid) is
  'Whether the tenant''s metered usage stops when its credits run out (a live plan whose catalog credit rule is block).';

create or replace function private.billing_enforce_document_limit()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  cap integer;
  unit_cost bigint;
  pool_currency text;
  balance bigint;
begin
  if not private.has_feature(new.tenant_id, 'documents') then
    raise exception 'your plan does not include documents' using errcode = '23514', hint = 'Upgrade on the billing page.';
  end if;
  cap := private.feature_limit(new.tenant_id, 'documents');
  if cap is not null then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('billing.documents:' || new.tenant_id::text, 0));
    if (select pg_catalog.count(*) from public.documents d where d.tenant_id = new.tenant_id) >= cap then
      raise exception 'your plan allows % documents; delete one or upgrade on the billing page', cap using errcode = '23514';
    end if;
  end if;
  if private.billing_credits_block(new.tenant_id) then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('billing.credits:' || new.tenant_id::text, 0));
    select coalesce(pg_catalog.sum(i.unit_amount), 0), pg_catalog.min(i.currency)
      into unit_cost, pool_currency
      from public.billing_subscription_items i
      join public.billing_subscriptions s
        on s.tenant_id = i.tenant_id and s.stripe_subscription_id = i.stripe_subscription_id
     where i.tenant_id = new.tenant_id and i.usage_type = 'metered'
       and private.billing_subscription_is_live(s.status, s.status_since);
    balance := private.billing_credit_balance(new.tenant_id, pool_currency);
    if balance < private.billing_unbilled_usage(new.tenant_id) + unit_cost then
      raise exception 'your credits are used up; your plan stops usage when they run out'
        using errcode = '23514', hint = 'Buy more credits or change plan on the billing page.';
    end if;
  end if;
  return new;
end
$$;

revoke all on function private.billing_credit_balance(uuid, text) from public, anon, authenticated, service_role;
revoke all on function private.billing_unbilled_usage(uuid) from public, anon, authenticated, service_role;
revoke all on function private.billing_credits_block(uuid) from public, anon, authenticated, service_role;
grant execute on function private.billing_credit_balance(uuid, text) to authenticated, billing_sync;
grant execute on function private.billing_unbilled_usage(uuid) to authenticated, billing_sync;
grant execute on function private.billing_credits_block(uuid) to authenticated, billing_sync;

reset role;
