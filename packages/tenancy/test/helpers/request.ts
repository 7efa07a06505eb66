import type pg from 'pg';
import type { Json } from './auth';

/**
 * One API request's database transaction, as PostgREST and the apps' withTenant() run it: on a
 * connection logged in as app_server (or PostgREST's authenticator), `set local role` to the
 * request role and the verified claims in `request.jwt.claims`, both transaction-local so they end
 * with the transaction and never reach the next request on a pooled connection.
 */

export type RequestRole = 'authenticated' | 'anon';

export interface RequestOptions {
  /** The role for this transaction; `null` skips SET ROLE (the forgotten-wrapper case). Default 'authenticated'. */
  role?: RequestRole | null;
  /** Roll back instead of committing: the statements' effects are observed, then discarded. */
  rollback?: boolean;
  /** Transaction isolation level; default the server's (read committed, as PostgREST uses). */
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
}

/** Runs `fn` inside one request transaction with `claims` (null: no claims at all). */
export async function inRequest<T>(
  client: pg.ClientBase,
  claims: Json | null,
  fn: (client: pg.ClientBase) => Promise<T>,
  options: RequestOptions = {},
): Promise<T> {
  const role = options.role === undefined ? 'authenticated' : options.role;
  await client.query(options.isolation ? `begin isolation level ${options.isolation}` : 'begin');
  try {
    if (role) await client.query(role === 'anon' ? 'set local role anon' : 'set local role authenticated');
    if (claims) await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
    const result = await fn(client);
    await client.query(options.rollback ? 'rollback' : 'commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

/** A statement's outcome, errors included, so a test can assert either. */
export type Outcome<R extends pg.QueryResultRow = pg.QueryResultRow> =
  | { ok: true; rowCount: number; rows: R[] }
  | { ok: false; code: string; message: string };

/** Runs one statement and reports its outcome instead of throwing on a database error. */
export async function attempt<R extends pg.QueryResultRow = pg.QueryResultRow>(
  client: pg.ClientBase,
  sql: string,
  params: unknown[] = [],
): Promise<Outcome<R>> {
  await client.query('savepoint attempt');
  try {
    const result = await client.query<R>(sql, params);
    await client.query('release savepoint attempt');
    return { ok: true, rowCount: result.rowCount ?? result.rows.length, rows: result.rows };
  } catch (error) {
    await client.query('rollback to savepoint attempt');
    const pgError = error as { code?: string; message?: string };
    if (!pgError.code) throw error;
    return { ok: false, code: pgError.code, message: pgError.message ?? String(error) };
  }
}

/** SQLSTATE of "insufficient privilege": missing grants and WITH CHECK violations alike. */
export const INSUFFICIENT_PRIVILEGE = '42501';
