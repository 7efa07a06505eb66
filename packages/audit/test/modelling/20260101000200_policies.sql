set search_path = app, public;

create policy items_read on items for select to authenticated
  using (
    (select auth.uid()) is not null
    and title in ('a', 'b')
    and title not in ('c')
    and not (tenant_id is not distinct from null)
    and coalesce(items.title, '') like 'x%'
    and title not ilike 'y%'
    and length(title) between 1 and 10
    and exists (select 1 from other_things o where o.thing_id = items.id and o.code = any (array['k', 'l']))
    and case when title = 'z' then true else false end
    and ((auth.jwt() ->> 'aud')::text) = 'authenticated'
    and current_user <> 'anon'
    and -1 < 0
  );

create policy items_write on items as restrictive for insert to authenticated, fx_model_reader
  with check (tenant_id = ((select auth.jwt()) -> 'app_metadata' ->> 'tenant_id')::uuid);

create policy items_update on items for update using (true);
alter policy items_update on items to authenticated using (title is not null) with check (title <> 'locked');
alter policy items_update on items rename to items_edit;
create policy items_gone on items for delete using (false);
drop policy items_gone on items;
drop policy if exists never_existed on items;

reset search_path;
