-- What each subscription grants, kept per subscription so access can follow each one's status.
--
-- A tenant may hold several live subscriptions at once (an annual base plan and a monthly add-on,
-- say). Stripe's active entitlements are one union per customer and keep a paused subscription's
-- features (Stripe sends no entitlement event when a trial pauses), so the union alone cannot say
-- which features disappear when one subscription pauses, falls out of its past_due grace or is
-- cancelled. This table records, for every subscription, the local features its items' products
-- carry (the Stripe features attached to each product, with the catalog's `grants`/`limit`
-- metadata). The helpers then combine only the rows of subscriptions whose status grants access.
--
-- Written with the subscription by the webhook route and reconciliation, re-fetched from Stripe.
-- Who may do what: members read their tenant's rows; only billing_sync writes.

set local role tenancy_owner;

create table public.billing_subscription_entitlements (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  stripe_subscription_id text not null,
  feature text not null,
  limit_value integer check (limit_value >= 0),
  stripe_feature_id text not null,
  primary key (tenant_id, id),
  unique (tenant_id, stripe_subscription_id, stripe_feature_id),
  foreign key (tenant_id, stripe_subscription_id)
    references public.billing_subscriptions (tenant_id, stripe_subscription_id) on delete cascade
);
comment on table public.billing_subscription_entitlements is 'Local features each subscription''s products grant (from the Stripe features attached to them), so access follows each subscription''s own status. Written by billing_sync only.';

create index billing_subscription_entitlements_feature_idx
  on public.billing_subscription_entitlements (tenant_id, feature);

alter table public.billing_subscription_entitlements enable row level security;
alter table public.billing_subscription_entitlements force row level security;

revoke all on table public.billing_subscription_entitlements from public, anon, authenticated, service_role;
grant select on table public.billing_subscription_entitlements to authenticated;
grant select, insert, update, delete on table public.billing_subscription_entitlements to billing_sync;

create policy billing_subscription_entitlements_select on public.billing_subscription_entitlements
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

-- billing_sync acts for every tenant on Stripe's word; see the audit allow-list.
create policy billing_subscription_entitlements_select_as_billing_sync on public.billing_subscription_entitlements
  for select to billing_sync using (tenant_id is not null);
create policy billing_subscription_entitlements_insert_as_billing_sync on public.billing_subscription_entitlements
  for insert to billing_sync with check (tenant_id is not null);
create policy billing_subscription_entitlements_update_as_billing_sync on public.billing_subscription_entitlements
  for update to billing_sync using (tenant_id is not null) with check (tenant_id is not null);
create policy billing_subscription_entitlements_delete_as_billing_sync on public.billing_subscription_entitlements
  for delete to billing_sync using (tenant_id is not null);

reset role;
