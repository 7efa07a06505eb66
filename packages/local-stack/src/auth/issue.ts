import type { AuthApp, ClientInfo } from './app';
import type { Db } from './database';
import { internalError } from './errors';
import { runAccessTokenHook } from './hook';
import { addAmrClaim, createSession, findSession, insertRefreshToken, sessionAmr } from './sessions';
import { accessTokenClaims, signAccessToken } from './tokens';
import { DEFAULT_AUD, findUserById, type User, userJson } from './users';

/**
 * Issuing tokens (GoTrue's GenerateAccessToken and IssueRefreshToken). Everything runs on the
 * caller's transaction, so the custom access token hook sees — and its failure undoes — the
 * session and refresh token written in the same request.
 */

/** How the session was authenticated: the hook's `authentication_method` and the `amr` claim. */
export type AuthenticationMethod = 'password' | 'token_refresh' | 'totp';

export async function issueAccessToken(
  app: AuthApp,
  db: Db,
  user: User,
  sessionId: string,
  method: AuthenticationMethod,
): Promise<{ accessToken: string; expiresAt: number }> {
  const session = await findSession(db, sessionId);
  if (!session) throw internalError('Session is required to issue access token');
  const issuedAt = Math.floor(app.now().getTime() / 1000);
  const claims = accessTokenClaims({
    issuer: app.issuer,
    userId: user.row.id,
    aud: user.row.aud ?? DEFAULT_AUD,
    role: user.row.role ?? '',
    email: user.row.email ?? '',
    phone: user.row.phone ?? '',
    appMetadata: user.row.raw_app_meta_data ?? {},
    userMetadata: user.row.raw_user_meta_data ?? {},
    sessionId,
    aal: session.aal ?? 'aal1',
    amr: await sessionAmr(db, sessionId),
    isAnonymous: user.row.is_anonymous,
    issuedAt,
    expiresIn: app.settings.jwtExpiry,
  });
  const hook = app.settings.accessTokenHook;
  // With the hook on, the token carries exactly the claims the hook returned, as in GoTrue.
  const signed = hook
    ? await runAccessTokenHook(db, hook, { user_id: user.row.id, claims, authentication_method: method })
    : claims;
  return { accessToken: await signAccessToken(app.signingKeys, signed), expiresAt: claims.exp };
}

export function tokenResponse(
  app: AuthApp,
  user: User,
  tokens: { accessToken: string; expiresAt: number; refreshToken: string },
) {
  return {
    access_token: tokens.accessToken,
    token_type: 'bearer',
    expires_in: app.settings.jwtExpiry,
    expires_at: tokens.expiresAt,
    refresh_token: tokens.refreshToken,
    user: userJson(user),
  };
}

/** A signed-in session for `userId`: session row, first refresh token, AMR claim, access token. */
export async function startSession(app: AuthApp, db: Db, userId: string, client: ClientInfo, method: AuthenticationMethod) {
  const now = app.now();
  const { sessionId, refreshToken } = await createSession(db, { userId, client, now });
  await addAmrClaim(db, sessionId, method, now);
  // Re-read so the response shows last_sign_in_at as written.
  const user = await findUserById(db, userId);
  if (!user) throw internalError('Database error granting user');
  const access = await issueAccessToken(app, db, user, sessionId, method);
  return tokenResponse(app, user, { ...access, refreshToken });
}

/**
 * A verified second factor lifts the caller's session to aal2 (GoTrue's updateMFASessionAndClaims
 * plus what verify does around it): the `totp` AMR entry, the session's active refresh token
 * swapped for a child (so the old one becomes reusable only as its parent), `aal2` and the
 * factor on the session row, a new access token — and every *other* aal1 session of the user
 * deleted, since it never proved the second factor.
 */
export async function upgradeSessionToAal2(app: AuthApp, db: Db, userId: string, sessionId: string, factorId: string) {
  const now = app.now();
  await addAmrClaim(db, sessionId, 'totp', now);
  const active = await db.query<{ id: string; token: string }>(
    `select id, token from auth.refresh_tokens
      where session_id = $1 and revoked = false order by id desc limit 1 for update`,
    [sessionId],
  );
  const current = active.rows[0];
  if (current) {
    await db.query('update auth.refresh_tokens set revoked = true, updated_at = $2 where id = $1', [current.id, now]);
  }
  const refreshToken = await insertRefreshToken(db, { userId, sessionId, parent: current?.token ?? null, now });
  await db.query(`update auth.sessions set aal = 'aal2', factor_id = $2, updated_at = $3 where id = $1`, [
    sessionId,
    factorId,
    now,
  ]);
  await db.query(`delete from auth.sessions where user_id = $1 and id <> $2 and coalesce(aal, 'aal1') = 'aal1'`, [
    userId,
    sessionId,
  ]);
  await db.query(`delete from auth.mfa_factors where user_id = $1 and factor_type = 'totp' and status = 'unverified'`, [userId]);
  const user = await findUserById(db, userId);
  if (!user) throw internalError('Database error granting user');
  const access = await issueAccessToken(app, db, user, sessionId, 'totp');
  return tokenResponse(app, user, { ...access, refreshToken });
}
