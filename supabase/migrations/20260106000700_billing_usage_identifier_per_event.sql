-- Each created document is its own meter event, even when a document id comes back.
--
-- The usage outbox row used the document's id as the Billing Meter event's `identifier`, and
-- Stripe counts an identifier once (for at least 24 hours). Members choose a document's id on
-- insert, so creating, deleting and re-creating a document with the same id was billed once
-- (found in review). The identifier is now generated per outbox row: retries of one row still send
-- the same identifier (Stripe still counts it once), and every insert is a new event.

set local role tenancy_owner;

create or replace function private.billing_enqueue_usage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.billing_outbox (tenant_id, kind, identifier, occurred_at)
  values (new.tenant_id, 'usage', 'doc_' || new.id::text || '_' || pg_catalog.gen_random_uuid()::text, new.created_at);
  return null;
end
$$;

reset role;
