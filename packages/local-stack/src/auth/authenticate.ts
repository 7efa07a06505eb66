import type { JWTPayload } from 'jose';
import type { AuthApp } from './app';
import { ApiError, badRequest, forbidden } from './errors';
import { findSession, type SessionRow } from './sessions';
import { verifyAccessToken } from './tokens';
import { findUserById, type User } from './users';

/**
 * GoTrue's requireAuthentication and requireAdminCredentials (internal/api/auth.go): a bearer
 * token that verifies, a `sub` naming an existing user, and — the part sign-out relies on — a
 * `session_id` naming a session row that still exists.
 */

const BEARER = /^[Bb]earer (\S+)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_SESSION = '00000000-0000-0000-0000-000000000000';
/** GoTrue's default GOTRUE_JWT_ADMIN_ROLES. */
const ADMIN_ROLES = new Set(['service_role', 'supabase_admin']);

export async function verifiedClaims(app: AuthApp, authorization: string | undefined): Promise<JWTPayload> {
  const token = authorization ? BEARER.exec(authorization)?.[1] : undefined;
  if (!token) throw new ApiError(401, 'no_authorization', 'This endpoint requires a Bearer token');
  const result = await verifyAccessToken(token, app.signingKeys, app.apiKeys.jwtSecret);
  if (!result.ok) throw forbidden('bad_jwt', `invalid JWT: unable to parse or verify signature, ${result.reason}`);
  return result.claims;
}

export interface Authenticated {
  claims: JWTPayload;
  user: User;
  session: SessionRow | null;
}

export async function authenticate(app: AuthApp, authorization: string | undefined): Promise<Authenticated> {
  const claims = await verifiedClaims(app, authorization);
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (sub === '') throw forbidden('bad_jwt', 'invalid claim: missing sub claim');
  if (!UUID.test(sub)) throw badRequest('bad_jwt', 'invalid claim: sub claim must be a UUID');
  const user = await findUserById(app.db, sub);
  if (!user) throw forbidden('user_not_found', 'User from sub claim in JWT does not exist');

  const sessionId = typeof claims.session_id === 'string' ? claims.session_id : '';
  let session: SessionRow | null = null;
  if (sessionId !== '' && sessionId !== NIL_SESSION) {
    if (!UUID.test(sessionId)) throw forbidden('bad_jwt', 'invalid claim: session_id claim must be a UUID');
    session = await findSession(app.db, sessionId);
    if (!session) throw forbidden('session_not_found', 'Session from session_id claim in JWT does not exist');
  }
  return { claims, user, session };
}

export async function requireAdmin(app: AuthApp, authorization: string | undefined): Promise<JWTPayload> {
  const claims = await verifiedClaims(app, authorization);
  if (typeof claims.role !== 'string' || !ADMIN_ROLES.has(claims.role)) throw forbidden('not_admin', 'User not allowed');
  return claims;
}
