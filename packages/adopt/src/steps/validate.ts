import { display, ident, literal, qualified, type TableName } from '../sql';
import { header, isAdopted, names, type StepContext, TENANT } from './context';

/**
 * Step 3: is the table ready for NOT NULL and tenant keys? One query, used both by
 * `pnpm tenancy:adopt validate` (the full list) and by the gate migration (which stops the
 * migration chain while anything is listed). Rows: (table_name, problem, row_key, detail).
 *   missing-tenant   a row still without tenant_id, with the backfill's reason (orphan, ambiguous);
 *   cross-tenant     a row whose reference (a foreign key, or the first hop of its mapping path)
 *                    points at a row of another tenant: after step 4 the composite key forbids it.
 */

export interface Reference {
  columns: string[];
  refTable: TableName;
  refColumns: string[];
  what: string;
}

/** References from this table to other adopted tables that must agree on the tenant. */
export function tenantReferences(ctx: StepContext): Reference[] {
  const out: Reference[] = ctx.original.foreignKeys
    .filter((fk) => isAdopted(ctx, fk.refTable))
    .map((fk) => ({ columns: fk.columns, refTable: fk.refTable, refColumns: fk.refColumns, what: `foreign key ${fk.name}` }));
  const source = ctx.mapping.tenant;
  if (source.kind === 'path') {
    const first = source.hops[0];
    if (first && isAdopted(ctx, first.to.table)) {
      const dup = out.some((r) => r.columns.length === 1 && r.columns[0] === first.from.column);
      if (!dup)
        out.push({ columns: [first.from.column], refTable: first.to.table, refColumns: [first.to.column], what: 'mapping path' });
    }
  }
  return out;
}

export function validationQuery(ctx: StepContext): string {
  const n = names(ctx);
  const parts = [
    `select ${n.label}::text as table_name, 'missing-tenant'::text as problem, t.${n.key}::text as row_key,
       coalesce(u.reason, 'no tenant_id (not reached by the backfill yet?)') as detail
  from ${n.table} t
  left join bulkhead_adopt.backfill_unresolved u on u.table_name = ${n.label} and u.row_key = t.${n.key}::text
 where t.${TENANT} is null`,
  ];
  for (const ref of tenantReferences(ctx)) {
    const on = ref.columns.map((c, i) => `p.${ident(ref.refColumns[i] as string)} = t.${ident(c)}`).join(' and ');
    const label = literal(`${ref.what} (${ref.columns.join(', ')}) -> ${display(ref.refTable)}`);
    parts.push(`select ${n.label}::text, 'cross-tenant'::text, t.${n.key}::text,
       pg_catalog.format('%s: row tenant %s, referenced row %s of tenant %s', ${label}, t.${TENANT}, p.${ident(ref.refColumns[0] as string)}, p.${TENANT})
  from ${n.table} t
  join ${qualified(ref.refTable)} p on ${on}
 where t.${TENANT} <> p.${TENANT}`);
  }
  return parts.join('\nunion all\n');
}

export function validateStep(ctx: StepContext): string {
  const n = names(ctx);
  return `${header(`Adoption step 3 of ${n.display}: validate before NOT NULL and tenant keys`, [
    'Changes nothing. Fails, listing rows by key, while any row has no tenant_id (orphans and',
    'ambiguous rows are not guessed: fix, assign or delete each one explicitly) or any reference',
    'points into another tenant. The next migration (NOT NULL, composite keys) applies only after it.',
    `Full list: pnpm tenancy:adopt validate --table ${n.display}`,
  ])}
do $validate$
declare
  total integer;
  listing text;
begin
  select count(*)::int,
         string_agg(pg_catalog.format('%s %s: %s', v.problem, v.row_key, v.detail), E'\\n' order by v.problem, v.row_key)
           filter (where v.rn <= 50)
    into total, listing
    from (select q.*, row_number() over (order by q.problem, q.row_key) as rn from (
${validationQuery(ctx)}
    ) q) v;
  if total > 0 then
    raise exception '${n.display} is not ready for NOT NULL and tenant keys: % row problem(s)', total
      using detail = listing,
            hint = 'Run pnpm tenancy:adopt validate for the full list; fix, assign or delete each row explicitly, then apply again.';
  end if;
end
$validate$;
`;
}
