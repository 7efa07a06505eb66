-- Invitations: how a user joins a tenant.
--
-- An admin (or owner) invites an e-mail address with a role; invite_member() returns a random
-- one-time token, which the app e-mails as a link. Only the token's SHA-256 is stored, so a
-- database read (backup, log, admin screen) never yields a usable token. The invitee, signed in
-- with that same e-mail address, calls accept_invitation(token): it must not be expired and is
-- used once (accepted_at). Both functions are in the tenant-flows migration.
--
-- Admins see and revoke (delete) their tenant's invitations; only owners may invite owners.
-- Nobody updates an invitation directly: acceptance is the only change, done by
-- accept_invitation().
--
-- token_hash has a plain (non-unique) index for the lookup at acceptance: a unique constraint across
-- tenants would break the "every unique constraint carries tenant_id" rule, and 256-bit random
-- tokens do not collide.

set local role tenancy_owner;

create table public.invitations (
  tenant_id uuid not null default private.current_tenant_id() references public.tenants (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  email text not null check (email = pg_catalog.lower(email) and email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
  role text not null check (role in ('owner', 'admin', 'member', 'viewer')),
  token_hash bytea not null check (pg_catalog.length(token_hash) = 32),
  invited_by uuid not null default private.current_user_id(),
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  accepted_by uuid,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  check (expires_at > created_at and expires_at <= created_at + interval '30 days'),
  check ((accepted_at is null) = (accepted_by is null))
);
comment on table public.invitations is 'Pending and used invitations. The token itself is never stored, only its SHA-256.';
comment on column public.invitations.email is 'Lower-case; the accepting user''s token must carry this e-mail address.';
comment on column public.invitations.token_hash is 'sha256 of the one-time token returned by invite_member().';

create index invitations_tenant_email_idx on public.invitations (tenant_id, email);
create index invitations_token_hash_idx on public.invitations (token_hash);

alter table public.invitations enable row level security;
alter table public.invitations force row level security;

revoke all on table public.invitations from public, anon, authenticated, service_role;
grant select, delete on table public.invitations to authenticated;
grant insert (tenant_id, id, email, role, token_hash, expires_at) on table public.invitations to authenticated;

create policy invitations_select on public.invitations
  for select to authenticated
  using (
    tenant_id = (select private.current_tenant_id())
    and (select private.current_tenant_role()) in ('owner', 'admin')
  );

create policy invitations_insert on public.invitations
  for insert to authenticated
  with check (
    tenant_id = (select private.current_tenant_id())
    and invited_by = (select private.current_user_id())
    and accepted_at is null
    and (
      (select private.current_tenant_role()) = 'owner'
      or ((select private.current_tenant_role()) = 'admin' and role <> 'owner')
    )
  );

create policy invitations_delete on public.invitations
  for delete to authenticated
  using (
    tenant_id = (select private.current_tenant_id())
    and (
      (select private.current_tenant_role()) = 'owner'
      or ((select private.current_tenant_role()) = 'admin' and role <> 'owner')
    )
  );

-- The migration runner records this file as postgres, in this same transaction.
reset role;
