-- The staff console's database API: every read and action apps/admin performs, each one checking
-- "staff at aal2" (private.require_staff()) first and writing audit_log before it returns.
--
-- apps/admin has no privileged credential: it runs these as `authenticated` with the staff
-- member's verified claims (withTenant's transaction), exactly like the tenant app. What each
-- function may touch is therefore decided here, per function:
--
--   * tenant metadata (list, detail, members, billing summary, audit log) and the actions that
--     cross tenants (suspend, end a user's sessions, list grants): SECURITY DEFINER owned by
--     postgres, like public.tenant_members(), because they read auth.users/auth.sessions or every
--     tenant's rows. Each filters explicitly and refuses non-staff callers before reading.
--     Tenant *data* is never among them.
--   * opening and ending a break-glass grant: SECURITY DEFINER owned by tenancy_owner, under the
--     staff-only policy on private.staff_access_grants.
--   * reading a tenant's data (documents): SECURITY INVOKER. It logs the read and marks it
--     (private.staff_begin_read), then selects as the caller, so documents' own RLS decides:
--     rows appear only under a live grant (20260105000400_break_glass_grants.sql).
--
-- The tenant list's plan column lists the live subscriptions (active, trialing, past_due), oldest
-- first: Checkout refuses an add-on without a live base plan, so the first is the base plan and
-- its plan item's quantity is the seat count; nothing live → NULL (the free tier).
--
-- Audit entries: private.staff_audit() is called only by these definer functions (never directly
-- by `authenticated`, or staff could write any entry into any tenant's log). Actions on a tenant
-- go to that tenant's audit_log (its admins see who looked);
-- reads that span tenants (the tenant list, the grant list) go to the operator's log, tenant id
-- 00000000-0000-0000-0000-000000000000. Actions are `staff.<verb>`; actor_id is the staff member.

set local role tenancy_owner;

create function private.staff_audit(tenant uuid, action text, target_type text, target_id uuid, details jsonb)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.require_staff();
  insert into public.audit_log (tenant_id, actor_id, action, target_type, target_id, details)
  values (tenant, private.uuid_or_null(private.request_claims() ->> 'sub'), action, target_type, target_id,
          coalesce(details, '{}'::jsonb));
end
$$;
comment on function private.staff_audit(uuid, text, text, uuid, jsonb) is
  'Writes one audit_log entry for a staff read or action (refuses non-staff callers).';

create function private.staff_begin_read(tenant uuid, what text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.staff_audit(tenant, 'staff.read_data', 'tenant', tenant, pg_catalog.jsonb_build_object('what', what));
  insert into private.staff_read_marks (transaction_id, staff_user_id, read_tenant_id)
  values (pg_catalog.pg_current_xact_id(), private.staff_user_id(), tenant)
  on conflict do nothing;
  -- The caller's own marks older than a day prove nothing any more.
  delete from private.staff_read_marks m
   where m.staff_user_id = private.staff_user_id() and m.created_at < pg_catalog.now() - interval '1 day';
  perform pg_catalog.set_config('bulkhead.staff_read_tenant', tenant::text, true);
end
$$;
comment on function private.staff_begin_read(uuid, text) is
  'Logs a staff read of a tenant''s data and lets private.readable_tenant_ids() include that tenant for the rest of the transaction (if a live grant exists).';

revoke all on function private.staff_audit(uuid, text, text, uuid, jsonb) from public, anon, authenticated, service_role;
revoke all on function private.staff_begin_read(uuid, text) from public, anon, authenticated, service_role;
grant execute on function private.staff_begin_read(uuid, text) to authenticated;

-- Break-glass grants (tenancy_owner, under the staff-only policy).
create function public.staff_open_grant(tenant_id uuid, reason text, minutes integer)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  staff uuid := private.require_staff();
  grant_id uuid;
begin
  if minutes is null or minutes < 1 or minutes > 60 then
    raise exception 'a break-glass grant lasts 1 to 60 minutes' using errcode = '22023';
  end if;
  if reason is null or pg_catalog.length(pg_catalog.btrim(reason)) < 10 then
    raise exception 'a break-glass grant needs a written reason (at least 10 characters)' using errcode = '22023';
  end if;
  insert into private.staff_access_grants (staff_user_id, granted_tenant_id, reason, expires_at)
  values (staff, staff_open_grant.tenant_id, pg_catalog.btrim(reason), pg_catalog.now() + pg_catalog.make_interval(mins => minutes))
  returning id into grant_id;
  perform private.staff_audit(staff_open_grant.tenant_id, 'staff.grant_opened', 'tenant', staff_open_grant.tenant_id,
    pg_catalog.jsonb_build_object('grant_id', grant_id, 'reason', pg_catalog.btrim(reason), 'minutes', minutes));
  return grant_id;
end
$$;
comment on function public.staff_open_grant(uuid, text, integer) is
  'Staff at aal2: opens a read-only break-glass grant on one tenant for 1-60 minutes with a written reason; audited.';

create function public.staff_end_grant(grant_id uuid)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  tenant uuid;
begin
  perform private.require_staff();
  update private.staff_access_grants g
     set ended_at = pg_catalog.now()
   where g.id = grant_id and g.ended_at is null and g.expires_at > pg_catalog.now()
  returning g.granted_tenant_id into tenant;
  if tenant is null then
    return false;
  end if;
  perform private.staff_audit(tenant, 'staff.grant_ended', 'tenant', tenant, pg_catalog.jsonb_build_object('grant_id', grant_id));
  return true;
end
$$;
comment on function public.staff_end_grant(uuid) is 'Staff at aal2: ends a live break-glass grant now; audited. false when it was not live.';

revoke all on function public.staff_open_grant(uuid, text, integer) from public, anon, authenticated, service_role;
revoke all on function public.staff_end_grant(uuid) from public, anon, authenticated, service_role;
grant execute on function public.staff_open_grant(uuid, text, integer) to authenticated;
grant execute on function public.staff_end_grant(uuid) to authenticated;

-- Tenant data under a grant: invoker, so documents' RLS decides.
create function public.staff_tenant_documents(tenant_id uuid, page_size integer default 20, page_offset integer default 0)
returns table (id uuid, title text, body text, author_id uuid, updated_at timestamptz)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  perform private.staff_begin_read(staff_tenant_documents.tenant_id, 'documents');
  return query
    select d.id, d.title, d.body, d.author_id, d.updated_at
      from public.documents d
     where d.tenant_id = staff_tenant_documents.tenant_id
     order by d.updated_at desc, d.id
     limit least(greatest(coalesce(page_size, 20), 1), 100)
    offset greatest(coalesce(page_offset, 0), 0);
end
$$;
comment on function public.staff_tenant_documents(uuid, integer, integer) is
  'Staff at aal2: a tenant''s documents, visible only under a live break-glass grant (RLS); every call is audited.';
revoke all on function public.staff_tenant_documents(uuid, integer, integer) from public, anon, authenticated, service_role;
grant execute on function public.staff_tenant_documents(uuid, integer, integer) to authenticated;

reset role;

-- Metadata and cross-tenant actions: owned by postgres (reads auth.* and every tenant's rows).

create function public.staff_tenants(search text default '', page_size integer default 20, page_offset integer default 0)
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
comment on function public.staff_tenants(text, integer, integer) is
  'Staff at aal2: tenants with member count, plan and seats, searched by name or slug, paginated; audited.';

create function public.staff_tenant(tenant_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  tenant uuid := staff_tenant.tenant_id;
  result jsonb;
begin
  perform private.staff_audit(tenant, 'staff.viewed_tenant', 'tenant', tenant, '{}'::jsonb);
  select pg_catalog.jsonb_build_object(
           'id', t.id, 'name', t.name, 'slug', t.slug, 'status', t.status, 'created_at', t.created_at,
           'members', coalesce((
             select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'user_id', m.user_id, 'email', u.email, 'role', m.role, 'joined_at', m.created_at)
                      order by m.created_at)
               from public.memberships m left join auth.users u on u.id = m.user_id
              where m.tenant_id = t.id), '[]'::jsonb),
           'subscriptions', coalesce((
             select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'id', b.stripe_subscription_id, 'status', b.status, 'plan', b.plan_lookup_key,
                      'cancel_at_period_end', b.cancel_at_period_end,
                      'seats', (select sum(i.quantity) from public.billing_subscription_items i
                                 where i.tenant_id = b.tenant_id and i.stripe_subscription_id = b.stripe_subscription_id))
                      order by b.stripe_created desc)
               from public.billing_subscriptions b where b.tenant_id = t.id), '[]'::jsonb),
           'entitlements', coalesce((
             select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('feature', e.feature, 'limit', e.limit_value, 'source', e.source)
                      order by e.feature)
               from public.tenant_entitlements e where e.tenant_id = t.id), '[]'::jsonb),
           'last_drift', (
             select pg_catalog.jsonb_build_object(
               'checked_at', d.checked_at, 'differences', d.differences, 'repaired', d.repaired, 'dry_run', d.dry_run)
               from public.billing_reconciliation_runs d where d.tenant_id = t.id
              order by d.checked_at desc limit 1),
           'audit_log', coalesce((
             select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'occurred_at', a.occurred_at, 'actor_id', a.actor_id, 'actor_email', u.email, 'action', a.action,
                      'target_type', a.target_type, 'target_id', a.target_id, 'details', a.details)
                      order by a.occurred_at desc)
               from (select * from public.audit_log l where l.tenant_id = t.id order by l.occurred_at desc limit 100) a
               left join auth.users u on u.id = a.actor_id), '[]'::jsonb))
    into result
    from public.tenants t
   where t.id = tenant;
  return result;
