-- The member directory: who the members of the current tenant are, with their e-mail.
--
-- E-mail addresses live in auth.users, which `authenticated` cannot read (and must not: it holds
-- every user of the project). This one function returns the e-mail of exactly the members of the
-- caller's current tenant, and nothing for a caller whose membership or session is gone.
--
-- Why SECURITY DEFINER, owned by postgres: auth.users has RLS on and no policies (it belongs to
-- supabase_auth_admin), so only a BYPASSRLS role reads it. Because postgres also bypasses the
-- policies on memberships, the tenant filter below is explicit and comes from the same helper
-- the policies use. search_path is empty and every name is schema-qualified.

create function public.tenant_members()
returns table (user_id uuid, email text, role text, joined_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select m.user_id, u.email::text, m.role, m.created_at
  from public.memberships m
  join auth.users u on u.id = m.user_id
  where m.tenant_id = (select private.current_tenant_id())
  order by case m.role when 'owner' then 0 when 'admin' then 1 when 'member' then 2 else 3 end, u.email
$$;

comment on function public.tenant_members() is
  'Members of the caller''s current tenant with their e-mail (from auth.users). Empty without a live membership.';

revoke all on function public.tenant_members() from public, anon, authenticated, service_role;
grant execute on function public.tenant_members() to authenticated;
