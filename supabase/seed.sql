-- Local demo data: two tenants and three users, so a fresh `pnpm stack reset` (or
-- `supabase db reset`) has something to sign in to. Optional: delete this file's contents and the
-- kit works the same, starting empty. Never applied to a hosted project.
--
--   user                password      Acme (slug acme)   Globex (slug globex)
--   alice@example.com   password123   owner              -
--   bob@example.com     password123   -                  owner
--   carol@example.com   password123   member             viewer
--
-- A pending invitation for dave@example.com (member of Acme) has the token
-- `bhinv_local-demo-invitation`: sign up as dave, then open /invite/bhinv_local-demo-invitation.
--
-- Runs as postgres (BYPASSRLS), like every seed: the rows are written directly, the triggers still
-- keep owner counts and write the audit log (with no actor). Users are written the way Supabase
-- Auth writes them: a bcrypt password hash and an e-mail identity.

insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  confirmation_token, recovery_token, email_change_token_new, email_change,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_sso_user, is_anonymous
)
select '00000000-0000-0000-0000-000000000000', u.id, 'authenticated', 'authenticated', u.email,
       extensions.crypt('password123', extensions.gen_salt('bf', 10)), now(),
       '', '', '', '',
       '{"provider": "email", "providers": ["email"]}', jsonb_build_object('name', u.name), now(), now(), false, false
  from (values
    ('a11ce000-0000-4000-8000-000000000001'::uuid, 'alice@example.com', 'Alice'),
    ('b0b00000-0000-4000-8000-000000000002'::uuid, 'bob@example.com', 'Bob'),
    ('ca201000-0000-4000-8000-000000000003'::uuid, 'carol@example.com', 'Carol')
  ) as u (id, email, name);

insert into auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select gen_random_uuid(), u.id::text, u.id,
       jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false),
       'email', null, now(), now()
  from auth.users u
 where u.id in ('a11ce000-0000-4000-8000-000000000001', 'b0b00000-0000-4000-8000-000000000002', 'ca201000-0000-4000-8000-000000000003');

insert into public.tenants (id, name, slug) values
  ('ac0e0000-0000-4000-8000-00000000000a', 'Acme', 'acme'),
  ('610be000-0000-4000-8000-00000000000b', 'Globex', 'globex');

insert into public.memberships (tenant_id, user_id, role, last_selected_at, created_at) values
  ('ac0e0000-0000-4000-8000-00000000000a', 'a11ce000-0000-4000-8000-000000000001', 'owner', now(), now() - interval '2 days'),
  ('610be000-0000-4000-8000-00000000000b', 'b0b00000-0000-4000-8000-000000000002', 'owner', now(), now() - interval '2 days'),
  ('ac0e0000-0000-4000-8000-00000000000a', 'ca201000-0000-4000-8000-000000000003', 'member', now(), now() - interval '1 day'),
  ('610be000-0000-4000-8000-00000000000b', 'ca201000-0000-4000-8000-000000000003', 'viewer', null, now());

insert into public.documents (tenant_id, title, body, author_id) values
  ('ac0e0000-0000-4000-8000-00000000000a', 'Welcome to Acme', 'Only members of Acme can read this.', 'a11ce000-0000-4000-8000-000000000001'),
  ('ac0e0000-0000-4000-8000-00000000000a', 'Launch plan', 'Q3: rockets. Q4: more rockets.', 'ca201000-0000-4000-8000-000000000003'),
  ('610be000-0000-4000-8000-00000000000b', 'Welcome to Globex', 'Only members of Globex can read this.', 'b0b00000-0000-4000-8000-000000000002');

insert into public.invitations (tenant_id, email, role, token_hash, invited_by) values
  ('ac0e0000-0000-4000-8000-00000000000a', 'dave@example.com', 'member',
   sha256(convert_to('bhinv_local-demo-invitation', 'UTF8')), 'a11ce000-0000-4000-8000-000000000001');
