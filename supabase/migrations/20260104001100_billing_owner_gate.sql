-- The database half of "only owners start Checkout or open the Billing Portal".
--
-- The billing actions call public.billing_owner_gate() inside withTenant() before they ask
-- Stripe for anything; it raises unless the live caller is an owner of the current tenant, and
-- returns the tenant id and its Stripe customer (null before the first checkout). The action
-- wrapper checks the same permission first; this check holds even if that one is wrong.
--
-- SECURITY INVOKER: the caller's own policies answer every question here.

set local role tenancy_owner;

create function public.billing_owner_gate()
returns table (tenant_id uuid, stripe_customer_id text)
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  tenant uuid := private.current_tenant_id();
begin
  if tenant is null then
    raise exception 'no current tenant' using errcode = '42501';
  end if;
  if private.current_tenant_role() is distinct from 'owner' then
    raise exception 'only owners manage billing' using errcode = '42501';
  end if;
  return query
    select tenant, (select c.stripe_customer_id from public.billing_customers c where c.tenant_id = tenant);
end
$$;
comment on function public.billing_owner_gate() is
  'Raises unless the caller owns the current tenant; returns the tenant id and its Stripe customer id (or null). Billing actions call it before Checkout or the Portal.';

revoke all on function public.billing_owner_gate() from public, anon, authenticated, service_role;
grant execute on function public.billing_owner_gate() to authenticated;

reset role;
