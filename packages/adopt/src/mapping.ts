import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { display, parseTableName, type TableName } from './sql';

/**
 * The mapping file: per table, how an existing row finds its tenant.
 *
 *   { "tables": [
 *       { "table": "public.users",    "tenant": { "column": "org_id" } },
 *       { "table": "public.projects", "tenant": { "path": ["projects.owner_id -> memberships.user_id"] } },
 *       { "table": "public.tasks",    "tenant": { "path": ["tasks.project_id -> projects.id"] } } ] }
 *
 * `column`: the row already holds the tenant id (a loose org_id); it must name a row of
 * public.tenants. `path`: hops `table.column -> table.column`, the first starting at the table
 * itself; the last table's `tenantColumn` (default tenant_id) holds the tenant. A path may end at
 * the kit's memberships or at another adopted table, which is then backfilled first. A row whose
 * path finds no tenant is an orphan, one whose path finds several is ambiguous; neither is
 * guessed: both stay NULL and are reported by key.
 */

const endpoint = /^\s*(?:([A-Za-z_][A-Za-z0-9_$]*)\.)?([A-Za-z_][A-Za-z0-9_$]*)\.([A-Za-z_][A-Za-z0-9_$]*)\s*$/;

const hopSchema = z.string().transform((value, ctx) => {
  const sides = value.split(/->|→/);
  const parsed = sides.map((side) => endpoint.exec(side));
  if (sides.length !== 2 || parsed.some((m) => m === null)) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a hop: write "table.column -> table.column"` });
    return z.NEVER;
  }
  const [from, to] = parsed.map((m) => ({
    table: { schema: m?.[1] ?? 'public', name: m?.[2] as string },
    column: m?.[3] as string,
  })) as [Endpoint, Endpoint];
  return { from, to };
});

const tableSchema = z
  .object({
    table: z.string().min(1),
    tenant: z
      .object({
        column: z.string().min(1).optional(),
        path: z.array(hopSchema).min(1).optional(),
        tenantColumn: z.string().min(1).optional(),
      })
      .strict()
      .refine((t) => (t.column === undefined) !== (t.path === undefined), 'give either "column" or "path", not both')
      .refine((t) => t.tenantColumn === undefined || t.path !== undefined, '"tenantColumn" belongs to a "path"'),
  })
  .strict();

export const mappingSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    tables: z.array(tableSchema).min(1, 'list at least one table'),
  })
  .strict();

export interface Endpoint {
  table: TableName;
  column: string;
}

export interface Hop {
  from: Endpoint;
  to: Endpoint;
}

export type TenantSource = { kind: 'column'; column: string } | { kind: 'path'; hops: Hop[]; tenantColumn: string };

export interface TableMapping {
  table: TableName;
  tenant: TenantSource;
}

export interface Mapping {
  /** In backfill order: a table whose path ends at another adopted table comes after it. */
  tables: TableMapping[];
}

export class MappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingError';
  }
}

const same = (a: TableName, b: TableName) => a.schema === b.schema && a.name === b.name;

export function parseMapping(value: unknown, origin = 'mapping'): Mapping {
  const parsed = mappingSchema.safeParse(value);
  if (!parsed.success) throw new MappingError(`${origin} is invalid:\n${z.prettifyError(parsed.error)}`);
  const tables: TableMapping[] = parsed.data.tables.map((entry) => {
    const table = parseTableName(entry.table);
    if (entry.tenant.column !== undefined) return { table, tenant: { kind: 'column', column: entry.tenant.column } };
    const hops = entry.tenant.path ?? [];
    hops.forEach((hop, i) => {
      const expected = i === 0 ? table : (hops[i - 1] as Hop).to.table;
      if (!same(hop.from.table, expected)) {
        throw new MappingError(
          `${origin}: ${display(table)} path hop ${i + 1} starts at ${display(hop.from.table)}, expected ${display(expected)}`,
        );
      }
    });
    return { table, tenant: { kind: 'path', hops, tenantColumn: entry.tenant.tenantColumn ?? 'tenant_id' } };
  });
  const seen = new Set<string>();
  for (const t of tables) {
    if (seen.has(display(t.table))) throw new MappingError(`${origin}: ${display(t.table)} is listed twice`);
    seen.add(display(t.table));
  }
  return { tables: backfillOrder(tables, origin) };
}

export function loadMapping(path: string): Mapping {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new MappingError(`cannot read the mapping file ${path}: ${(error as Error).message}`);
  }
  return parseMapping(json, path);
}

/** The adopted table a path ends at, if any: its tenant must be known first. */
export function dependsOn(mapping: TableMapping, all: TableMapping[]): TableMapping | undefined {
  if (mapping.tenant.kind !== 'path') return undefined;
  const last = mapping.tenant.hops.at(-1) as Hop;
  return all.find((t) => same(t.table, last.to.table) && !same(t.table, mapping.table));
}

function backfillOrder(tables: TableMapping[], origin: string): TableMapping[] {
  const ordered: TableMapping[] = [];
  const visiting = new Set<TableMapping>();
  const visit = (t: TableMapping) => {
    if (ordered.includes(t)) return;
    if (visiting.has(t)) throw new MappingError(`${origin}: the paths of ${display(t.table)} form a cycle`);
    visiting.add(t);
    const parent = dependsOn(t, tables);
    if (parent) visit(parent);
    visiting.delete(t);
    ordered.push(t);
  };
  for (const t of tables) visit(t);
  return ordered;
}

export function findTable(mapping: Mapping, name: string): TableMapping {
  const table = parseTableName(name);
  const found = mapping.tables.find((t) => same(t.table, table));
  if (!found) throw new MappingError(`${display(table)} is not in the mapping file`);
  return found;
}
