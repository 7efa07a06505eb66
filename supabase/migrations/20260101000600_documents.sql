-- Documents: the example tenant feature. Copy this file's shape for every new tenant table.
--
-- The pattern, in order:
--   1. tenant_id first, defaulting to the caller's current tenant; primary key (tenant_id, id);
--      any foreign key to another tenant table is (tenant_id, <column>), so a row can never point
--      into another tenant, not even when written through a BYPASSRLS path.
--   2. An index leading with tenant_id that serves the tenant's main list (here: newest first).
--   3. ENABLE and FORCE row level security.
--   4. REVOKE everything, GRANT exactly the commands (and updatable columns) the app needs.
--   5. One policy per command, `to authenticated`, comparing tenant_id with the wrapped helper
--      `(select private.current_tenant_id())` and the role with
--      `(select private.current_tenant_role())`; explicit WITH CHECK on INSERT and UPDATE.
--
-- Who may do what: every member reads; members, admins and owners create and edit; admins and
-- owners delete any document, members only their own. author_id is always the live caller.

set local role tenancy_owner;

create table public.documents (
  tenant_id uuid not null default private.current_tenant_id() references public.tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  title text not null check (pg_catalog.length(pg_catalog.btrim(title)) between 1 and 200),
  body text not null default '',
  author_id uuid not null default private.current_user_id(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
comment on table public.documents is 'Example tenant feature: a tenant''s documents. The template for new tenant tables.';

-- The document list: `where tenant_id = $current order by updated_at desc limit n`.
create index documents_tenant_updated_at_idx on public.documents (tenant_id, updated_at desc);

create trigger documents_touch_updated_at
  before update on public.documents
  for each row execute function private.touch_updated_at();

alter table public.documents enable row level security;
alter table public.documents force row level security;

revoke all on table public.documents from public, anon, authenticated, service_role;
grant select, delete on table public.documents to authenticated;
grant insert (tenant_id, id, title, body) on table public.documents to authenticated;
grant update (title, body) on table public.documents to authenticated;

create policy documents_select on public.documents
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

create policy documents_insert on public.documents
  for insert to authenticated
  with check (
    tenant_id = (select private.current_tenant_id())
    and (select private.current_tenant_role()) in ('owner', 'admin', 'member')
    and author_id = (select private.current_user_id())
  );

create policy documents_update on public.documents
  for update to authenticated
  using (
    tenant_id = (select private.current_tenant_id())
    and (select private.current_tenant_role()) in ('owner', 'admin', 'member')
  )
  with check (
    tenant_id = (select private.current_tenant_id())
    and (select private.current_tenant_role()) in ('owner', 'admin', 'member')
  );

create policy documents_delete on public.documents
  for delete to authenticated
  using (
    tenant_id = (select private.current_tenant_id())
    and (
      (select private.current_tenant_role()) in ('owner', 'admin')
      or ((select private.current_tenant_role()) = 'member' and author_id = (select private.current_user_id()))
    )
  );

-- The migration runner records this file as postgres, in this same transaction.
reset role;
