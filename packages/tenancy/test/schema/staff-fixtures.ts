import type { AccessTokenClaims, TenancyTestKit, TestSession } from '../helpers';

/**
 * Staff for the schema tests: a user listed in private.staff_members (as `pnpm admin:grant-staff`
 * does), signed in through the real claims hook (which adds app_metadata.staff), with the `aal` a
 * verified TOTP factor would give the token, and optionally a break-glass grant on a tenant.
 */

export type GrantState = 'none' | 'live' | 'expired' | 'ended';

export interface StaffMember {
  session: TestSession;
  /** The token's claims at the requested assurance level. */
  claims: AccessTokenClaims;
}

export async function createStaff(
  kit: TenancyTestKit,
  options: { aal: 'aal1' | 'aal2'; grant?: { tenantId: string; state: GrantState } },
): Promise<StaffMember> {
  const user = await kit.createUser();
  await kit.adminQuery('insert into private.staff_members (user_id, email) values ($1, $2)', [user.id, user.email]);
  const grant = options.grant;
  if (grant && grant.state !== 'none') {
    const timing =
      grant.state === 'expired'
        ? `now() - interval '2 hours', now() - interval '1 hour', null`
        : grant.state === 'ended'
          ? `now(), now() + interval '30 minutes', now()`
          : `now(), now() + interval '30 minutes', null`;
    await kit.adminQuery(
      `insert into private.staff_access_grants (staff_user_id, granted_tenant_id, reason, created_at, expires_at, ended_at)
       values ($1, $2, 'schema test: ${grant.state} grant', ${timing})`,
      [user.id, grant.tenantId],
    );
  }
  const session = await kit.signIn(user);
  return { session, claims: { ...session.claims, aal: options.aal } };
}

/** What private.staff_begin_read() leaves behind in a transaction: the audited-read marker. */
export const READ_MARKER = 'bulkhead.staff_read_tenant';
