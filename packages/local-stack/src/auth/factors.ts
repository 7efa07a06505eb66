import { randomUUID } from 'node:crypto';
import type { Db } from './database';

/**
 * auth.mfa_factors and auth.mfa_challenges as GoTrue writes them for TOTP (internal/models/
 * factor.go, challenge.go): a factor starts `unverified`, becomes `verified` on its first
 * successful verify; a challenge records the caller's IP and is stamped `verified_at` once used.
 * Secrets are stored in the clear, as GoTrue does without `GOTRUE_SECURITY_DB_ENCRYPTION`.
 */

export interface FactorRow {
  id: string;
  user_id: string;
  friendly_name: string | null;
  factor_type: string;
  status: 'verified' | 'unverified';
  created_at: Date;
  updated_at: Date;
  secret: string | null;
  phone: string | null;
  last_challenged_at: Date | null;
}

export interface ChallengeRow {
  id: string;
  factor_id: string;
  created_at: Date;
  verified_at: Date | null;
  ip_address: string;
}

/** GoTrue's defaults: MFA_MAX_ENROLLED_FACTORS, MFA_MAX_VERIFIED_FACTORS, MFA_CHALLENGE_EXPIRY_DURATION. */
export const MAX_ENROLLED_FACTORS = 10;
export const MAX_VERIFIED_FACTORS = 10;
export const CHALLENGE_EXPIRY_SECONDS = 300;

const factorColumns = `id, user_id, friendly_name, factor_type::text as factor_type, status::text as status,
  created_at, updated_at, secret, phone, last_challenged_at`;

export async function factorsOfUsers(db: Db, userIds: string[]): Promise<FactorRow[]> {
  const { rows } = await db.query<FactorRow>(
    `select ${factorColumns} from auth.mfa_factors where user_id = any($1::uuid[]) order by created_at, id`,
    [userIds],
  );
  return rows;
}

export async function findOwnedFactor(db: Db, userId: string, factorId: string): Promise<FactorRow | null> {
  const { rows } = await db.query<FactorRow>(`select ${factorColumns} from auth.mfa_factors where id = $1 and user_id = $2`, [
    factorId,
    userId,
  ]);
  return rows[0] ?? null;
}

export async function insertTotpFactor(
  db: Db,
  input: { userId: string; friendlyName: string; secret: string; now: Date },
): Promise<string> {
  const id = randomUUID();
  await db.query(
    `insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret)
      values ($1, $2, $3, 'totp', 'unverified', $4, $4, $5)`,
    [id, input.userId, input.friendlyName, input.now, input.secret],
  );
  return id;
}

export async function insertChallenge(db: Db, input: { factorId: string; ip: string; now: Date }): Promise<string> {
  const id = randomUUID();
  await db.query('insert into auth.mfa_challenges (id, factor_id, created_at, ip_address) values ($1, $2, $3, $4)', [
    id,
    input.factorId,
    input.now,
    input.ip,
  ]);
  await db.query('update auth.mfa_factors set last_challenged_at = $2, updated_at = $2 where id = $1', [
    input.factorId,
    input.now,
  ]);
  return id;
}

export async function findChallenge(db: Db, factorId: string, challengeId: string): Promise<ChallengeRow | null> {
  const { rows } = await db.query<ChallengeRow>(
    `select id, factor_id, created_at, verified_at, host(ip_address) as ip_address
       from auth.mfa_challenges where id = $1 and factor_id = $2`,
    [challengeId, factorId],
  );
  return rows[0] ?? null;
}

export const challengeExpiresAt = (challenge: { created_at: Date }) =>
  new Date(challenge.created_at.getTime() + CHALLENGE_EXPIRY_SECONDS * 1000);
