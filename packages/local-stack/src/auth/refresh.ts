import type { AuthApp, ClientInfo } from './app';
import { type Db, transaction } from './database';
import { badRequest, CommitThenFail } from './errors';
import { issueAccessToken, tokenResponse } from './issue';
import { checkValidity, findSession, insertRefreshToken, REFRESH_TOKEN_LENGTH, type RefreshTokenRow } from './sessions';
import { findUserById, isBanned } from './users';

/**
 * The refresh_token grant with GoTrue's rotation rules (internal/tokens/service.go, legacy
 * tokens):
 *
 * - an active (unrevoked) token is swapped for a new child token;
 * - a revoked token that is the parent of the session's active token returns that active
 *   token — the client lost the previous answer, or two tabs refreshed at once;
 * - another revoked token presented within `refresh_token_reuse_interval` of its last update
 *   gets a new child token of the same session;
 * - any other reuse revokes every refresh token of the session (when rotation is enabled),
 *   commits that, and answers 400 refresh_token_already_used.
 *
 * One deliberate difference: GoTrue's family revocation stamps updated_at = now() on the
 * tokens it revokes, so the session's last active token would pass the reuse-interval rule
 * for another `refresh_token_reuse_interval` seconds after reuse was detected. Here the
 * interval only applies to tokens that were rotated (have a child), so after detected reuse
 * the session can no longer be refreshed at all.
 */

const notFound = () => badRequest('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
const alreadyUsed = () => badRequest('refresh_token_already_used', 'Invalid Refresh Token: Already Used');

async function lockToken(db: Db, id: string): Promise<RefreshTokenRow | null> {
  const { rows } = await db.query<RefreshTokenRow>('select * from auth.refresh_tokens where id = $1 for update', [id]);
  return rows[0] ?? null;
}

export async function refreshTokenGrant(app: AuthApp, presented: string, client: ClientInfo) {
  // GoTrue only looks up 12-character legacy tokens; anything else cannot be one of ours.
  if (presented.length !== REFRESH_TOKEN_LENGTH) throw notFound();
  const found = await app.db.query<RefreshTokenRow>('select * from auth.refresh_tokens where token = $1', [presented]);
  const candidate = found.rows[0];
  if (!candidate) throw notFound();

  return transaction(app.pool, async (db) => {
    const user = await findUserById(db, candidate.user_id);
    if (!user) throw notFound();
    const now = app.now();
    if (isBanned(user.row, now)) throw badRequest('user_banned', 'Invalid Refresh Token: User Banned');

    if (!candidate.session_id) {
      // A token from before sessions existed: GoTrue deletes it.
      await db.query('delete from auth.refresh_tokens where id = $1', [candidate.id]);
      throw new CommitThenFail(badRequest('session_not_found', 'Invalid Refresh Token: No Valid Session Found'));
    }
    // Lock order session → token, the same order a sign-out's cascading DELETE takes, so a
    // refresh racing a sign-out waits instead of deadlocking. Concurrent refreshes of one
    // session queue here; the second sees the first one's rotation.
    const session = await findSession(db, candidate.session_id, true);
    const token = session ? await lockToken(db, candidate.id) : null;
    if (!session || !token) throw notFound();

    const validity = checkValidity(session, app.settings, now, token.updated_at);
    if (validity === 'timed_out') throw badRequest('session_expired', 'Invalid Refresh Token: Session Expired (Inactivity)');
    if (validity !== 'valid') throw badRequest('session_expired', 'Invalid Refresh Token: Session Expired');

    let issued: string | undefined;
    if (token.revoked) {
      const active = await db.query<{ token: string; parent: string | null }>(
        `select token, parent from auth.refresh_tokens
          where session_id = $1 and revoked = false order by id desc limit 1`,
        [session.id],
      );
      if (active.rows[0]?.parent === token.token) {
        issued = active.rows[0].token;
      } else {
        const rotated = await db.query('select 1 from auth.refresh_tokens where parent = $1 limit 1', [token.token]);
        const reusableUntil = token.updated_at.getTime() + app.settings.reuseIntervalSeconds * 1000;
        if (rotated.rowCount === 0 || now.getTime() > reusableUntil) {
          if (app.settings.rotationEnabled) {
            await db.query(
              `update auth.refresh_tokens set revoked = true, updated_at = $2
                where session_id = $1 and revoked = false`,
              [session.id, now],
            );
          }
          throw new CommitThenFail(alreadyUsed());
        }
      }
    }

    if (!issued) {
      // GoTrue's GrantRefreshTokenSwap: revoke the presented token (touching updated_at, which
      // starts its reuse interval) and chain a new one to it.
      await db.query('update auth.refresh_tokens set revoked = true, updated_at = $2 where id = $1', [token.id, now]);
      issued = await insertRefreshToken(db, { userId: user.row.id, sessionId: session.id, parent: token.token, now });
    }

    const access = await issueAccessToken(app, db, user, session.id, 'token_refresh');
    await db.query(
      `update auth.sessions
          set refreshed_at = ($2::timestamptz at time zone 'UTC'), user_agent = $3, ip = $4, updated_at = $2
        where id = $1`,
      [session.id, now, client.userAgent, client.ip],
    );
    return tokenResponse(app, user, { ...access, refreshToken: issued });
  });
}
