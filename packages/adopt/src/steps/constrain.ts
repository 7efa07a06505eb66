import type { ForeignKey } from '../catalog';
import { ident, objectName, qualified } from '../sql';
import { header, isAdopted, names, recordStep, type StepContext, TENANT } from './context';

/**
 * Step 4: tenant_id NOT NULL, a unique key (tenant_id, <key>) that other tables' composite
 * foreign keys reference (its index leads with tenant_id), every unique constraint widened to
 * include tenant_id, and every foreign key to another adopted table replaced by one that
 * includes tenant_id, so a row can never point into another tenant, not even on a path that
 * bypasses row level security. Takes ACCESS EXCLUSIVE on the table while NOT NULL and the new
 * keys are checked: one scan of the table, not one per batch (docs/adopting.md).
 */

const actions: Record<string, string> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

/** SET NULL / SET DEFAULT name the referencing column only: tenant_id must never be cleared. */
function onDelete(fk: ForeignKey): string {
  const action = actions[fk.onDelete] ?? 'no action';
  if (fk.onDelete === 'n' || fk.onDelete === 'd') return `on delete ${action} (${fk.columns.map(ident).join(', ')})`;
  return `on delete ${action}`;
}

function onUpdate(fk: ForeignKey): string {
  // SET NULL/DEFAULT on update would clear tenant_id as well; keep the key instead.
  const action = fk.onUpdate === 'n' || fk.onUpdate === 'd' ? 'no action' : (actions[fk.onUpdate] ?? 'no action');
  return `on update ${action}`;
}

export function constrainStep(ctx: StepContext): string {
  const n = names(ctx);
  const o = ctx.original;
  const lines: string[] = [
    `alter table ${n.table} alter column ${TENANT} set not null;`,
    `alter table ${n.table} add constraint ${ident(n.tenantKey)} unique (${TENANT}, ${n.key});`,
    `alter table ${n.table} add constraint ${ident(objectName(ctx.mapping.table.name, 'tenant_id_fkey'))} foreign key (${TENANT}) references public.tenants (id);`,
  ];
  for (const u of o.uniques) {
    lines.push(
      `alter table ${n.table} drop constraint ${ident(u.name)}, add constraint ${ident(u.name)} unique (${[TENANT, ...u.columns].map(ident).join(', ')});`,
    );
  }
  for (const fk of o.foreignKeys.filter((f) => isAdopted(ctx, f.refTable))) {
    lines.push(
      `alter table ${n.table} drop constraint ${ident(fk.name)},\n  add constraint ${ident(fk.name)} foreign key (${[TENANT, ...fk.columns].map(ident).join(', ')})\n` +
        `  references ${qualified(fk.refTable)} (${[TENANT, ...fk.refColumns].map(ident).join(', ')}) ${onDelete(fk)} ${onUpdate(fk)};`,
    );
  }
  return `${header(`Adoption step 4 of ${n.display}: NOT NULL, tenant keys and foreign keys`, [
    'Applies only after the validation migration before it passed.',
    `Rollback: pnpm tenancy:adopt rollback --table ${n.display} --to backfill`,
  ])}
${lines.join('\n')}

${recordStep(ctx, 'backfill', 'constrain', null)}
`;
}

export function undoConstrain(ctx: StepContext): string {
  const n = names(ctx);
  const o = ctx.original;
  const lines: string[] = [];
  for (const fk of o.foreignKeys.filter((f) => isAdopted(ctx, f.refTable))) {
    lines.push(`alter table ${n.table} drop constraint ${ident(fk.name)}, add constraint ${ident(fk.name)} ${fk.definition};`);
  }
  for (const u of o.uniques) {
    lines.push(`alter table ${n.table} drop constraint ${ident(u.name)}, add constraint ${ident(u.name)} ${u.definition};`);
  }
  lines.push(
    `alter table ${n.table} drop constraint ${ident(objectName(ctx.mapping.table.name, 'tenant_id_fkey'))};`,
    `alter table ${n.table} drop constraint ${ident(n.tenantKey)};`,
    `alter table ${n.table} alter column ${TENANT} drop not null;`,
  );
  return `${lines.join('\n')}
${recordStep(ctx, 'constrain', 'backfill', null)}`;
}
