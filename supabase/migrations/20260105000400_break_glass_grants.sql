-- Break-glass: a staff member reads one tenant's data for a written reason, for at most an hour,
-- and every read is recorded in that tenant's audit log.
--
-- private.staff_access_grants holds the grants (who, which tenant, why, until when, ended when).
-- A grant never changes tenant, staff member, reason or expiry: ending one early sets ended_at.
-- Only tenancy_owner's definer code touches the table (the staff functions in
-- 20260105000500_staff_console.sql), through a policy that requires the caller to be staff at
-- aal2 (private.staff_user_id()).
--
-- How a grant becomes visibility, read-only:
--   private.readable_tenant_ids() = the caller's current tenant (private.current_tenant_id())
--     plus the tenant of a live grant of the calling staff member — but only for the tenant named
--     by `bulkhead.staff_read_tenant` (a transaction-local setting) and only when
--     private.staff_read_marks holds a row for this very transaction, staff member and tenant.
--     private.staff_begin_read() writes that row in the same transaction as the audit entry. The
--     setting alone proves nothing (any session can set a custom setting); it only spares tenant
--     users' queries a table read. A grant alone therefore shows nothing: only a logged read does.
--   Expiry is compared with clock_timestamp(), not now() (the transaction's start): a transaction
--     held open past the expiry does not keep the grant alive.
--   The SELECT policy of documents compares `tenant_id = any ((select private.readable_tenant_ids())::uuid[])`:
--     one InitPlan per statement, an index scan on (tenant_id, ...), as before.
--   INSERT, UPDATE and DELETE policies keep private.current_tenant_id(): a grant never allows a
--     write. Staff without a grant, with an expired or ended grant, or at aal1 see zero rows.
-- For a normal tenant user the function returns after reading the claims (no staff claim), so
-- the tenant hot path pays one extra plpgsql call, not a table read.

set local role tenancy_owner;

create table private.staff_access_grants (
  id uuid not null default gen_random_uuid() primary key,
  staff_user_id uuid not null,
  granted_tenant_id uuid not null references public.tenants (id) on delete cascade,
  reason text not null check (pg_catalog.length(pg_catalog.btrim(reason)) between 10 and 500),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  ended_at timestamptz,
  constraint staff_access_grants_at_most_one_hour
    check (expires_at > created_at and expires_at <= created_at + interval '1 hour')
);
comment on table private.staff_access_grants is
  'Break-glass grants: read-only access of one staff member to one tenant, with a reason, for at most one hour.';
create index staff_access_grants_staff_idx on private.staff_access_grants (staff_user_id, granted_tenant_id, expires_at);
create index staff_access_grants_tenant_idx on private.staff_access_grants (granted_tenant_id);

alter table private.staff_access_grants enable row level security;
alter table private.staff_access_grants force row level security;
revoke all on table private.staff_access_grants from public, anon, authenticated, service_role;
create policy staff_access_grants_as_tenancy_owner on private.staff_access_grants
  for all to tenancy_owner
  using ((select private.staff_user_id()) is not null)
  with check (staff_user_id = (select private.staff_user_id()));

-- Only ended_at may change, and only from NULL.
create function private.staff_access_grants_keep_terms()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if (new.staff_user_id, new.granted_tenant_id, new.reason, new.created_at, new.expires_at)
       is distinct from (old.staff_user_id, old.granted_tenant_id, old.reason, old.created_at, old.expires_at)
     or old.ended_at is not null then
    raise exception 'a break-glass grant cannot be changed, only ended once' using errcode = '42501';
  end if;
  return new;
end
$$;
revoke all on function private.staff_access_grants_keep_terms() from public, anon, authenticated, service_role;
create trigger staff_access_grants_keep_terms
  before update on private.staff_access_grants
  for each row execute function private.staff_access_grants_keep_terms();

create table private.staff_read_marks (
  transaction_id xid8 not null,
  staff_user_id uuid not null,
  read_tenant_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (transaction_id, staff_user_id, read_tenant_id)
);
comment on table private.staff_read_marks is
  'One row per audited staff read: the transaction that logged it. readable_tenant_ids() requires the current transaction''s row.';

alter table private.staff_read_marks enable row level security;
alter table private.staff_read_marks force row level security;
revoke all on table private.staff_read_marks from public, anon, authenticated, service_role;
create policy staff_read_marks_as_tenancy_owner on private.staff_read_marks
  for all to tenancy_owner
  using (staff_user_id = (select private.staff_user_id()))
  with check (staff_user_id = (select private.staff_user_id()));

create function private.readable_tenant_ids()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  own uuid := private.current_tenant_id();
  reading text := nullif(pg_catalog.current_setting('bulkhead.staff_read_tenant', true), '');
  staff uuid;
  granted uuid;
begin
  if reading is null or reading !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
    return case when own is null then '{}'::uuid[] else array[own] end;
  end if;
  staff := private.staff_user_id();
  if staff is not null and exists (
    select 1
      from private.staff_read_marks m
     where m.transaction_id = pg_catalog.pg_current_xact_id_if_assigned()
       and m.staff_user_id = staff
       and m.read_tenant_id = reading::uuid
  ) then
    select g.granted_tenant_id into granted
      from private.staff_access_grants g
     where g.staff_user_id = staff
       and g.granted_tenant_id = reading::uuid
       and g.ended_at is null
       and g.expires_at > pg_catalog.clock_timestamp()
     limit 1;
  end if;
  return array_remove(array[own, granted], null);
end
$$;
comment on function private.readable_tenant_ids() is
  'Tenants whose rows the caller may read: the current tenant, plus one tenant under a live break-glass grant during an audited staff read. Call it wrapped: tenant_id = any ((select private.readable_tenant_ids())).';
revoke all on function private.readable_tenant_ids() from public, anon, authenticated, service_role;
grant execute on function private.readable_tenant_ids() to authenticated;

alter policy documents_select on public.documents
  using (tenant_id = any ((select private.readable_tenant_ids())::uuid[]));

reset role;
