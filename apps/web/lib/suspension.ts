import 'server-only';
import type { AccessTokenClaims } from '@bulkhead/tenancy';
import { withSession } from '@bulkhead/tenancy/server';
import { sql } from 'drizzle-orm';

/**
 * Whether the tenant the user's token names is suspended by the operator's staff. Asked only
 * after the database has already refused the tenant (TenantAccessLostError), to show the
 * suspended page instead of a sign-in loop. It answers about the caller's own claimed tenant only
 * (private.claimed_tenant_suspended()).
 */
export async function claimedTenantSuspended(claims: AccessTokenClaims): Promise<boolean> {
  try {
    return await withSession(claims, async (db) => {
      const result = await db.execute<{ suspended: boolean }>(sql`select private.claimed_tenant_suspended() as suspended`);
      return result.rows[0]?.suspended === true;
    });
  } catch {
    // A dead session is not a suspension; the caller's normal path handles it.
    return false;
  }
}
