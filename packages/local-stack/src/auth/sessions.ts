import { randomBytes, randomUUID } from 'node:crypto';
import type { ClientInfo } from './app';
import type { Db } from './database';
import { NIL_UUID } from './users';

/**
 * auth.sessions, auth.refresh_tokens and auth.mfa_amr_claims, written as GoTrue writes them
 * with its legacy refresh tokens (internal/models/{sessions,refresh_token}.go): one session row
 * per sign-in, a chain of 12-character refresh tokens linked by `parent`, sign-out by DELETE of
 * session rows (the refresh tokens go with them through the foreign key).
 */

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  updated_at: Date | null;
  aal: string | null;
  not_after: Date | null;
  /** A UTC `timestamp` column in GoTrue's schema; read back as UTC. */
  refreshed_at: Date | null;
}

export interface RefreshTokenRow {
  id: string;
  token: string;
  user_id: string;
  revoked: boolean;
  created_at: Date;
  updated_at: Date;
  parent: string | null;
  session_id: string | null;
}

/** GoTrue's legacy token: crypto.SecureAlphanumeric(12), lowercase base32 of random bytes. */
export const REFRESH_TOKEN_LENGTH = 12;
const base32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function newRefreshToken(): string {
  const bits = [...randomBytes(8)].map((byte) => byte.toString(2).padStart(8, '0')).join('');
  let out = '';
  for (let i = 0; out.length < REFRESH_TOKEN_LENGTH; i += 5) out += base32[Number.parseInt(bits.slice(i, i + 5), 2)];
  return out;
}

const sessionColumns = `id, user_id, created_at, updated_at, aal::text as aal, not_after,
  (refreshed_at at time zone 'UTC') as refreshed_at`;

export async function findSession(db: Db, id: string, forUpdate = false): Promise<SessionRow | null> {
  const { rows } = await db.query<SessionRow>(
    `select ${sessionColumns} from auth.sessions where id = $1${forUpdate ? ' for update' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function insertRefreshToken(
  db: Db,
  input: { userId: string; sessionId: string; parent: string | null; now: Date },
): Promise<string> {
  const token = newRefreshToken();
  await db.query(
    `insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
      values ($1, $2, $3, false, $4, $4, $5, $6)`,
    [NIL_UUID, token, input.userId, input.now, input.parent, input.sessionId],
  );
  return token;
}

/** A new session with its first refresh token (GoTrue's GrantAuthenticatedUser). */
export async function createSession(
  db: Db,
  input: { userId: string; client: ClientInfo; now: Date },
): Promise<{ sessionId: string; refreshToken: string }> {
  const sessionId = randomUUID();
  await db.query(
    `insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
      values ($1, $2, $3, $3, 'aal1', $4, $5)`,
    [sessionId, input.userId, input.now, input.client.userAgent, input.client.ip],
  );
  const refreshToken = await insertRefreshToken(db, { userId: input.userId, sessionId, parent: null, now: input.now });
  await db.query('update auth.users set last_sign_in_at = $2, updated_at = $2 where id = $1', [input.userId, input.now]);
  return { sessionId, refreshToken };
}

/** Records how the session was authenticated; becomes the `amr` claim (GoTrue's AddClaimToSession). */
export async function addAmrClaim(db: Db, sessionId: string, method: string, now: Date): Promise<void> {
  await db.query(
    `insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
      values ($1, $2, $3, $3, $4)
      on conflict (session_id, authentication_method) do update set updated_at = excluded.updated_at`,
    [randomUUID(), sessionId, now, method],
  );
}

/** Most recent first, as GoTrue's CalculateAALAndAMR sorts them. */
export async function sessionAmr(db: Db, sessionId: string): Promise<Array<{ method: string; timestamp: number }>> {
  const { rows } = await db.query<{ method: string; updated_at: Date }>(
    'select authentication_method as method, updated_at from auth.mfa_amr_claims where session_id = $1 order by updated_at desc',
    [sessionId],
  );
  return rows.map((row) => ({ method: row.method, timestamp: Math.floor(row.updated_at.getTime() / 1000) }));
}

export type SessionValidity = 'valid' | 'past_not_after' | 'past_timebox' | 'timed_out';

/**
 * GoTrue's Session.CheckValidity: `not_after`, then the timebox from creation, then inactivity
 * since the last refresh (or, before the first refresh, the refresh token's last update).
 */
export function checkValidity(
  session: SessionRow,
  limits: { timeboxSeconds?: number; inactivitySeconds?: number },
  now: Date,
  refreshTokenTime: Date,
): SessionValidity {
  if (session.not_after && now > session.not_after) return 'past_not_after';
  if (limits.timeboxSeconds && now.getTime() > session.created_at.getTime() + limits.timeboxSeconds * 1000) {
    return 'past_timebox';
  }
  if (limits.inactivitySeconds) {
    let lastActive = session.refreshed_at ?? session.created_at;
    if (!session.refreshed_at && refreshTokenTime > session.created_at) lastActive = refreshTokenTime;
    if (now.getTime() > lastActive.getTime() + limits.inactivitySeconds * 1000) return 'timed_out';
  }
  return 'valid';
}

export type LogoutScope = 'global' | 'local' | 'others';

/** Sign-out deletes session rows; refresh tokens and AMR claims cascade. */
export async function logout(db: Db, scope: LogoutScope, userId: string, sessionId: string | null): Promise<void> {
  if (sessionId && scope === 'local') {
    await db.query('delete from auth.sessions where id = $1', [sessionId]);
  } else if (sessionId && scope === 'others') {
    await db.query('delete from auth.sessions where user_id = $1 and id <> $2', [userId, sessionId]);
  } else {
    await db.query('delete from auth.sessions where user_id = $1', [userId]);
  }
}
