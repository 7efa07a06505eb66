import { deriveTenantSql } from '../derive';
import { dependsOn } from '../mapping';
import { display, literal } from '../sql';
import { header, names, recordStep, type StepContext, TENANT } from './context';

/**
 * Step 2: the batched backfill. The migration only creates the machinery; `pnpm tenancy:adopt
 * backfill` (or `call bulkhead_adopt.backfill_<table>()` from psql) runs it, one short
 * transaction per batch. Each batch reads the checkpoint row FOR UPDATE, places the next
 * `batch_size` rows in key order, records the rows it could not place, and advances the
 * checkpoint — all in the same transaction, so a run killed at any moment resumes exactly after
 * the last committed batch, and no row lock is held longer than one batch.
 */
export function backfillStep(ctx: StepContext): string {
  const n = names(ctx);
  const parent = dependsOn(ctx.mapping, ctx.all.tables);
  const waitForParent = parent
    ? `
  -- The path ends at ${display(parent.table)}: its rows must have their tenant first.
  if not exists (select from bulkhead_adopt.backfill_checkpoints c
                  where c.table_name = ${literal(display(parent.table))} and c.finished_at is not null) then
    raise exception 'backfill ${display(parent.table)} before ${n.display}: the mapping reads its tenant_id'
      using errcode = '55000';
  end if;`
    : '';
  return `${header(`Adoption step 2 of ${n.display}: batched, resumable backfill of tenant_id`, [
    'Creates the checkpoint row and the batch function; it moves no data itself. Run the backfill',
    `with pnpm tenancy:adopt backfill --table ${n.display} (each batch is its own short transaction;`,
    'kill it at any time and run it again: it resumes after the last committed batch).',
    'Rows the mapping cannot place (orphans, ambiguous paths) are left NULL and listed in',
    'bulkhead_adopt.backfill_unresolved: nothing is assigned by guess.',
    `Rollback: pnpm tenancy:adopt rollback --table ${n.display} --to column`,
  ])}
insert into bulkhead_adopt.backfill_checkpoints (table_name) values (${n.label});

create function ${n.batchFn}(batch_size integer)
returns table (rows_seen integer, rows_assigned integer, rows_unresolved integer, finished boolean)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  cp bulkhead_adopt.backfill_checkpoints%rowtype;
  started timestamptz := pg_catalog.clock_timestamp();
  seen integer;
  assigned integer;
  unresolved integer;
  batch_last text;
  batch_keys ${n.keyType}[];
begin
  if batch_size is null or batch_size < 1 then
    raise exception 'batch_size must be at least 1' using errcode = '22023';
  end if;${waitForParent}
  select * into cp from bulkhead_adopt.backfill_checkpoints c where c.table_name = ${n.label} for update;
  if not found then
    raise exception 'no checkpoint for ${n.display}: apply its backfill migration first' using errcode = '55000';
  end if;
  if cp.finished_at is not null then
    return query select 0, 0, 0, true;
    return;
  end if;

  -- The next keys after the checkpoint, walked along the primary key index (two statements, so
  -- neither has an OR that would keep the planner off the index).
  if cp.last_key is null then
    select pg_catalog.array_agg(s.k order by s.k) into batch_keys
      from (select t.${n.key} as k from ${n.table} t order by t.${n.key} limit batch_size) s;
  else
    select pg_catalog.array_agg(s.k order by s.k) into batch_keys
      from (select t.${n.key} as k from ${n.table} t where t.${n.key} > cp.last_key::${n.keyType} order by t.${n.key} limit batch_size) s;
  end if;

  with batch as (
    select t.${n.key} as k, t.${TENANT} as current_tenant, d.n, d.tenant
      from ${n.table} t
      left join lateral (
        ${deriveTenantSql(ctx.mapping, 't')}
      ) d on true
     where t.${n.key} = any (batch_keys)
  ), placed as (
    update ${n.table} t set ${TENANT} = b.tenant
      from batch b
     where t.${n.key} = b.k and t.${TENANT} is null and b.n = 1
    returning 1
  ), unplaced as (
    insert into bulkhead_adopt.backfill_unresolved (table_name, row_key, reason)
    select ${n.label}, b.k::text,
           case when b.n = 0 then 'orphan: the mapping finds no tenant for this row'
                else pg_catalog.format('ambiguous: the mapping finds %s tenants for this row', b.n) end
      from batch b
     where b.current_tenant is null and b.n <> 1
    on conflict (table_name, row_key) do update set reason = excluded.reason, found_at = pg_catalog.now()
    returning 1
  )
  select (select count(*)::int from batch), (select count(*)::int from placed), (select count(*)::int from unplaced),
         (select b.k::text from batch b order by b.k desc limit 1)
    into seen, assigned, unresolved, batch_last;

  update bulkhead_adopt.backfill_checkpoints c
     set last_key = coalesce(batch_last, c.last_key),
         batches = c.batches + (seen > 0)::int,
         rows_seen = c.rows_seen + seen,
         rows_assigned = c.rows_assigned + assigned,
         started_at = coalesce(c.started_at, started),
         updated_at = pg_catalog.clock_timestamp(),
         finished_at = case when seen < batch_size then pg_catalog.clock_timestamp() end,
         longest_batch_ms = greatest(c.longest_batch_ms,
                                     extract(epoch from pg_catalog.clock_timestamp() - started)::double precision * 1000)
   where c.table_name = ${n.label};
  return query select seen, assigned, unresolved, seen < batch_size;
end
$$;
comment on function ${n.batchFn}(integer) is 'Adoption: one backfill batch of ${n.display} (one transaction when called on its own).';
revoke all on function ${n.batchFn}(integer) from public, anon, authenticated, service_role;

-- For psql: the whole backfill, committing after every batch (CALL it outside a transaction block).
create procedure ${n.backfillProc}(batch_size integer default 1000)
language plpgsql
as $$
declare
  done boolean := false;
begin
  while not done loop
    select b.finished into done from ${n.batchFn}(batch_size) b;
    commit;
  end loop;
end
$$;
revoke all on procedure ${n.backfillProc}(integer) from public, anon, authenticated, service_role;

${recordStep(ctx, 'column', 'backfill', null)}
`;
}

/** Back to step 1: the backfilled values go by dropping and re-adding the column (no long update). */
export function undoBackfill(ctx: StepContext): string {
  const n = names(ctx);
  return `drop procedure if exists ${n.backfillProc}(integer);
drop function if exists ${n.batchFn}(integer);
delete from bulkhead_adopt.backfill_checkpoints where table_name = ${n.label};
delete from bulkhead_adopt.backfill_unresolved where table_name = ${n.label};
alter table ${n.table} drop column ${TENANT};
alter table ${n.table} add column ${TENANT} uuid;
comment on column ${n.table}.${TENANT} is 'The tenant this row belongs to (Bulkhead adoption).';
${recordStep(ctx, 'backfill', 'column', null)}`;
}