end
$$;
comment on function public.staff_tenant(uuid) is
  'Staff at aal2: one tenant''s metadata — members, subscriptions, entitlements, last reconciliation drift, latest 100 audit entries; audited. NULL when no such tenant.';

create function public.staff_set_tenant_status(tenant_id uuid, status text, reason text)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  tenant uuid := staff_set_tenant_status.tenant_id;
  changed boolean;
begin
  perform private.require_staff();
  if status is null or status not in ('active', 'suspended') then
    raise exception 'status must be active or suspended' using errcode = '22023';
  end if;
  if reason is null or pg_catalog.length(pg_catalog.btrim(reason)) < 3 then
    raise exception 'say why (a reason of at least 3 characters)' using errcode = '22023';
  end if;
  update public.tenants t set status = staff_set_tenant_status.status
   where t.id = tenant and t.status <> staff_set_tenant_status.status;
  changed := found;
  if changed then
    perform private.staff_audit(tenant, case status when 'suspended' then 'staff.suspended_tenant' else 'staff.unsuspended_tenant' end,
      'tenant', tenant, pg_catalog.jsonb_build_object('reason', pg_catalog.btrim(reason)));
  end if;
  return changed;
end
$$;
comment on function public.staff_set_tenant_status(uuid, text, text) is
  'Staff at aal2: suspends or reactivates a tenant (its members lose or regain access on their next query); audited.';

