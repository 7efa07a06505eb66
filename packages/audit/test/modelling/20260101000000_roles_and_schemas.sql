-- Not a check fixture: a tour of the statements static mode models, so that the modelling test
-- can compare static mode's end state with the database's, object by object.
do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'fx_model_owner') then
    create role fx_model_owner nologin;
  else
    alter role fx_model_owner nobypassrls;
  end if;
  begin
    create role fx_model_reader nologin;
  exception when duplicate_object then
    null;
  end;
  raise notice 'roles ready';
end
$$;
grant fx_model_owner to postgres;
grant usage, create on schema public to fx_model_owner;

create schema app;
grant usage, create on schema app to fx_model_owner;
create schema if not exists app;

-- Functions fx_model_owner creates are not executable by PUBLIC; tables postgres creates in
-- public no longer go to anon (a schema-level default only removes what it granted itself).
alter default privileges for role fx_model_owner revoke execute on functions from public;
alter default privileges for role postgres in schema public revoke all on tables from anon;
alter default privileges in schema app grant select on tables to fx_model_reader;
