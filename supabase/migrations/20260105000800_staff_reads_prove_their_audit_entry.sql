-- Break-glass visibility needs proof that this very transaction logged the read.
--
-- readable_tenant_ids() took the transaction-local setting `bulkhead.staff_read_tenant` as proof
-- that private.staff_begin_read() had written the audit entry. But any session can set a custom
-- setting itself: a staff member with a live grant and a raw SQL connection as `authenticated`
-- could read the tenant's rows without a `staff.read_data` entry (found in review). Two changes:
--
-- 1. staff_begin_read() also records (this transaction's id, staff member, tenant) in
--    private.staff_read_marks, a table only tenancy_owner's definer code touches, in the same
--    transaction as the audit entry. readable_tenant_ids() includes the tenant only when that mark
--    exists for the current transaction (pg_current_xact_id_if_assigned(): the inserts gave the
--    transaction its id). The setting stays as the cheap "is this a staff read at all?" test, so a
--    tenant user's query still never reads a table here.
-- 2. A grant's expiry is compared with clock_timestamp(), not now() (the transaction's start): a
--    transaction held open past the expiry no longer keeps the grant alive.
--
-- Also: private.staff_audit() is no longer executable by `authenticated`. Only definer functions
-- call it; executable directly, it let staff write arbitrary entries (e.g. a fake
-- `member.removed`) into any tenant's audit log.

set local role tenancy_owner;

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

create or replace function private.staff_begin_read(tenant uuid, what text)
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

create or replace function private.readable_tenant_ids()
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

revoke execute on function private.staff_audit(uuid, text, text, uuid, jsonb) from authenticated;

reset role;
