import { deriveTenantSql } from '../derive';
import { literal } from '../sql';
import { header, names, recordStep, type StepContext, TENANT } from './context';

/** The insert trigger that places new rows while the old app keeps writing without a tenant. */
export function deriveTriggerSql(ctx: StepContext): string {
  const n = names(ctx);
  return `create function ${n.deriveFn}()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  placement record;
begin
  if new.${TENANT} is null then
    select d.n, d.tenant into placement from (
        ${deriveTenantSql(ctx.mapping, 'new')}
      ) d;
    if placement.n = 1 then
      new.${TENANT} := placement.tenant;
    end if;
  end if;
  return new;
end
$$;
comment on function ${n.deriveFn}() is 'Adoption: gives a new ${n.display} row its tenant the way the backfill does, while the app does not set it yet.';
revoke all on function ${n.deriveFn}() from public, anon, authenticated, service_role;
create trigger adopt_derive_tenant_id
  before insert on ${n.table}
  for each row execute function ${n.deriveFn}();`;
}

export function columnStep(ctx: StepContext): string {
  const n = names(ctx);
  return `${header(`Adoption step 1 of ${n.display}: a nullable tenant_id`, [
    'Adds tenant_id without a default (a catalog-only change: no table rewrite, the lock is brief).',
    'New rows get their tenant from an insert trigger that follows the mapping, so the backfill',
    'only has to place the rows that exist now. The table as it is before this step is recorded',
    'in bulkhead_adopt.tables: that is what a rollback restores.',
    `Rollback: pnpm tenancy:adopt rollback --table ${n.display} --to none`,
  ])}
alter table ${n.table} add column ${TENANT} uuid;
comment on column ${n.table}.${TENANT} is 'The tenant this row belongs to (Bulkhead adoption).';

${deriveTriggerSql(ctx)}

insert into bulkhead_adopt.tables (table_name, state, step, original)
values (${n.label}, 'off', 'column', ${literal(JSON.stringify(ctx.original))}::jsonb);
insert into bulkhead_adopt.state_log (table_name, from_step, to_step) values (${n.label}, null, 'column');
`;
}

export function undoColumn(ctx: StepContext): string {
  const n = names(ctx);
  return `drop trigger if exists adopt_derive_tenant_id on ${n.table};
drop function if exists ${n.deriveFn}();
alter table ${n.table} drop column ${TENANT};
${recordStep(ctx, 'column', null, null)}`;
}
