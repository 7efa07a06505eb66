import 'server-only';
import type { AccessTokenClaims } from '@bulkhead/tenancy';
import { getVerifiedClaims } from '@bulkhead/tenancy/next';
import { SessionEndedError, withSession } from '@bulkhead/tenancy/server';
import type { SQL } from 'drizzle-orm';
import { redirect } from 'next/navigation';

/**
 * Who is using the console, and the one way it reaches the database.
 *
 * The console holds no privileged credential: it uses the same app_server login and the same
 * request transaction as the tenant app (`set local role authenticated` + the verified claims),
 * and calls the staff functions (supabase/migrations/20260105000500_staff_console.sql), which
 * check staff membership and aal2 themselves and write the audit log. The checks here only route
 * people to the right page.
 */

export type StaffClaims = AccessTokenClaims & { aal: 'aal2' };

/** A signed-in staff member at aal2, or a redirect to where they must go first. */
export async function requireStaff(): Promise<StaffClaims> {
  const claims = await getVerifiedClaims();
  if (!claims) redirect('/sign-in');
  if (claims.app_metadata.staff !== true) redirect('/denied');
  if (claims.aal !== 'aal2') redirect('/mfa');
  return claims as StaffClaims;
}

/** The database refused: not (or no longer) staff, or not at aal2. */
export class StaffRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StaffRefusedError';
  }
}

type Query = <R extends Record<string, unknown>>(statement: SQL) => Promise<R[]>;

/** Runs staff functions in one request transaction as the staff member. */
export async function asStaff<T>(claims: StaffClaims, fn: (query: Query) => Promise<T>): Promise<T> {
  try {
    return await withSession(claims, (db) =>
      fn(async <R extends Record<string, unknown>>(statement: SQL) => (await db.execute(statement)).rows as R[]),
    );
  } catch (error) {
    if (error instanceof SessionEndedError) redirect('/sign-in?reason=session_ended');
    // Drizzle wraps the driver's error; the Postgres code and message are on its cause.
    const pgError = ((error as { cause?: unknown }).cause ?? error) as { code?: string; message?: string };
    if (pgError.code === '42501') redirect('/denied?reason=refused');
    if (pgError.code === '22023') throw new StaffRefusedError(pgError.message ?? 'The request was refused.');
    throw error;
  }
}
