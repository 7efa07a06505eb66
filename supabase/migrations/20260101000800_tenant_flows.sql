-- The tenant flows, callable over the API as RPCs (schema public):
--
--   create_tenant(name, slug)        → tenant id. The caller becomes its owner; it becomes selected.
--   switch_tenant(tenant_id)         selects another tenant the caller belongs to. The client then
--                                    refreshes its session: the claims hook puts it in the token.
--   invite_member(email, role)       → one-time token (only its hash is stored). Admins and owners;
--                                    only owners invite owners. Replaces a pending invitation of
--                                    the same address.
--   accept_invitation(token)         → tenant id. The token's e-mail must match, once, unexpired.
--   change_member_role(user_id, role)  admins (non-owners), owners (anyone).
--   remove_member(user_id)           admins (non-owners), owners (anyone).
--   leave_tenant()                   leaves the current tenant.
--
-- Every flow is recorded in audit_log by the audit triggers. No owner can be removed, demoted or
-- leave if they are the last one (trigger in the tenants-and-memberships migration).
--
-- SECURITY INVOKER wherever the caller's own privileges and policies suffice; the flows then
-- cannot do more than the same statements sent directly. Three must be SECURITY DEFINER, because
-- their caller is, by definition, not (yet) allowed in by the `to authenticated` policies:
--   create_tenant      the tenant does not exist yet, so the caller cannot be its member;
--   accept_invitation  the caller is not a member yet and cannot see the invitation's tenant;
--   switch_tenant      the target tenant is not the caller's current tenant, and members may not
--                      update their own membership row (they could change its role).
-- Those run as tenancy_owner, which FORCE RLS still binds: the policies below, `to tenancy_owner`,
-- are all that definer code can do, and each is limited to the live caller's own rows. Each also
-- sets `search_path = ''` and checks for a live session (current_user_id()) itself.

set local role tenancy_owner;

-- What the definer flows may do as tenancy_owner.
create policy tenants_insert_as_tenancy_owner on public.tenants
  for insert to tenancy_owner
  with check ((select private.current_user_id()) is not null and owner_count = 0 and status = 'active');

create policy memberships_insert_own_as_tenancy_owner on public.memberships
  for insert to tenancy_owner
  with check (user_id = (select private.current_user_id()));

create policy memberships_update_own_as_tenancy_owner on public.memberships
  for update to tenancy_owner
  using (user_id = (select private.current_user_id()))
  with check (user_id = (select private.current_user_id()));

create policy invitations_select_own_as_tenancy_owner on public.invitations
  for select to tenancy_owner
  using (email = (select private.current_user_email()));

create policy invitations_update_own_as_tenancy_owner on public.invitations
  for update to tenancy_owner
  using (email = (select private.current_user_email()))
  with check (email = (select private.current_user_email()) and accepted_by = (select private.current_user_id()));

-- create_tenant ---------------------------------------------------------------------------------
create function public.create_tenant(name text, slug text)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  caller uuid := private.current_user_id();
  new_tenant uuid := gen_random_uuid();
begin
  if caller is null then
    raise exception 'not signed in (or the session has ended)' using errcode = '42501';
  end if;
  if create_tenant.slug is null or pg_catalog.lower(pg_catalog.btrim(create_tenant.slug)) !~ '^[a-z0-9][a-z0-9-]{1,46}[a-z0-9]$' then
    raise exception 'slug must be 3-48 characters of a-z, 0-9 and inner hyphens' using errcode = '22023';
  end if;
  begin
    insert into public.tenants (id, name, slug)
    values (new_tenant, pg_catalog.btrim(create_tenant.name), pg_catalog.lower(pg_catalog.btrim(create_tenant.slug)));
  exception when unique_violation then
    raise exception 'the slug "%" is already taken', create_tenant.slug using errcode = '23505';
  end;
  insert into public.memberships (tenant_id, user_id, role, last_selected_at)
  values (new_tenant, caller, 'owner', pg_catalog.clock_timestamp());
  return new_tenant;
end
$$;
comment on function public.create_tenant(text, text) is
  'Creates a tenant owned by the caller and selects it (refresh the session afterwards). SECURITY DEFINER: the caller cannot be a member of a tenant that does not exist yet.';

