import { renderSVG } from 'uqr';
import type { AuthApp } from '../app';
import { type Authenticated, authenticate } from '../authenticate';
import { transaction } from '../database';
import { ApiError, badRequest, internalError, notFound, unprocessable } from '../errors';
import {
  challengeExpiresAt,
  type FactorRow,
  findChallenge,
  findOwnedFactor,
  insertChallenge,
  insertTotpFactor,
  MAX_ENROLLED_FACTORS,
  MAX_VERIFIED_FACTORS,
} from '../factors';
import { upgradeSessionToAal2 } from '../issue';
import { ok, type Route, type RouteRequest } from '../route';
import { newTotpSecret, otpauthUri, verifyTotp } from '../totp';

/**
 * TOTP multi-factor authentication (GoTrue's internal/api/mfa.go): POST /factors (enrol),
 * POST /factors/{id}/challenge, POST /factors/{id}/verify (which lifts the session to aal2 and
 * answers a new token pair), DELETE /factors/{id}. Phone and WebAuthn factors are not offered.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FACTOR_PATH = /^\/factors\/(?<factorId>[^/]+)$/;
const CHALLENGE_PATH = /^\/factors\/(?<factorId>[^/]+)\/challenge$/;
const VERIFY_PATH = /^\/factors\/(?<factorId>[^/]+)\/verify$/;

/** Every MFA endpoint needs a signed-in user *with* a session (GoTrue answers 500 otherwise). */
async function requireSession(req: RouteRequest): Promise<Authenticated & { session: NonNullable<Authenticated['session']> }> {
  const auth = await authenticate(req.app, req.authorization);
  if (!auth.session) throw internalError('A valid session and a registered user are required to enroll a factor');
  return { ...auth, session: auth.session };
}

async function ownedFactor(req: RouteRequest, userId: string): Promise<FactorRow> {
  const factorId = req.params.factorId ?? '';
  const factor = UUID.test(factorId) ? await findOwnedFactor(req.app.db, userId, factorId) : null;
  if (!factor) throw notFound('mfa_factor_not_found', 'Factor not found');
  return factor;
}

const callerIp = (req: RouteRequest) => req.client.ip ?? '127.0.0.1';

function issuerOf(app: AuthApp, requested: string): string {
  if (requested !== '') return requested;
  try {
    return new URL(app.settings.siteUrl).host;
  } catch {
    throw internalError('site url is improperly formatted');
  }
}

async function enroll(req: RouteRequest) {
  const { app } = req;
  const { user, session } = await requireSession(req);
  const { fields } = await req.json('EnrollFactorParams');
  const factorType = fields.string('factor_type');
  const friendlyName = fields.string('friendly_name');
  const issuer = fields.string('issuer');
  fields.string('phone');
  if (factorType === 'phone') throw unprocessable('mfa_phone_enroll_not_enabled', 'MFA enroll is disabled for Phone');
  if (factorType === 'webauthn') throw unprocessable('mfa_webauthn_enroll_not_enabled', 'MFA enroll is disabled for WebAuthn');
  if (factorType !== 'totp') throw badRequest('validation_failed', 'factor_type needs to be totp, phone, or webauthn');

  const factors = user.factors;
  if (factors.some((factor) => (factor.friendly_name ?? '') === friendlyName)) {
    throw unprocessable(
      'mfa_factor_name_conflict',
      `A factor with the friendly name "${friendlyName}" for this user already exists`,
    );
  }
  const verified = factors.filter((factor) => factor.status === 'verified').length;
  if (factors.length >= MAX_ENROLLED_FACTORS || verified >= MAX_VERIFIED_FACTORS) {
    throw unprocessable('too_many_enrolled_mfa_factors', 'Maximum number of verified factors reached, unenroll to continue');
  }
  // Adding a factor to an account that already has one must not be possible with a password alone.
  if (verified > 0 && session.aal !== 'aal2') {
    throw new ApiError(403, 'insufficient_aal', 'AAL2 required to enroll a new factor');
  }

  const secret = newTotpSecret();
  const uri = otpauthUri({ issuer: issuerOf(app, issuer), account: user.row.email ?? '', secret });
  const id = await insertTotpFactor(app.db, { userId: user.row.id, friendlyName, secret, now: app.now() });
  // GoTrue sends the bare SVG; auth-js prefixes it with `data:image/svg+xml;utf-8,`.
  return ok({ id, type: 'totp', friendly_name: friendlyName, totp: { qr_code: renderSVG(uri, { ecc: 'H' }), secret, uri } });
}

