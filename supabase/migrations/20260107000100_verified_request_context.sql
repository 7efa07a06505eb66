-- The caller's tenant context is checked once per transaction, then vouched for by a signed proof.
--
-- Until now every statement re-ran the whole check: parse the claims, ask
-- private.live_session_user_id() whether the session is live, read the caller's membership through
-- the tenancy_owner policies (which ask live_session_user_id() again) and the suspension policy.
-- That chain cost a tenant's indexed document list about 60% on top of the same query without RLS
-- (docs/benchmarks.md), and a request runs several statements in one transaction, each paying it.
--
-- What changes:
--
-- 1. private.verified_request() is the one place that decides who is asking. It answers
--    'tenant|role|user' (tenant and role empty when the token names no tenant, or one the user is
--    no longer a member of, or one that is suspended; NULL when the session is not live). The first
--    call in a transaction runs the full check and stores the answer, with an HMAC, in the
--    transaction-local setting `bulkhead.request_proof`. Later calls in the same transaction check
--    the HMAC instead of re-reading memberships and sessions.
-- 2. The HMAC covers 'answer|pid|transaction start|claims': the backend's pid, now() as epoch
--    seconds and the exact claims text, keyed by private.request_proof_keys, which only
--    tenancy_owner can read. A proof's answer must hold exactly the two '|' the full check writes
--    before its MAC is even computed: otherwise an answer with extra fields could swallow the pid
--    and start time and carry a genuine MAC into another transaction with other claims. With that
--    fixed, and pid and start time made of digits, one message has one reading. (A regular
--    expression would say the same at ten times the cost: this runs on every statement.) A proof therefore cannot be written by hand (any role may set a custom setting;
--    none but tenancy_owner's definer code knows the key), is void in any other transaction or
--    connection, and is void as soon as the claims change. A void or missing proof just means a
--    full check.
-- 3. current_tenant_id(), current_tenant_role(), current_user_id() and current_user_email() read
--    verified_request(). What they return does not change.
-- 4. Changes to memberships or tenant_suspensions drop the proof of the transaction making them
--    (statement triggers), so a transaction that removes, demotes or suspends sees it on its next
--    statement, as before. (A caller that saved its proof and sets it again keeps what it was
--    verified for at the start of its own transaction, and nothing more.)
-- 5. private.rotate_request_proof_key() replaces the key (runbook: after a dump that holds it has
--    left your hands, or on a schedule). Proofs in flight become void and are re-checked.
--
-- What this trades: a membership removed, a session revoked or a tenant suspended by *another*
-- transaction now takes effect on the caller's next transaction instead of the next statement of
-- a transaction already running. Each request is one transaction (withTenant(), PostgREST), so a
-- revoked session still fails on its very next request; only a request already in flight finishes
-- with the context it was verified with. docs/security-model.md says this in full, and the
-- benchmarks price both choices.

set local role tenancy_owner;

-- 1. The key, kept as HMAC-SHA256's two padded keys (key XOR 0x36.., key XOR 0x5c..), so a MAC is
--    sha256(outer_pad || sha256(inner_pad || message)) with core functions only (no pgcrypto, whose
--    schema tenancy_owner cannot use on Supabase). The key is two gen_random_uuid() values: 244
--    bits from the server's strong random source (6 bits of each UUID are version and variant).
create table private.request_proof_keys (
  id boolean primary key default true check (id),
  inner_pad bytea not null check (pg_catalog.octet_length(inner_pad) = 64),
  outer_pad bytea not null check (pg_catalog.octet_length(outer_pad) = 64),
  created_at timestamptz not null default now()
);
comment on table private.request_proof_keys is
  'HMAC-SHA256 key (as its inner and outer pads) for bulkhead.request_proof, see private.verified_request(). One row. Replacing it voids proofs in flight; they are re-checked, nothing fails.';

alter table private.request_proof_keys enable row level security;
alter table private.request_proof_keys force row level security;
revoke all on table private.request_proof_keys from public, anon, authenticated, service_role;
create policy request_proof_keys_read_by_tenancy_owner on private.request_proof_keys
  for select to tenancy_owner
  using (true);

-- A random 32-byte key, zero-padded to SHA-256's 64-byte block, XOR 0x36 and XOR 0x5c byte by byte.
-- Invoker rights: only roles that may write the table (the migration role, postgres) can run it.
create function private.rotate_request_proof_key()
returns void
language sql
volatile
set search_path = ''
as $$
  delete from private.request_proof_keys;
  insert into private.request_proof_keys (inner_pad, outer_pad)
  select pg_catalog.decode(pg_catalog.string_agg(pg_catalog.lpad(pg_catalog.to_hex(pg_catalog.get_byte(k.key, i) # 54), 2, '0'), '' order by i), 'hex'),
         pg_catalog.decode(pg_catalog.string_agg(pg_catalog.lpad(pg_catalog.to_hex(pg_catalog.get_byte(k.key, i) # 92), 2, '0'), '' order by i), 'hex')
    from (select pg_catalog.decode(
                   pg_catalog.replace(pg_catalog.gen_random_uuid()::text || pg_catalog.gen_random_uuid()::text, '-', '')
                   || pg_catalog.repeat('00', 32),
                   'hex') as key) k,
         pg_catalog.generate_series(0, 63) i;
$$;
comment on function private.rotate_request_proof_key() is
  'Replaces the HMAC key of bulkhead.request_proof with a new random one. Run as postgres (docs/runbook.md). Proofs in flight become void and are re-checked.';
revoke all on function private.rotate_request_proof_key() from public, anon, authenticated, service_role;

reset role;
select private.rotate_request_proof_key();
set local role tenancy_owner;

-- 2. Who is asking, checked once per transaction.
create function private.verified_request()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  claims text := pg_catalog.current_setting('request.jwt.claims', true);
  proof text := pg_catalog.current_setting('bulkhead.request_proof', true);
  -- What a proof is bound to besides its answer: this connection, this transaction, these claims.
  binding text := pg_catalog.pg_backend_pid() || '|' || extract(epoch from pg_catalog.now()) || '|' || claims;
  answer text;
  claimed uuid;
  live_user uuid;
  member_role text;
begin
  if claims is null or claims = '' then
    return null;
  end if;

  -- A proof is '<64 hex digits of HMAC>.<answer>', the answer exactly as written below.
  if proof <> '' then
    answer := pg_catalog.substr(proof, 66);
    -- Exactly the two '|' the check writes: then the third '|' of the message ends the answer, and
    -- an answer stretched with the minting transaction's pid, start and claims cannot match.
    if pg_catalog.length(answer) - pg_catalog.length(pg_catalog.replace(answer, '|', '')) = 2
       and exists (
      select 1 from private.request_proof_keys k
       where pg_catalog.encode(pg_catalog.sha256(k.outer_pad || pg_catalog.sha256(k.inner_pad || pg_catalog.convert_to(answer || '|' || binding, 'UTF8'))), 'hex')
             = pg_catalog.substr(proof, 1, 64)
    ) then
      return answer;
    end if;
  end if;

  -- The full check: a live session, then the membership the token claims (read through the
  -- tenancy_owner policies on memberships: the caller's own row, live session, tenant not suspended).
  live_user := private.live_session_user_id();
  if live_user is null then
    return null;
  end if;
  claimed := private.uuid_or_null(claims::jsonb -> 'app_metadata' ->> 'tenant_id');
  if claimed is not null then
    select m.role into member_role
      from public.memberships m
     where m.tenant_id = claimed and m.user_id = live_user;
  end if;
  answer := case when member_role is null then '' else claimed::text end
    || '|' || coalesce(member_role, '') || '|' || live_user::text;

  perform pg_catalog.set_config(
    'bulkhead.request_proof',
    pg_catalog.encode(pg_catalog.sha256(k.outer_pad || pg_catalog.sha256(k.inner_pad || pg_catalog.convert_to(answer || '|' || binding, 'UTF8'))), 'hex') || '.' || answer,
    true)
    from private.request_proof_keys k;
  return answer;
end
$$;
comment on function private.verified_request() is
  'Who is asking: ''tenant|role|user'' (tenant and role empty without a live membership of the claimed tenant), NULL without a live session. Checked fully once per transaction, then vouched for by bulkhead.request_proof (HMAC over the answer, backend pid, transaction start and claims).';
revoke all on function private.verified_request() from public, anon, authenticated, service_role;
grant execute on function private.verified_request() to tenancy_owner;

-- 3. The helpers every policy calls, now reading the verified answer.
create or replace function private.current_tenant_id()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return nullif(pg_catalog.split_part(private.verified_request(), '|', 1), '')::uuid;
end
$$;

create or replace function private.current_tenant_role()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return nullif(pg_catalog.split_part(private.verified_request(), '|', 2), '');
end
$$;

create or replace function private.current_user_id()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return nullif(pg_catalog.split_part(private.verified_request(), '|', 3), '')::uuid;
end
$$;

create or replace function private.current_user_email()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if private.verified_request() is not null then
    return nullif(pg_catalog.lower(private.request_claims() ->> 'email'), '');
  end if;
  return null;
end
$$;

-- 4. A transaction that changes who belongs where forgets its own proof.
create function private.forget_request_proof()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform pg_catalog.set_config('bulkhead.request_proof', '', true);
  return null;
end
$$;
comment on function private.forget_request_proof() is
  'Statement trigger: drops bulkhead.request_proof, so the next statement of this transaction re-checks membership and suspension.';
revoke all on function private.forget_request_proof() from public, anon, authenticated, service_role;

create trigger memberships_forget_request_proof
  after insert or update or delete or truncate on public.memberships
  for each statement execute function private.forget_request_proof();
create trigger tenant_suspensions_forget_request_proof
  after insert or update or delete or truncate on private.tenant_suspensions
  for each statement execute function private.forget_request_proof();

reset role;
