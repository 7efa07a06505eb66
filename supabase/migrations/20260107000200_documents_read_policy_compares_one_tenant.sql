-- documents_select compares tenant_id with one tenant again, so a lookup by key uses the key.
--
-- Break-glass reads (20260105000400_break_glass_grants.sql) made the policy
-- `tenant_id = any ((select private.readable_tenant_ids())::uuid[])`: the caller's tenant plus a
-- granted one. With an array on the left of the tenant filter the planner can no longer treat
-- tenant_id as one known value: a single-document lookup scanned the tenant's date index and
-- filtered a hundred rows by id instead of probing the primary key (docs/benchmarks.md).
--
-- private.readable_tenant_id() returns one tenant:
--   * during an audited staff read (`bulkhead.staff_read_tenant` names a tenant and
--     private.staff_read_marks holds this transaction's mark for it, written by
--     private.staff_begin_read() beside the audit entry) and while the staff member's grant on it
--     is live: that tenant;
--   * otherwise: the caller's own tenant, as private.current_tenant_id() answers it (read from
--     private.verified_request() directly: one definer call fewer on every read). A hand-set marker
--     without a mark changes nothing.
-- Same rules as readable_tenant_ids(), with one difference: a staff read transaction sees the
-- granted tenant only, not also the staff member's own tenant. The admin console reads one tenant
-- per transaction, so nothing it does changes. Writes still compare with current_tenant_id():
-- a grant never allows a write.

set local role tenancy_owner;

create function private.readable_tenant_id()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  reading text := nullif(pg_catalog.current_setting('bulkhead.staff_read_tenant', true), '');
  staff uuid;
  granted uuid;
begin
  if reading is not null and reading ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
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
      if granted is not null then
        return granted;
      end if;
    end if;
  end if;
  -- current_tenant_id()'s one line, without a third definer call on every tenant read.
  return nullif(pg_catalog.split_part(private.verified_request(), '|', 1), '')::uuid;
end
$$;
comment on function private.readable_tenant_id() is
  'The tenant whose rows the caller may read: during an audited staff read under a live break-glass grant that tenant, otherwise private.current_tenant_id(). Call it wrapped: tenant_id = (select private.readable_tenant_id()).';
revoke all on function private.readable_tenant_id() from public, anon, authenticated, service_role;
grant execute on function private.readable_tenant_id() to authenticated;

alter policy documents_select on public.documents
  using (tenant_id = (select private.readable_tenant_id()));

drop function private.readable_tenant_ids();

comment on table private.staff_read_marks is
  'One row per audited staff read: the transaction that logged it. readable_tenant_id() requires the current transaction''s row.';
comment on function private.staff_begin_read(uuid, text) is
  'Logs a staff read of a tenant''s data and lets private.readable_tenant_id() answer that tenant for the rest of the transaction (if a live grant exists).';

reset role;