-- switch_tenant ---------------------------------------------------------------------------------
create function public.switch_tenant(tenant_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  caller uuid := private.current_user_id();
begin
  if caller is null then
    raise exception 'not signed in (or the session has ended)' using errcode = '42501';
  end if;
  update public.memberships
     set last_selected_at = pg_catalog.clock_timestamp()
   where tenant_id = switch_tenant.tenant_id and user_id = caller;
  if not found then
    raise exception 'not a member of this tenant' using errcode = '42501';
  end if;
end
$$;
comment on function public.switch_tenant(uuid) is
  'Selects a tenant the caller belongs to; the next token (refresh the session) carries it. SECURITY DEFINER: the target is not the current tenant.';

-- invite_member ---------------------------------------------------------------------------------
create function public.invite_member(email text, role text)
returns text
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  tenant uuid := private.current_tenant_id();
  address text := pg_catalog.lower(pg_catalog.btrim(invite_member.email));
  token text;
begin
  if tenant is null then
    raise exception 'no current tenant' using errcode = '42501';
  end if;
  if invite_member.role is null or invite_member.role not in ('owner', 'admin', 'member', 'viewer') then
    raise exception 'role must be owner, admin, member or viewer' using errcode = '22023';
  end if;
  token := 'bhinv_' || pg_catalog.translate(pg_catalog.encode(extensions.gen_random_bytes(32), 'base64'), '+/=', '-_');
  -- A new invitation replaces a pending one to the same address.
  delete from public.invitations where tenant_id = tenant and email = address and accepted_at is null;
  insert into public.invitations (tenant_id, email, role, token_hash)
  values (tenant, address, invite_member.role, pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')));
  return token;
end
$$;
comment on function public.invite_member(text, text) is
  'Invites an e-mail address to the current tenant with a role; returns the one-time token (shown once, stored as its hash).';

-- accept_invitation -----------------------------------------------------------------------------
create function public.accept_invitation(token text)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  caller uuid := private.current_user_id();
  invitation record;
begin
  if caller is null then
    raise exception 'not signed in (or the session has ended)' using errcode = '42501';
  end if;
  -- Visible to this code only when addressed to the caller's e-mail (policy above).
  select i.tenant_id, i.id, i.role, i.expires_at, i.accepted_at
    into invitation
    from public.invitations i
   where i.token_hash = pg_catalog.sha256(pg_catalog.convert_to(coalesce(accept_invitation.token, ''), 'UTF8'))
     for update;
  if not found then
    raise exception 'invitation not found for this e-mail address' using errcode = 'P0002';
  end if;
  if invitation.accepted_at is not null then
    raise exception 'invitation already used' using errcode = '22023';
  end if;
  if invitation.expires_at <= pg_catalog.now() then
    raise exception 'invitation expired' using errcode = '22023';
  end if;
  if exists (select 1 from public.memberships m where m.tenant_id = invitation.tenant_id and m.user_id = caller) then
    raise exception 'already a member of this tenant' using errcode = '23505';
  end if;
  insert into public.memberships (tenant_id, user_id, role, last_selected_at)
  values (invitation.tenant_id, caller, invitation.role, pg_catalog.clock_timestamp());
  update public.invitations
     set accepted_at = pg_catalog.now(), accepted_by = caller
   where tenant_id = invitation.tenant_id and id = invitation.id;
  return invitation.tenant_id;
end
$$;
comment on function public.accept_invitation(text) is
  'Joins the tenant of an invitation addressed to the caller''s e-mail; single use, before expiry. Selects that tenant. SECURITY DEFINER: the caller is not a member yet.';

-- change_member_role ----------------------------------------------------------------------------
create function public.change_member_role(user_id uuid, role text)
returns void
language plpgsql
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
  if change_member_role.role is null or change_member_role.role not in ('owner', 'admin', 'member', 'viewer') then
    raise exception 'role must be owner, admin, member or viewer' using errcode = '22023';
  end if;
  update public.memberships
     set role = change_member_role.role
   where tenant_id = tenant and user_id = change_member_role.user_id;
  if not found then
    raise exception 'no such member, or not allowed to change their role' using errcode = '42501';
  end if;
end
$$;
comment on function public.change_member_role(uuid, text) is 'Changes a member''s role in the current tenant (admins: non-owners; owners: anyone).';

-- remove_member ---------------------------------------------------------------------------------
create function public.remove_member(user_id uuid)
returns void
language plpgsql
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
  delete from public.memberships where tenant_id = tenant and user_id = remove_member.user_id;
  if not found then
    raise exception 'no such member, or not allowed to remove them' using errcode = '42501';
  end if;
end
$$;
comment on function public.remove_member(uuid) is
  'Removes a member from the current tenant (admins: non-owners; owners: anyone). Their tokens stop working on their next query.';

-- leave_tenant ----------------------------------------------------------------------------------
create function public.leave_tenant()
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  tenant uuid := private.current_tenant_id();
begin
  if tenant is null then
    raise exception 'no current tenant' using errcode = '42501';
  end if;
  delete from public.memberships m where m.tenant_id = tenant and m.user_id = private.current_user_id();
  if not found then
    raise exception 'not a member of the current tenant' using errcode = '42501';
  end if;
end
$$;
comment on function public.leave_tenant() is 'Leaves the current tenant (not possible for its last owner). Refresh the session afterwards.';

-- Execute: signed-in callers only. anon and PUBLIC (Supabase's defaults in public) get nothing.
revoke all on function public.create_tenant(text, text) from public, anon, authenticated, service_role;
revoke all on function public.switch_tenant(uuid) from public, anon, authenticated, service_role;
revoke all on function public.invite_member(text, text) from public, anon, authenticated, service_role;
revoke all on function public.accept_invitation(text) from public, anon, authenticated, service_role;
revoke all on function public.change_member_role(uuid, text) from public, anon, authenticated, service_role;
revoke all on function public.remove_member(uuid) from public, anon, authenticated, service_role;
revoke all on function public.leave_tenant() from public, anon, authenticated, service_role;
grant execute on function public.create_tenant(text, text) to authenticated;
grant execute on function public.switch_tenant(uuid) to authenticated;
grant execute on function public.invite_member(text, text) to authenticated;
grant execute on function public.accept_invitation(text) to authenticated;
grant execute on function public.change_member_role(uuid, text) to authenticated;
grant execute on function public.remove_member(uuid) to authenticated;
grant execute on function public.leave_tenant() to authenticated;

-- The migration runner records this file as postgres, in this same transaction.
reset role;
