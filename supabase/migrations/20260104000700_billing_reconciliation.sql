-- What reconciliation found, per tenant, and the job's own log.
--
-- public.billing_reconciliation_runs  one row per tenant and run that found drift (or would have,
--     in a dry run): the differences between the local billing rows and Stripe, as readable
--     strings, and whether they were repaired. A tenant's members read their own rows.
-- private.billing_reconciliation_log  one row per run: counts and errors. Not tenant data.
--
-- Only billing_sync writes either. run_id names the run without a foreign key: a tenant's history
-- stays when the job's own log is pruned.

set local role tenancy_owner;

create table public.billing_reconciliation_runs (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  run_id uuid not null,
  dry_run boolean not null,
  differences jsonb not null,
  repaired boolean not null,
  checked_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
comment on table public.billing_reconciliation_runs is 'Per tenant and reconciliation run that found drift: how the local billing rows differed from Stripe (a JSON array of strings) and whether they were repaired.';

create index billing_reconciliation_runs_tenant_checked_idx on public.billing_reconciliation_runs (tenant_id, checked_at desc);

create table private.billing_reconciliation_log (
  run_id uuid not null primary key,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  dry_run boolean not null,
  events_replayed integer not null default 0,
  tenants_checked integer not null default 0,
  tenants_drifted integer not null default 0,
  error text
);
comment on table private.billing_reconciliation_log is 'One row per `pnpm billing:reconcile` run. Only billing_sync reads or writes it.';

alter table public.billing_reconciliation_runs enable row level security;
alter table public.billing_reconciliation_runs force row level security;

revoke all on table public.billing_reconciliation_runs from public, anon, authenticated, service_role;
revoke all on table private.billing_reconciliation_log from public, anon, authenticated, service_role;
grant select on table public.billing_reconciliation_runs to authenticated;
grant select, insert, update, delete on table public.billing_reconciliation_runs to billing_sync;
grant select, insert, update on table private.billing_reconciliation_log to billing_sync;

create policy billing_reconciliation_runs_select on public.billing_reconciliation_runs
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

-- billing_sync acts for every tenant; see the audit allow-list.
create policy billing_reconciliation_runs_select_as_billing_sync on public.billing_reconciliation_runs
  for select to billing_sync using (tenant_id is not null);
create policy billing_reconciliation_runs_insert_as_billing_sync on public.billing_reconciliation_runs
  for insert to billing_sync with check (tenant_id is not null);
create policy billing_reconciliation_runs_update_as_billing_sync on public.billing_reconciliation_runs
  for update to billing_sync using (tenant_id is not null) with check (tenant_id is not null);
create policy billing_reconciliation_runs_delete_as_billing_sync on public.billing_reconciliation_runs
  for delete to billing_sync using (tenant_id is not null);

reset role;
