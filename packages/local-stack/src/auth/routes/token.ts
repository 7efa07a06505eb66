import { checkPasswordStrength, verifyPassword } from '../credentials';
import { transaction } from '../database';
import { badRequest, OAuthError, unprocessable, WeakPasswordError } from '../errors';
import { startSession } from '../issue';
import { refreshTokenGrant } from '../refresh';
import { ok, type Route, type RouteRequest } from '../route';
import { findUserByEmail, isBanned } from '../users';

/** POST /token?grant_type=password|refresh_token (GoTrue's Token endpoint). */

const INVALID_LOGIN = 'Invalid login credentials';
const invalidCredentials = () => badRequest('invalid_credentials', INVALID_LOGIN);

async function passwordGrant(req: RouteRequest) {
  const { app } = req;
  const { fields } = await req.json('PasswordGrantParams');
  const email = fields.string('email');
  const phone = fields.string('phone');
  const password = fields.string('password');
  if (email !== '' && phone !== '') {
    throw badRequest('validation_failed', 'Only an email address or phone number should be provided on login.');
  }
  if (email === '' && phone === '') throw badRequest('validation_failed', 'missing email or phone');
  if (email === '') throw unprocessable('phone_provider_disabled', 'Phone logins are disabled');

  const user = await findUserByEmail(app.db, email);
  const hash = user?.row.encrypted_password || null;
  // Unknown address, no password and wrong password all cost one bcrypt comparison and get
  // the same answer, so neither the body nor the timing tells whether the account exists.
  const valid = await verifyPassword(password, hash ?? app.dummyHash);
  if (!user || !hash) throw invalidCredentials();
  if (isBanned(user.row, app.now())) throw badRequest('user_banned', 'User is banned');
  if (!valid) throw invalidCredentials();
  if (!user.row.email_confirmed_at) throw badRequest('email_not_confirmed', 'Email not confirmed');

  // A correct password that no longer meets the policy still signs in; GoTrue says so in
  // `weak_password` so the app can ask for a new one.
  let weakPassword: { message: string; reasons: string[] } | undefined;
  try {
    checkPasswordStrength(password, app.settings.minPasswordLength);
  } catch (error) {
    if (error instanceof WeakPasswordError) weakPassword = { message: error.message, reasons: error.reasons };
  }
  const session = await transaction(app.pool, (db) => startSession(app, db, user.row.id, req.client, 'password'));
  return ok(weakPassword ? { ...session, weak_password: weakPassword } : session);
}

async function refreshGrant(req: RouteRequest) {
  const { fields } = await req.json('RefreshTokenGrantParams');
  const refreshToken = fields.string('refresh_token');
  if (refreshToken === '') throw new OAuthError('invalid_request', 'refresh_token required');
  return ok(await refreshTokenGrant(req.app, refreshToken, req.client));
}

export const tokenRoutes: Route[] = [
  {
    method: 'POST',
    path: '/token',
    handler: async (req) => {
      switch (req.query.get('grant_type')) {
        case 'password':
          return passwordGrant(req);
        case 'refresh_token':
          return refreshGrant(req);
        default:
          // Sic: GoTrue answers an unknown grant type with this code and message.
          throw badRequest('invalid_credentials', 'unsupported_grant_type');
      }
    },
  },
];
