-- What feeds the billing outbox: membership changes (seats) and created documents (usage).
--
-- AFTER triggers, in the transaction of the change, so an update owed to Stripe is recorded
-- exactly when the change commits. SECURITY DEFINER as tenancy_owner because the inserting user
-- has no access to the outbox at all; the insert policy for tenancy_owner admits only fresh
-- pending rows. A burst of membership changes leaves several seat rows; the sender counts the
-- members once and settles them together. A usage row's meter `identifier` is generated per row
-- (document id plus a random part), not the document id alone: members choose document ids, and
-- Stripe counts an identifier once, so a re-created id would otherwise go unbilled; retries of one
-- row still send the same identifier.

set local role tenancy_owner;

create function private.billing_enqueue_seats()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  tenant uuid := case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end;
begin
  insert into private.billing_outbox (tenant_id, kind)
  values (tenant, 'seats');
  return null;
end
$$;

create function private.billing_enqueue_usage()
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

revoke all on function private.billing_enqueue_seats() from public, anon, authenticated, service_role;
revoke all on function private.billing_enqueue_usage() from public, anon, authenticated, service_role;

create trigger memberships_billing_seats
  after insert or delete on public.memberships
  for each row execute function private.billing_enqueue_seats();

create trigger documents_billing_usage
  after insert on public.documents
  for each row execute function private.billing_enqueue_usage();

reset role;
