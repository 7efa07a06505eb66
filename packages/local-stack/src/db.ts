import pg from 'pg';

/** A connection string with another login (user and password) on the same server and database. */
export function withLogin(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** A connection string for another database on the same server, same login. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

/** Open one client, run `fn`, always close it. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Line number (1-based) of a character position reported by Postgres in an error. */
export function lineOfPosition(sql: string, position: string | number | undefined): number | undefined {
  const pos = Number(position);
  if (!Number.isFinite(pos) || pos < 1) return undefined;
  return sql.slice(0, pos - 1).split('\n').length;
}
