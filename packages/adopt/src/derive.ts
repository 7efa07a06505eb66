import type { TableMapping } from './mapping';
import { ident, qualified } from './sql';

/**
 * The SQL that finds a row's tenant from the mapping, as one subquery returning
 *   n       how many distinct tenants the mapping finds (0 orphan, 1 found, more ambiguous)
 *   tenant  the tenant when n = 1
 * `row` is the alias of the row being placed (`t` in the backfill, `new` in the trigger). The
 * backfill, the insert trigger and nothing else use it, so both place rows the same way.
 */
export function deriveTenantSql(mapping: TableMapping, row: string): string {
  const source = mapping.tenant;
  if (source.kind === 'column') {
    // A loose org id (uuid or text): it places the row only if it names an existing tenant. The
    // value becomes a uuid (or NULL) first, so the lookup is one probe of the tenants key.
    const value = `${row}.${ident(source.column)}::text`;
    return `select count(x.id)::int as n, (pg_catalog.array_agg(x.id))[1] as tenant
          from public.tenants x
         where x.id = (case when ${value} ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then ${value}::uuid end)`;
  }
  const hops = source.hops;
  const last = `h${hops.length}`;
  const tenant = `${last}.${ident(source.tenantColumn)}`;
  const joins = hops
    .slice(1)
    .map(
      (hop, i) =>
        `\n          join ${qualified(hop.to.table)} h${i + 2} on h${i + 2}.${ident(hop.to.column)} = h${i + 1}.${ident(hop.from.column)}`,
    )
    .join('');
  const first = hops[0] as (typeof hops)[number];
  return `select count(distinct ${tenant})::int as n,
               (pg_catalog.array_agg(distinct ${tenant}) filter (where ${tenant} is not null))[1] as tenant
          from ${qualified(first.to.table)} h1${joins}
         where h1.${ident(first.to.column)} = ${row}.${ident(first.from.column)}`;
}
