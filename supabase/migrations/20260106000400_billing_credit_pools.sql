-- Each tenant's Stripe billing credits (credit grants) and their ledger, cached from Stripe.
--
--   public.billing_credit_grants        prepaid or promotional grants: amount, currency, priority,
--       when they take effect and expire, whether voided.
--   public.billing_credit_transactions  the ledger Stripe keeps per grant: a credit when granted,
--       debits when applied to an invoice, expired or voided. The balance is its sum (entries
--       already in effect), which is what Stripe's credit balance summary reports; keeping the
--       entries themselves gives the billing page its history.
--
-- Like the other billing rows they are re-fetched from Stripe on every credit event and by
-- reconciliation, never taken from a payload. Who may do what: members read their tenant's rows;
-- only billing_sync writes.

set local role tenancy_owner;

-- Stripe's closed sets, as enums.
create type public.billing_credit_category as enum ('paid', 'promotional');
create type public.billing_credit_entry_type as enum ('credit', 'debit');

create table public.billing_credit_grants (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  stripe_credit_grant_id text not null,
  name text,
  category public.billing_credit_category not null,
  amount integer not null check (amount >= 0),
  currency text not null,
  priority integer,
  effective_at timestamptz,
  expires_at timestamptz,
  voided_at timestamptz,
  stripe_created timestamptz not null,
  primary key (tenant_id, id),
  unique (tenant_id, stripe_credit_grant_id)
);
comment on table public.billing_credit_grants is 'A tenant''s Stripe credit grants (prepaid or promotional), re-fetched from Stripe. Amounts in the currency''s minor unit. Written by billing_sync only.';

create table public.billing_credit_transactions (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  stripe_transaction_id text not null,
  stripe_credit_grant_id text not null,
  type public.billing_credit_entry_type not null,
  reason text not null,
  amount integer not null check (amount >= 0),
  currency text not null,
  effective_at timestamptz not null,
  stripe_invoice_id text,
  primary key (tenant_id, id),
  unique (tenant_id, stripe_transaction_id),
  foreign key (tenant_id, stripe_credit_grant_id)
    references public.billing_credit_grants (tenant_id, stripe_credit_grant_id) on delete cascade
);
comment on table public.billing_credit_transactions is 'The ledger of a tenant''s credit grants: credits granted, debits applied to invoices, expired or voided. The balance is the sum of entries in effect. Written by billing_sync only.';
comment on column public.billing_credit_transactions.reason is 'Stripe''s credit or debit type: credits_granted, credits_applied, credits_expired, credits_voided, …';

create unique index billing_credit_grants_stripe_id_key on public.billing_credit_grants (stripe_credit_grant_id);
create unique index billing_credit_transactions_stripe_id_key on public.billing_credit_transactions (stripe_transaction_id);
create index billing_credit_transactions_tenant_idx on public.billing_credit_transactions (tenant_id, effective_at desc);

alter table public.billing_credit_grants enable row level security;
alter table public.billing_credit_grants force row level security;
alter table public.billing_credit_transactions enable row level security;
alter table public.billing_credit_transactions force row level security;

revoke all on table public.billing_credit_grants from public, anon, authenticated, service_role;
revoke all on table public.billing_credit_transactions from public, anon, authenticated, service_role;
grant select on table public.billing_credit_grants to authenticated;
grant select on table public.billing_credit_transactions to authenticated;
grant select, insert, update, delete on table public.billing_credit_grants to billing_sync;
grant select, insert, update, delete on table public.billing_credit_transactions to billing_sync;

create policy billing_credit_grants_select on public.billing_credit_grants
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));
create policy billing_credit_transactions_select on public.billing_credit_transactions
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

-- billing_sync acts for every tenant on Stripe's word; see the audit allow-list.
create policy billing_credit_grants_select_as_billing_sync on public.billing_credit_grants
  for select to billing_sync using (tenant_id is not null);
create policy billing_credit_grants_insert_as_billing_sync on public.billing_credit_grants
  for insert to billing_sync with check (tenant_id is not null);
create policy billing_credit_grants_update_as_billing_sync on public.billing_credit_grants
  for update to billing_sync using (tenant_id is not null) with check (tenant_id is not null);
create policy billing_credit_grants_delete_as_billing_sync on public.billing_credit_grants
  for delete to billing_sync using (tenant_id is not null);
create policy billing_credit_transactions_select_as_billing_sync on public.billing_credit_transactions
  for select to billing_sync using (tenant_id is not null);
create policy billing_credit_transactions_insert_as_billing_sync on public.billing_credit_transactions
  for insert to billing_sync with check (tenant_id is not null);
create policy billing_credit_transactions_update_as_billing_sync on public.billing_credit_transactions
  for update to billing_sync using (tenant_id is not null) with check (tenant_id is not null);
create policy billing_credit_transactions_delete_as_billing_sync on public.billing_credit_transactions
  for delete to billing_sync using (tenant_id is not null);

reset role;