async function challenge(req: RouteRequest) {
  const { app } = req;
  const { user } = await requireSession(req);
  const factor = await ownedFactor(req, user.row.id);
  if (factor.factor_type !== 'totp') throw badRequest('validation_failed', 'factor_type needs to be totp, phone, or webauthn');
  const now = app.now();
  const id = await transaction(app.pool, (db) => insertChallenge(db, { factorId: factor.id, ip: callerIp(req), now }));
  return ok({ id, type: 'totp', expires_at: Math.floor(challengeExpiresAt({ created_at: now }).getTime() / 1000) });
}

async function verify(req: RouteRequest) {
  const { app } = req;
  const { user, session } = await requireSession(req);
  const factor = await ownedFactor(req, user.row.id);
  const { fields } = await req.json('VerifyFactorParams');
  const challengeId = fields.string('challenge_id');
  const code = fields.string('code');
  if (!UUID.test(challengeId)) {
    throw badRequest('bad_json', 'Could not parse request body as JSON: challenge_id must be a UUID');
  }
  if (code === '') throw badRequest('validation_failed', 'Code needs to be non-empty');

  const found = await findChallenge(app.db, factor.id, challengeId);
  if (!found) throw unprocessable('mfa_factor_not_found', 'MFA factor with the provided challenge ID not found');
  // A used challenge and one answered from another address are refused alike, as in GoTrue.
  if (found.verified_at || found.ip_address !== callerIp(req)) {
    throw unprocessable('mfa_ip_address_mismatch', 'Challenge and verify IP addresses mismatch.');
  }
  const now = app.now();
  if (now > challengeExpiresAt(found)) {
    await app.db.query('delete from auth.mfa_challenges where id = $1', [found.id]);
    throw unprocessable(
      'mfa_challenge_expired',
      `MFA challenge ${found.id} has expired, verify against another challenge or create a new challenge.`,
    );
  }
  if (!factor.secret || !verifyTotp(factor.secret, code, now)) {
    throw unprocessable('mfa_verification_failed', 'Invalid TOTP code entered');
  }

  const tokens = await transaction(app.pool, async (db) => {
    await db.query('update auth.mfa_challenges set verified_at = $2 where id = $1', [found.id, now]);
    if (factor.status !== 'verified') {
      await db.query(`update auth.mfa_factors set status = 'verified', updated_at = $2 where id = $1`, [factor.id, now]);
    }
    return upgradeSessionToAal2(app, db, user.row.id, session.id, factor.id);
  });
  return ok(tokens);
}

async function unenroll(req: RouteRequest) {
  const { app } = req;
  const { user, session } = await requireSession(req);
  const factor = await ownedFactor(req, user.row.id);
  if (factor.status === 'verified' && session.aal !== 'aal2') {
    throw unprocessable('insufficient_aal', 'AAL2 required to unenroll verified factor');
  }
  await transaction(app.pool, async (db) => {
    await db.query('delete from auth.mfa_factors where id = $1', [factor.id]);
    // Sessions that proved this factor are back to aal1 (GoTrue's DowngradeSessionsToAAL1).
    const downgraded = await db.query<{ id: string }>(
      `update auth.sessions set aal = 'aal1', factor_id = null, updated_at = $2 where factor_id = $1 returning id`,
      [factor.id, app.now()],
    );
    const ids = downgraded.rows.map((row) => row.id);
    if (ids.length > 0) {
      await db.query(`delete from auth.mfa_amr_claims where session_id = any($1::uuid[]) and authentication_method = 'totp'`, [
        ids,
      ]);
    }
  });
  return ok({ id: factor.id });
}

export const mfaRoutes: Route[] = [
  { method: 'POST', path: '/factors', handler: enroll },
  { method: 'POST', path: CHALLENGE_PATH, handler: challenge },
  { method: 'POST', path: VERIFY_PATH, handler: verify },
  { method: 'DELETE', path: FACTOR_PATH, handler: unenroll },
];
