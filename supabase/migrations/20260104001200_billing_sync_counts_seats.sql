-- billing_sync may count each tenant's members: seats = member count, pushed to Stripe.
--
-- The outbox sender sets the quantity of a tenant's plan item to its number of memberships. It
-- gets the tenant_id column of memberships and nothing else (not who the members are, nor their
-- roles), through a select policy of its own.

set local role tenancy_owner;

grant select (tenant_id) on table public.memberships to billing_sync;

create policy memberships_select_as_billing_sync on public.memberships
  for select to billing_sync
  using (tenant_id is not null);

reset role;
