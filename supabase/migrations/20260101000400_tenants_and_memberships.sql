-- Tenants and who belongs to them.
--
-- tenants      one row per customer organisation: name, unique slug (it names the tenant in URLs),
--              status. `owner_count` is maintained by a trigger and is what keeps the last owner
--              in place (below).
-- memberships  (tenant, user, role). Roles: owner > admin > member > viewer.
--                viewer  reads the tenant's data;
--                member  also creates and edits documents;
--                admin   also manages members and invitations (not owners);
--                owner   also manages the tenant and other owners.
--              `last_selected_at` records the tenant a user last switched to: the claims hook
--              puts the most recently selected membership in the token, else the oldest one.
--
-- Schema rules (ARCHITECTURE.md): UUID keys; tenant tables keyed by (tenant_id, id); every unique
-- constraint and foreign key between tenant tables carries tenant_id; an index leading with
-- tenant_id; ENABLE and FORCE row level security; explicit grants instead of Supabase's defaults.
--
-- tenants.slug is the one unique constraint without tenant_id, by design (slugs name tenants in
-- URLs): anyone creating a tenant learns whether a slug is taken, and nothing else.
--
-- memberships.user_id has no foreign key to auth.users: the creator of such a key needs the
-- REFERENCES privilege on auth.users, which `postgres` holds without grant option on a hosted
-- project, so it cannot pass it to tenancy_owner. A deleted user's sessions disappear with it, so
-- its leftover memberships grant nothing.

set local role tenancy_owner;

create table public.tenants (
  id uuid not null default gen_random_uuid() primary key,
  name text not null check (pg_catalog.length(pg_catalog.btrim(name)) between 1 and 100),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,46}[a-z0-9]$'),
  status text not null default 'active' check (status in ('active', 'suspended')),
  owner_count integer not null default 0 check (owner_count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.tenants is 'One row per tenant (customer organisation). The tenant id is tenants.id and tenant_id everywhere else.';
comment on column public.tenants.slug is 'Lower-case URL name, 3-48 characters of a-z, 0-9 and inner hyphens; unique across tenants.';
comment on column public.tenants.owner_count is 'Number of owner memberships, maintained by a trigger on memberships; never below 1 once the tenant has an owner.';

create table public.memberships (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  user_id uuid not null,
  role text not null check (role in ('owner', 'admin', 'member', 'viewer')),
  last_selected_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, user_id)
);
comment on table public.memberships is 'Who belongs to which tenant, with which role (owner|admin|member|viewer).';
comment on column public.memberships.last_selected_at is 'When the user last switched to this tenant; the claims hook picks the latest, else the oldest membership.';

-- The claims hook and the helpers look memberships up by user across tenants.
create index memberships_user_id_idx on public.memberships (user_id);

create trigger tenants_touch_updated_at
  before update of name, slug, status on public.tenants
  for each row execute function private.touch_updated_at();
create trigger memberships_touch_updated_at
  before update of role on public.memberships
  for each row execute function private.touch_updated_at();

-- A membership never moves to another tenant or user: a different pair is a different membership.
create function private.memberships_keep_identity()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.tenant_id <> old.tenant_id or new.user_id <> old.user_id then
    raise exception 'a membership cannot move to another tenant or user'
      using errcode = '42501', hint = 'Remove the membership and invite the user instead.';
  end if;
  return new;
end
$$;
revoke all on function private.memberships_keep_identity() from public, anon, authenticated, service_role;
create trigger memberships_keep_identity
  before update of tenant_id, user_id on public.memberships
  for each row execute function private.memberships_keep_identity();

alter table public.tenants enable row level security;
alter table public.tenants force row level security;
alter table public.memberships enable row level security;
alter table public.memberships force row level security;

-- Privileges: none by default, then exactly what the policies below are written for.
revoke all on table public.tenants from public, anon, authenticated, service_role;
revoke all on table public.memberships from public, anon, authenticated, service_role;
grant select on table public.tenants to authenticated;
grant update (name, slug) on table public.tenants to authenticated;
grant select, delete on table public.memberships to authenticated;
grant update (role) on table public.memberships to authenticated;
-- New tenants and memberships come only from create_tenant() and accept_invitation().

