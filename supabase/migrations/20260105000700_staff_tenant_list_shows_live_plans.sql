-- The staff tenant list's plan column: every live subscription, base plan first.
--
-- A tenant can now hold several subscriptions at once (a base plan and add-ons, see the
-- 20260106 billing migrations). The list showed the newest subscription, which after an add-on
-- purchase is the add-on, and a canceled one when nothing was live. It now shows the lookup keys
-- of the live subscriptions (active, trialing, past_due) oldest first, joined with " + ": Checkout
-- refuses an add-on without a live base plan, so the oldest live subscription is the base plan,
-- and its plan item's quantity is the seat count. No live subscription → NULL (the free tier).
-- Same signature, owner (postgres), grants, staff check and audit entry as before.

create or replace function public.staff_tenants(search text default '', page_size integer default 20, page_offset integer default 0)
returns table (
  id uuid, name text, slug text, status text, created_at timestamptz, member_count bigint,
  plan text, seats integer, total_count bigint
)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  pattern text := '%' || replace(replace(replace(coalesce(pg_catalog.btrim(search), ''), '\', '\\'), '%', '\%'), '_', '\_') || '%';
begin
  perform private.staff_audit('00000000-0000-0000-0000-000000000000', 'staff.listed_tenants', null, null,
    pg_catalog.jsonb_build_object('search', coalesce(search, ''), 'offset', coalesce(page_offset, 0)));
  return query
    select t.id, t.name, t.slug, t.status, t.created_at,
           (select count(*) from public.memberships m where m.tenant_id = t.id),
           live.plans,
           live.base_seats,
           count(*) over ()
      from public.tenants t
      left join lateral (
        select pg_catalog.string_agg(coalesce(b.plan_lookup_key, '?'), ' + ' order by b.stripe_created, b.stripe_subscription_id) as plans,
               (pg_catalog.array_agg(
                  (select sum(i.quantity)::integer from public.billing_subscription_items i
                    where i.tenant_id = b.tenant_id and i.stripe_subscription_id = b.stripe_subscription_id
                      and i.price_lookup_key is not distinct from b.plan_lookup_key)
                  order by b.stripe_created, b.stripe_subscription_id))[1] as base_seats
          from public.billing_subscriptions b
         where b.tenant_id = t.id
           and b.status::text in ('active', 'trialing', 'past_due')
      ) live on true
     where t.name ilike pattern or t.slug ilike pattern
     order by t.created_at desc, t.id
     limit least(greatest(coalesce(page_size, 20), 1), 100)
    offset greatest(coalesce(page_offset, 0), 0);
end
$$;
