-- The audit log: an append-only record of who changed a tenant's membership and settings.
--
-- Rows are written by triggers on tenants, memberships and invitations, so every path is recorded
-- the same way: the tenant flow functions (create_tenant, invite_member, ...), a direct API write
-- the policies allow (an admin changing a role), and a break-glass script run as postgres (its
-- actor is NULL: no token). The actor is the request token's `sub`. Tokens, token hashes and
-- document contents are never logged.
--
-- Append-only, three ways: no role is granted UPDATE or DELETE; no policy allows them; and a
-- statement trigger rejects UPDATE, DELETE and TRUNCATE for everyone, BYPASSRLS roles included.
-- Erasing a tenant's history (e.g. a GDPR request after the tenant is gone) is a deliberate
-- migration that disables that trigger for one statement.
--
-- tenant_id has no foreign key to tenants on purpose: the record of a tenant outlives its deletion
-- ('tenant.deleted' is the last entry). Members of the tenant read it: admins and owners only.
--
-- Actions: tenant.created|updated|deleted, member.added|role_changed|removed|left,
-- tenant.selected, invitation.created|accepted|revoked.

set local role tenancy_owner;

create table public.audit_log (
  tenant_id uuid not null,
  id uuid not null default gen_random_uuid(),
  occurred_at timestamptz not null default clock_timestamp(),
  actor_id uuid,
  action text not null check (action ~ '^[a-z_]+\.[a-z_]+$'),
  target_type text check (target_type in ('tenant', 'user', 'invitation')),
  target_id uuid,
  details jsonb not null default '{}'::jsonb check (pg_catalog.jsonb_typeof(details) = 'object'),
  primary key (tenant_id, id)
);
comment on table public.audit_log is 'Append-only record of membership and tenant changes. Written by triggers; never updated or deleted.';
comment on column public.audit_log.actor_id is 'The request token''s sub; NULL for changes made without a token (migrations, break-glass scripts).';

create index audit_log_tenant_occurred_at_idx on public.audit_log (tenant_id, occurred_at desc);

alter table public.audit_log enable row level security;
alter table public.audit_log force row level security;

revoke all on table public.audit_log from public, anon, authenticated, service_role;
grant select on table public.audit_log to authenticated;

create policy audit_log_select on public.audit_log
  for select to authenticated
  using (
    tenant_id = (select private.current_tenant_id())
    and (select private.current_tenant_role()) in ('owner', 'admin')
  );

-- The audit triggers below run as tenancy_owner and may only record the request's own subject.
create policy audit_log_insert_as_tenancy_owner on public.audit_log
  for insert to tenancy_owner
  with check (actor_id is not distinct from private.uuid_or_null((select private.request_claims()) ->> 'sub'));

create function private.audit_log_is_append_only()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = '42501';
end
$$;
revoke all on function private.audit_log_is_append_only() from public, anon, authenticated, service_role;

create trigger audit_log_no_update_or_delete
  before update or delete on public.audit_log
  for each statement execute function private.audit_log_is_append_only();
create trigger audit_log_no_truncate
  before truncate on public.audit_log
  for each statement execute function private.audit_log_is_append_only();

-- The writers. SECURITY DEFINER (tenancy_owner) so that nobody needs INSERT on audit_log: a user
-- who could insert could also forge entries. They are trigger functions; nobody can call them.

create function private.audit_tenant_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor uuid := private.uuid_or_null(private.request_claims() ->> 'sub');
begin
  if tg_op = 'INSERT' then
    insert into public.audit_log (tenant_id, actor_id, action, target_type, target_id, details)
    values (new.id, actor, 'tenant.created', 'tenant', new.id, jsonb_build_object('name', new.name, 'slug', new.slug));
  elsif tg_op = 'UPDATE' then
    if (new.name, new.slug, new.status) is distinct from (old.name, old.slug, old.status) then
      insert into public.audit_log (tenant_id, actor_id, action, target_type, target_id, details)
      values (new.id, actor, 'tenant.updated', 'tenant', new.id, jsonb_build_object(
        'from', jsonb_build_object('name', old.name, 'slug', old.slug, 'status', old.status),
        'to', jsonb_build_object('name', new.name, 'slug', new.slug, 'status', new.status)));
    end if;
  else
    insert into public.audit_log (tenant_id, actor_id, action, target_type, target_id, details)
    values (old.id, actor, 'tenant.deleted', 'tenant', old.id, jsonb_build_object('name', old.name, 'slug', old.slug));
  end if;
  return null;
end
$$;

create function private.audit_membership_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor uuid := private.uuid_or_null(private.request_claims() ->> 'sub');
begin
  if tg_op = 'INSERT' then
    insert into public.audit_log (tenant_id, actor_id, action, target_type, target_id, details)
    values (new.tenant_id, actor, 'member.added', 'user', new.user_id, jsonb_build_object('role', new.role));
  elsif tg_op = 'UPDATE' then
    if new.role is distinct from old.role then
      insert into public.audit_log (tenant_id, actor_id, action, target_type, target_id, details)
      values (new.tenant_id, actor, 'member.role_changed', 'user', new.user_id,
              jsonb_build_object('from', old.role, 'to', new.role));
    end if;
    if new.last_selected_at is distinct from old.last_selected_at then
      insert into public.audit_log (tenant_id, actor_id, action, target_type, target_id, details)
      values (new.tenant_id, actor, 'tenant.selected', 'user', new.user_id, '{}'::jsonb);
    end if;
  else
    insert into public.audit_log (tenant_id, actor_id, action, target_type, target_id, details)
    values (old.tenant_id, actor, case when old.user_id = actor then 'member.left' else 'member.removed' end,
            'user', old.user_id, jsonb_build_object('role', old.role));
  end if;
  return null;
end
$$;

create function private.audit_invitation_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor uuid := private.uuid_or_null(private.request_claims() ->> 'sub');
begin
  if tg_op = 'INSERT' then
    insert into public.audit_log (tenant_id, actor_id, action, target_type, target_id, details)
    values (new.tenant_id, actor, 'invitation.created', 'invitation', new.id,
            jsonb_build_object('email', new.email, 'role', new.role, 'expires_at', new.expires_at));
  elsif tg_op = 'UPDATE' then
    if old.accepted_at is null and new.accepted_at is not null then
      insert into public.audit_log (tenant_id, actor_id, action, target_type, target_id, details)
      values (new.tenant_id, actor, 'invitation.accepted', 'invitation', new.id,
              jsonb_build_object('email', new.email, 'role', new.role, 'accepted_by', new.accepted_by));
    end if;
  elsif old.accepted_at is null then
    insert into public.audit_log (tenant_id, actor_id, action, target_type, target_id, details)
    values (old.tenant_id, actor, 'invitation.revoked', 'invitation', old.id,
            jsonb_build_object('email', old.email, 'role', old.role));
  end if;
  return null;
end
$$;

revoke all on function private.audit_tenant_change() from public, anon, authenticated, service_role;
revoke all on function private.audit_membership_change() from public, anon, authenticated, service_role;
revoke all on function private.audit_invitation_change() from public, anon, authenticated, service_role;

create trigger tenants_audit
  after insert or update of name, slug, status or delete on public.tenants
  for each row execute function private.audit_tenant_change();
create trigger memberships_audit
  after insert or update or delete on public.memberships
  for each row execute function private.audit_membership_change();
create trigger invitations_audit
  after insert or update or delete on public.invitations
  for each row execute function private.audit_invitation_change();

-- The migration runner records this file as postgres, in this same transaction.
reset role;
