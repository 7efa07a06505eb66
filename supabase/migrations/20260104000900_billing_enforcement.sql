-- The plan's limits, enforced where the rows are written.
--
--   documents    creating one needs the `documents` feature, and the tenant's documents stay
--                within its limit.
--   invitations  inviting needs a free seat: members plus pending invitations stay within the
--                `seats` limit. (Accepting an invitation then cannot exceed it.)
--
-- BEFORE INSERT triggers, SECURITY INVOKER: the counts go through the inserting user's own
-- policies, which show exactly the tenant being written to (the insert policies already require
-- it to be the current tenant). A transaction-scoped advisory lock per tenant and resource
-- serialises concurrent inserts, so two at the limit cannot both pass.
-- The errors use SQLSTATE 23514 (check_violation) with a message written for the user; the
-- action wrapper shows such messages as they are.

set local role tenancy_owner;

create function private.billing_enforce_document_limit()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  cap integer;
begin
  if not private.has_feature(new.tenant_id, 'documents') then
    raise exception 'your plan does not include documents' using errcode = '23514', hint = 'Upgrade on the billing page.';
  end if;
  cap := private.feature_limit(new.tenant_id, 'documents');
  if cap is not null then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('billing.documents:' || new.tenant_id::text, 0));
    if (select pg_catalog.count(*) from public.documents d where d.tenant_id = new.tenant_id) >= cap then
      raise exception 'your plan allows % documents; delete one or upgrade on the billing page', cap using errcode = '23514';
    end if;
  end if;
  return new;
end
$$;

create function private.billing_enforce_seat_limit()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  cap integer;
  taken bigint;
begin
  if not private.has_feature(new.tenant_id, 'seats') then
    raise exception 'your plan does not include more members' using errcode = '23514', hint = 'Upgrade on the billing page.';
  end if;
  cap := private.feature_limit(new.tenant_id, 'seats');
  if cap is not null then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('billing.seats:' || new.tenant_id::text, 0));
    taken := (select pg_catalog.count(*) from public.memberships m where m.tenant_id = new.tenant_id)
           + (select pg_catalog.count(*) from public.invitations i
               where i.tenant_id = new.tenant_id and i.accepted_at is null and i.expires_at > pg_catalog.now());
    if taken >= cap then
      raise exception 'your plan allows % members (pending invitations count); upgrade on the billing page', cap using errcode = '23514';
    end if;
  end if;
  return new;
end
$$;

revoke all on function private.billing_enforce_document_limit() from public, anon, authenticated, service_role;
revoke all on function private.billing_enforce_seat_limit() from public, anon, authenticated, service_role;

create trigger documents_billing_limit
  before insert on public.documents
  for each row execute function private.billing_enforce_document_limit();

create trigger invitations_billing_seat_limit
  before insert on public.invitations
  for each row execute function private.billing_enforce_seat_limit();

reset role;
