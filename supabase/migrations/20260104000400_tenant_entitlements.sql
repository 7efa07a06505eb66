-- What each tenant may use: Stripe's active entitlements, cached, plus the free tier.
--
-- tenant_entitlements holds one row per feature lookup key the tenant's Stripe Customer is
-- entitled to (Stripe's Entitlements API), with the numeric limit the catalog put in the
-- feature's metadata (null = no limit). The webhook route and reconciliation replace a tenant's
-- rows with the list Stripe returns, so a feature Stripe no longer lists disappears here.
--
-- private.billing_free_features is the free tier: features every tenant has without any Stripe
-- object. Its rows come from supabase/billing-catalog.json; `pnpm billing:sync-catalog` keeps them
-- in line with the file, and the defaults below are the file's values so a fresh database (tests,
-- the local stack) works before any sync. It is not a tenant table: it says the same for everyone.
--
-- Who may do what: members read their tenant's entitlements and the free tier; only billing_sync
-- writes either.

set local role tenancy_owner;

create table public.tenant_entitlements (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  feature text not null,
  limit_value integer check (limit_value >= 0),
  source text not null default 'stripe',
  stripe_feature_id text,
  synced_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, feature)
);
comment on table public.tenant_entitlements is 'A tenant''s active Stripe entitlements by feature lookup key, with the limit from the feature''s metadata (null = unlimited). Written by billing_sync only.';

create table private.billing_free_features (
  feature text not null primary key check (feature ~ '^[a-z0-9_]{1,64}$'),
  limit_value integer check (limit_value >= 0),
  updated_at timestamptz not null default now()
);
comment on table private.billing_free_features is 'The free tier (no Stripe objects): features every tenant has, with their limits. Source: supabase/billing-catalog.json.';

insert into private.billing_free_features (feature, limit_value) values
  ('documents', 100),
  ('seats', 10);

alter table public.tenant_entitlements enable row level security;
alter table public.tenant_entitlements force row level security;

revoke all on table public.tenant_entitlements from public, anon, authenticated, service_role;
revoke all on table private.billing_free_features from public, anon, authenticated, service_role;
grant select on table public.tenant_entitlements to authenticated;
grant select, insert, update, delete on table public.tenant_entitlements to billing_sync;
grant select on table private.billing_free_features to authenticated;
grant select, insert, update, delete on table private.billing_free_features to billing_sync;

create policy tenant_entitlements_select on public.tenant_entitlements
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

-- billing_sync acts for every tenant on Stripe's word; see the audit allow-list.
create policy tenant_entitlements_select_as_billing_sync on public.tenant_entitlements
  for select to billing_sync using (tenant_id is not null);
create policy tenant_entitlements_insert_as_billing_sync on public.tenant_entitlements
  for insert to billing_sync with check (tenant_id is not null);
create policy tenant_entitlements_update_as_billing_sync on public.tenant_entitlements
  for update to billing_sync using (tenant_id is not null) with check (tenant_id is not null);
create policy tenant_entitlements_delete_as_billing_sync on public.tenant_entitlements
  for delete to billing_sync using (tenant_id is not null);

reset role;
