-- The billing outbox: what must be told to Stripe, written in the transaction of the change
-- that causes it, sent later with retries.
--
-- Two kinds:
--   seats  a tenant's membership changed; the sender recounts the members and sets the quantity
--          of the tenant's plan item (seats = member count). The sender settles all of a tenant's
--          pending seat rows with one recount.
--   usage  a document was created; the sender records one Billing Meter event with the document
--          id as its `identifier`, so a retried send is counted once by Stripe.
-- Rows come from triggers on memberships and documents (a later migration); the sender
-- (billing_sync) marks them sent, skipped (the tenant has no Stripe customer or plan item) or
-- failed with a retry time.
--
-- A tenant table (tenant_id) with FORCE RLS like every other, but not exposed to tenants at all:
-- only the triggers (running as tenancy_owner) insert, only billing_sync reads and updates.
-- tenant_id has no foreign key on purpose: deleting a tenant deletes its memberships, whose
-- trigger enqueues a seat recount for a tenant that no longer exists by the end of the
-- statement. The sender skips rows of tenants without a Stripe customer, deleted ones included.

set local role tenancy_owner;

create table private.billing_outbox (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  kind text not null check (kind in ('seats', 'usage')),
  -- usage: the document id (the meter event identifier) and when it happened.
  identifier text,
  occurred_at timestamptz not null default now(),
  status text not null default 'pending' check (status in ('pending', 'sent', 'skipped', 'failed')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_error text,
  sent_at timestamptz,
  primary key (tenant_id, id),
  check ((kind = 'usage') = (identifier is not null))
);
comment on table private.billing_outbox is 'Seat and usage updates owed to Stripe, sent with retries by the billing outbox sender (billing_sync).';

-- The sender's queue (the tenant index every tenant table has serves its per-tenant seat rows).
create index billing_outbox_due_idx on private.billing_outbox (tenant_id, next_attempt_at) where status in ('pending', 'failed');
create index billing_outbox_queue_idx on private.billing_outbox (next_attempt_at) where status in ('pending', 'failed');

alter table private.billing_outbox enable row level security;
alter table private.billing_outbox force row level security;

revoke all on table private.billing_outbox from public, anon, authenticated, service_role;
grant insert (tenant_id, kind, identifier, occurred_at) on table private.billing_outbox to tenancy_owner;
grant select, update, delete on table private.billing_outbox to billing_sync;

-- The enqueue triggers (SECURITY DEFINER, tenancy_owner) record changes of whichever tenant a
-- statement touched, like the audit triggers. See the audit allow-list.
create policy billing_outbox_insert_as_tenancy_owner on private.billing_outbox
  for insert to tenancy_owner
  with check (status = 'pending' and attempts = 0 and sent_at is null);
create policy billing_outbox_select_as_billing_sync on private.billing_outbox
  for select to billing_sync using (tenant_id is not null);
create policy billing_outbox_update_as_billing_sync on private.billing_outbox
  for update to billing_sync using (tenant_id is not null) with check (tenant_id is not null);
create policy billing_outbox_delete_as_billing_sync on private.billing_outbox
  for delete to billing_sync using (tenant_id is not null);

reset role;
