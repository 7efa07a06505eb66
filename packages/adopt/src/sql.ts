/** Quoting for the SQL the tool writes: every identifier and literal goes through these. */

export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export interface TableName {
  schema: string;
  name: string;
}

/** `schema.name` (unquoted) → its parts; a bare name is in `public`. */
export function parseTableName(value: string): TableName {
  const parts = value.split('.');
  if (parts.length === 1) return { schema: 'public', name: parts[0] as string };
  if (parts.length === 2) return { schema: parts[0] as string, name: parts[1] as string };
  throw new Error(`"${value}" is not a table name: write schema.table or table`);
}

export function qualified(table: TableName): string {
  return `${ident(table.schema)}.${ident(table.name)}`;
}

export function display(table: TableName): string {
  return `${table.schema}.${table.name}`;
}

/** A name derived from a table for generated objects (functions, triggers, files): schema__table. */
export function slug(table: TableName): string {
  return `${table.schema}__${table.name}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** PostgreSQL truncates identifiers at 63 bytes; generated names must stay distinct and whole. */
export function objectName(...parts: string[]): string {
  const name = parts.join('_');
  if (Buffer.byteLength(name) > 63) throw new Error(`generated name "${name}" is longer than 63 bytes; shorten the table name`);
  return name;
}
