-- Each tenant's Stripe subscriptions and their items, as Stripe last reported them.
--
-- The webhook route and reconciliation never trust an event's payload: they re-fetch the
-- subscription from Stripe and upsert it here whole, so the order events arrive in does not
-- matter. `status_since` records when the status last changed: the past_due grace period is
-- measured from it. Periods live on the items, as in API versions since 2025-03-31.basil.
--
-- Upserted by the Stripe ids, which are unique across tenants (a subscription belongs to exactly
-- one customer, hence one tenant): unique indexes, beside the kit's (tenant_id, id) keys.
-- Who may do what: members read their tenant's rows; only billing_sync writes.

set local role tenancy_owner;

-- Stripe's subscription statuses.
create type public.billing_subscription_status as enum (
  'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'
);

create table public.billing_subscriptions (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  stripe_subscription_id text not null,
  stripe_customer_id text not null,
  status public.billing_subscription_status not null,
  status_since timestamptz not null default now(),
  plan_lookup_key text,
  cancel_at_period_end boolean not null default false,
  trial_end timestamptz,
  livemode boolean not null,
  stripe_created timestamptz not null,
  synced_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, stripe_subscription_id)
);
comment on table public.billing_subscriptions is 'A tenant''s Stripe subscriptions, re-fetched from Stripe on every event and by reconciliation. Written by billing_sync only.';
comment on column public.billing_subscriptions.status_since is 'When status last changed; the past_due grace period counts from here.';
comment on column public.billing_subscriptions.plan_lookup_key is 'lookup_key of the plan price (the catalog''s plan), null when the price has none.';

create table public.billing_subscription_items (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  stripe_item_id text not null,
  stripe_subscription_id text not null,
  stripe_price_id text not null,
  price_lookup_key text,
  quantity integer not null default 1 check (quantity >= 0),
  current_period_start timestamptz,
  current_period_end timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, stripe_item_id),
  foreign key (tenant_id, stripe_subscription_id)
    references public.billing_subscriptions (tenant_id, stripe_subscription_id) on delete cascade
);
comment on table public.billing_subscription_items is 'Items of a tenant''s subscriptions: price, quantity (seats) and the item''s billing period. Written by billing_sync only.';

create unique index billing_subscriptions_stripe_subscription_id_key on public.billing_subscriptions (stripe_subscription_id);
create unique index billing_subscription_items_stripe_item_id_key on public.billing_subscription_items (stripe_item_id);
create index billing_subscription_items_subscription_idx
  on public.billing_subscription_items (tenant_id, stripe_subscription_id);

-- status_since moves only when the status does.
create function private.billing_subscriptions_track_status()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.status is not distinct from old.status then
    new.status_since := old.status_since;
  elsif tg_op = 'UPDATE' then
    new.status_since := pg_catalog.now();
  end if;
  return new;
end
$$;
revoke all on function private.billing_subscriptions_track_status() from public, anon, authenticated, service_role;
create trigger billing_subscriptions_track_status
  before update on public.billing_subscriptions
  for each row execute function private.billing_subscriptions_track_status();

alter table public.billing_subscriptions enable row level security;
alter table public.billing_subscriptions force row level security;
alter table public.billing_subscription_items enable row level security;
alter table public.billing_subscription_items force row level security;

revoke all on table public.billing_subscriptions from public, anon, authenticated, service_role;
revoke all on table public.billing_subscription_items from public, anon, authenticated, service_role;
grant select on table public.billing_subscriptions to authenticated;
grant select on table public.billing_subscription_items to authenticated;
grant select, insert, update, delete on table public.billing_subscriptions to billing_sync;
grant select, insert, update, delete on table public.billing_subscription_items to billing_sync;

create policy billing_subscriptions_select on public.billing_subscriptions
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));
create policy billing_subscription_items_select on public.billing_subscription_items
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

-- billing_sync acts for every tenant on Stripe's word; see the audit allow-list.
create policy billing_subscriptions_select_as_billing_sync on public.billing_subscriptions
  for select to billing_sync using (tenant_id is not null);
create policy billing_subscriptions_insert_as_billing_sync on public.billing_subscriptions
  for insert to billing_sync with check (tenant_id is not null);
create policy billing_subscriptions_update_as_billing_sync on public.billing_subscriptions
  for update to billing_sync using (tenant_id is not null) with check (tenant_id is not null);
create policy billing_subscriptions_delete_as_billing_sync on public.billing_subscriptions
  for delete to billing_sync using (tenant_id is not null);
create policy billing_subscription_items_select_as_billing_sync on public.billing_subscription_items
  for select to billing_sync using (tenant_id is not null);
create policy billing_subscription_items_insert_as_billing_sync on public.billing_subscription_items
  for insert to billing_sync with check (tenant_id is not null);
create policy billing_subscription_items_update_as_billing_sync on public.billing_subscription_items
  for update to billing_sync using (tenant_id is not null) with check (tenant_id is not null);
create policy billing_subscription_items_delete_as_billing_sync on public.billing_subscription_items
  for delete to billing_sync using (tenant_id is not null);

reset role;
