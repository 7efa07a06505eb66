-- Suspending a tenant locks its members out on their next query.
--
-- tenants.status ('active' | 'suspended') stays the one place that says whether a tenant is
-- suspended; staff change it (20260105000500_staff_console.sql). What makes it bite is a
-- RESTRICTIVE policy on memberships for tenancy_owner — the role the tenancy helpers
-- (current_tenant_id(), current_tenant_role(), current_user_tenant_ids()) read memberships as:
-- a membership of a suspended tenant is invisible to them, so for its members every helper
-- answers NULL / nothing and every tenant policy yields zero rows, reads and writes alike, with no
-- change to the helpers themselves or to any tenant table's policies.
--
-- The helpers cannot read tenants.status (tenancy_owner sees no tenant rows: FORCE RLS and no
-- policy for it there), so private.tenant_suspensions mirrors the suspended tenant ids, kept in
-- step by a trigger on tenants. It holds ids only, is read by primary key (one index probe per
-- membership row the helper looks at), and only tenancy_owner's definer code touches it.
--
-- private.claimed_tenant_suspended() lets the apps tell "your tenant is suspended" from "you are
-- no longer a member": it answers only about the tenant the caller's own token names.

set local role tenancy_owner;

create table private.tenant_suspensions (
  suspended_tenant_id uuid not null primary key references public.tenants (id) on delete cascade,
  suspended_at timestamptz not null default now()
);
comment on table private.tenant_suspensions is
  'Ids of suspended tenants, mirrored from tenants.status by a trigger; read by the restrictive memberships policy.';

alter table private.tenant_suspensions enable row level security;
alter table private.tenant_suspensions force row level security;
revoke all on table private.tenant_suspensions from public, anon, authenticated, service_role;
-- tenancy_owner (the helpers, through the restrictive policy below) only reads it; the mirror
-- trigger, owned by postgres, is its only writer.
create policy tenant_suspensions_select_as_tenancy_owner on private.tenant_suspensions
  for select to tenancy_owner
  using (true);

create policy memberships_hidden_while_suspended on public.memberships
  as restrictive
  for select to tenancy_owner
  using (not exists (select 1 from private.tenant_suspensions s where s.suspended_tenant_id = memberships.tenant_id));

create function private.claimed_tenant_suspended()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  claimed text := coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb)
    -> 'app_metadata' ->> 'tenant_id';
begin
  if private.current_user_id() is null
     or claimed is null
     or claimed !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
    return false;
  end if;
  return exists (select 1 from private.tenant_suspensions s where s.suspended_tenant_id = claimed::uuid);
end
$$;
comment on function private.claimed_tenant_suspended() is
  'true when the live caller''s token names a tenant that is suspended (the apps show the suspended page).';
revoke all on function private.claimed_tenant_suspended() from public, anon, authenticated, service_role;
grant execute on function private.claimed_tenant_suspended() to authenticated;

reset role;

-- The mirror trigger, owned by postgres: it writes private.tenant_suspensions for whoever changes
-- a tenant's status, and nothing else.
create function private.mirror_tenant_suspension()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.status = 'suspended' then
    insert into private.tenant_suspensions (suspended_tenant_id) values (new.id) on conflict do nothing;
  else
    delete from private.tenant_suspensions where suspended_tenant_id = new.id;
  end if;
  return null;
end
$$;
comment on function private.mirror_tenant_suspension() is 'Trigger: keeps private.tenant_suspensions equal to the tenants whose status is suspended.';
revoke all on function private.mirror_tenant_suspension() from public, anon, authenticated, service_role;

create trigger tenants_mirror_suspension
  after insert or update of status on public.tenants
  for each row execute function private.mirror_tenant_suspension();

-- Tenants suspended before this migration (postgres reads every tenant).
insert into private.tenant_suspensions (suspended_tenant_id)
select t.id from public.tenants t where t.status = 'suspended'
on conflict do nothing;
