-- One Stripe Customer per tenant.
--
-- billing_customers maps a tenant to its Stripe Customer. tenant_id is unique (one customer per
-- tenant) and stripe_customer_id is unique across tenants (a Stripe Customer can never be
-- attached to two tenants: a unique index, since the kit's unique constraints all lead with
-- tenant_id); together with the idempotency key ensureCustomer() sends to Stripe
-- (derived from the tenant id), concurrent first checkouts end with exactly one row and one Stripe
-- Customer. livemode records which Stripe mode created it, so a test-mode customer is never used
-- with a live key.
--
-- Who may do what: every member of the tenant reads its row; only billing_sync writes.

set local role tenancy_owner;

create table public.billing_customers (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  stripe_customer_id text not null,
  livemode boolean not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id)
);
comment on table public.billing_customers is 'The Stripe Customer of each tenant (exactly one). Written by billing_sync only.';

create unique index billing_customers_stripe_customer_id_key on public.billing_customers (stripe_customer_id);

alter table public.billing_customers enable row level security;
alter table public.billing_customers force row level security;

revoke all on table public.billing_customers from public, anon, authenticated, service_role;
grant select on table public.billing_customers to authenticated;
grant select, insert, update, delete on table public.billing_customers to billing_sync;

create policy billing_customers_select on public.billing_customers
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

-- billing_sync acts for every tenant on Stripe's word (webhooks, reconciliation), so its policy
-- is not tenant-scoped; the audit allow-list says why that is safe.
create policy billing_customers_select_as_billing_sync on public.billing_customers
  for select to billing_sync using (tenant_id is not null);
create policy billing_customers_insert_as_billing_sync on public.billing_customers
  for insert to billing_sync with check (tenant_id is not null);
create policy billing_customers_update_as_billing_sync on public.billing_customers
  for update to billing_sync using (tenant_id is not null) with check (tenant_id is not null);
create policy billing_customers_delete_as_billing_sync on public.billing_customers
  for delete to billing_sync using (tenant_id is not null);

reset role;
