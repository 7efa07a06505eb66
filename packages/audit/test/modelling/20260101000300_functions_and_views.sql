create function app.f(a int, b text[] default '{}', out total bigint) returns bigint
  language sql stable security definer as $$ select 1::bigint $$;
alter function app.f(integer, text[]) set search_path = '';
alter function app.f owner to fx_model_owner;
alter function app.f(int, text[]) rename to g;
alter function app.g(int, text[]) set schema public;
revoke execute on function public.g(int4, text[]) from public, anon;

create procedure app.pr(x numeric) language sql as $$ select 1 $$;
grant execute on all procedures in schema app to authenticated;

set local role fx_model_owner;
create function app.owned() returns void language sql security definer set search_path = pg_catalog, app as $$ select $$;
create function app.owned(x uuid) returns void language sql as $$ select $$;
reset role;
grant execute on function app.owned(uuid) to anon;
alter function app.owned() reset all;
create or replace function app.owned(x uuid) returns void language sql security definer as $$ select $$;

create view public.v with (security_invoker = true) as select 1 as one;
create or replace view public.v as select 1 as one;
create view public.w with (security_invoker = on) as select 2 as two;
alter view public.w reset (security_invoker);
alter view public.w set (security_invoker = true);
alter view public.w owner to fx_model_owner;
create materialized view app.mv as select 1 as one;
alter materialized view app.mv rename to mv2;
drop view if exists public.not_there;

create schema scratch;
create table scratch.t (tenant_id uuid);
create function scratch.fn() returns int language sql as $$ select 1 $$;
drop schema scratch cascade;