-- tenants: members see their current tenant, and the name of every tenant they belong to (the
-- switcher); owners rename it.
create policy tenants_select on public.tenants
  for select to authenticated
  using (
    id = (select private.current_tenant_id())
    or id = any ((select private.current_user_tenant_ids())::uuid[])
  );

create policy tenants_update on public.tenants
  for update to authenticated
  using (id = (select private.current_tenant_id()) and (select private.current_tenant_role()) = 'owner')
  with check (id = (select private.current_tenant_id()) and (select private.current_tenant_role()) = 'owner');

-- memberships: everyone in the tenant sees its members; a user also sees their own memberships
-- elsewhere (the switcher). Admins change and remove non-owners, owners anyone; anyone may remove
-- their own membership (leave). The last owner is protected by the trigger below.
create policy memberships_select on public.memberships
  for select to authenticated
  using (
    tenant_id = (select private.current_tenant_id())
    or user_id = (select private.current_user_id())
  );

create policy memberships_update on public.memberships
  for update to authenticated
  using (
    tenant_id = (select private.current_tenant_id())
    and (
      (select private.current_tenant_role()) = 'owner'
      or ((select private.current_tenant_role()) = 'admin' and role <> 'owner')
    )
  )
  with check (
    tenant_id = (select private.current_tenant_id())
    and (
      (select private.current_tenant_role()) = 'owner'
      or ((select private.current_tenant_role()) = 'admin' and role <> 'owner')
    )
  );

create policy memberships_delete on public.memberships
  for delete to authenticated
  using (
    tenant_id = (select private.current_tenant_id())
    and (
      user_id = (select private.current_user_id())
      or (select private.current_tenant_role()) = 'owner'
      or ((select private.current_tenant_role()) = 'admin' and role <> 'owner')
    )
  );

-- tenancy_owner's own view, used by the definer helpers (current_tenant_id() & co.): the live
-- user's own memberships and nothing else. FORCE makes this necessary; `to authenticated`
-- policies do not apply to tenancy_owner, and calling current_tenant_id() here would recurse.
create policy memberships_select_own_as_tenancy_owner on public.memberships
  for select to tenancy_owner
  using (user_id = (select private.current_user_id()));

reset role;

-- The last owner stays. Every change that takes an owner away (demotion, removal, leaving)
-- decrements tenants.owner_count in the same transaction and fails when it would reach zero. The
-- UPDATE of the tenant row serialises concurrent owner changes of one tenant: two owners demoting
-- each other at once cannot both succeed (the second waits for the first, then sees the new count;
-- under REPEATABLE READ it gets a serialization failure instead). When the tenant row itself is
-- gone (a tenant deleted by a break-glass script), there is nothing left to protect.
--
-- Owned by postgres (BYPASSRLS) on purpose: the count must be right whoever makes the change,
-- and the caller's view of tenants is limited by RLS. It only ever touches owner_count; it is a
-- trigger function, so nobody can call it directly.
create function private.memberships_maintain_owner_count()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  was_owner boolean := tg_op in ('UPDATE', 'DELETE') and old.role = 'owner';
  is_owner boolean := tg_op in ('INSERT', 'UPDATE') and new.role = 'owner';
  tenant uuid := case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end;
  remaining integer;
begin
  if was_owner and not is_owner then
    update public.tenants set owner_count = owner_count - 1 where id = tenant returning owner_count into remaining;
    if remaining is not null and remaining < 1 then
      raise exception 'the last owner of a tenant cannot be removed or demoted'
        using errcode = '23514', hint = 'Make another member an owner first.';
    end if;
  elsif is_owner and not was_owner then
    update public.tenants set owner_count = owner_count + 1 where id = tenant;
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end
$$;
comment on function private.memberships_maintain_owner_count() is
  'Trigger: keeps tenants.owner_count and refuses to remove or demote the last owner.';
revoke all on function private.memberships_maintain_owner_count() from public, anon, authenticated, service_role;

create trigger memberships_keep_an_owner
  before insert or update of role or delete on public.memberships
  for each row execute function private.memberships_maintain_owner_count();