create function public.staff_end_user_sessions(user_id uuid)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  target uuid := staff_end_user_sessions.user_id;
  ended integer;
  tenant uuid;
begin
  perform private.require_staff();
  delete from auth.sessions s where s.user_id = target;
  get diagnostics ended = row_count;
  -- Recorded in every tenant the user belongs to, else in the operator's log.
  for tenant in select m.tenant_id from public.memberships m where m.user_id = target loop
    perform private.staff_audit(tenant, 'staff.ended_sessions', 'user', target, pg_catalog.jsonb_build_object('sessions', ended));
  end loop;
  if not found then
    perform private.staff_audit('00000000-0000-0000-0000-000000000000', 'staff.ended_sessions', 'user', target,
      pg_catalog.jsonb_build_object('sessions', ended));
  end if;
  return ended;
end
$$;
comment on function public.staff_end_user_sessions(uuid) is
  'Staff at aal2: ends every session of a user (their tokens stop working on the next query); audited.';

create function public.staff_grants(include_ended boolean default false)
returns table (
  id uuid, staff_user_id uuid, staff_email text, tenant_id uuid, tenant_name text, reason text,
  created_at timestamptz, expires_at timestamptz, ended_at timestamptz, live boolean
)
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.staff_audit('00000000-0000-0000-0000-000000000000', 'staff.listed_grants', null, null, '{}'::jsonb);
  return query
    select g.id, g.staff_user_id, u.email::text, g.granted_tenant_id, t.name, g.reason, g.created_at, g.expires_at, g.ended_at,
           (g.ended_at is null and g.expires_at > pg_catalog.now())
      from private.staff_access_grants g
      join public.tenants t on t.id = g.granted_tenant_id
      left join auth.users u on u.id = g.staff_user_id
     where coalesce(include_ended, false) or (g.ended_at is null and g.expires_at > pg_catalog.now())
     order by g.created_at desc
     limit 200;
end
$$;
comment on function public.staff_grants(boolean) is 'Staff at aal2: break-glass grants, live ones only unless asked; audited.';

revoke all on function public.staff_tenants(text, integer, integer) from public, anon, authenticated, service_role;
revoke all on function public.staff_tenant(uuid) from public, anon, authenticated, service_role;
revoke all on function public.staff_set_tenant_status(uuid, text, text) from public, anon, authenticated, service_role;
revoke all on function public.staff_end_user_sessions(uuid) from public, anon, authenticated, service_role;
revoke all on function public.staff_grants(boolean) from public, anon, authenticated, service_role;
grant execute on function public.staff_tenants(text, integer, integer) to authenticated;
grant execute on function public.staff_tenant(uuid) to authenticated;
grant execute on function public.staff_set_tenant_status(uuid, text, text) to authenticated;
grant execute on function public.staff_end_user_sessions(uuid) to authenticated;
grant execute on function public.staff_grants(boolean) to authenticated;
