-- The inbox of Stripe events: one row per event id, written in the same transaction as the
-- event's effects.
--
-- Stripe delivers at least once and in any order. The webhook route inserts the event id first;
-- a duplicate delivery finds the row already `processed` and changes nothing. A handler that fails
-- marks the row `failed` (with the error and the attempt count) in a separate transaction and
-- answers non-2xx, so Stripe retries; reconciliation re-runs failed rows and events it finds in
-- events.list that never arrived. Unknown event types are recorded as `ignored`.
--
-- Not a tenant table: an event names a Stripe object, and which tenant it concerns is only known
-- after re-fetching. Only billing_sync reads or writes it (private schema, no API access).

set local role tenancy_owner;

create table private.stripe_webhook_inbox (
  event_id text not null primary key check (event_id ~ '^evt_[A-Za-z0-9]+$'),
  type text not null,
  created timestamptz not null,
  livemode boolean not null,
  status text not null default 'processing' check (status in ('processing', 'processed', 'ignored', 'failed')),
  attempts integer not null default 1 check (attempts >= 0),
  last_error text,
  received_via text not null default 'webhook' check (received_via in ('webhook', 'reconcile')),
  received_at timestamptz not null default now(),
  processed_at timestamptz
);
comment on table private.stripe_webhook_inbox is 'Every Stripe event seen (webhook or reconciliation), by id: the deduplication record and what reconciliation re-runs when failed.';

create index stripe_webhook_inbox_failed_idx on private.stripe_webhook_inbox (created) where status = 'failed';

revoke all on table private.stripe_webhook_inbox from public, anon, authenticated, service_role;
grant select, insert, update on table private.stripe_webhook_inbox to billing_sync;

reset role;
