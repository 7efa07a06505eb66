import { authenticate } from '../authenticate';
import { checkPasswordStrength, hashPassword, validateEmail, verifyPassword } from '../credentials';
import { transaction } from '../database';
import { badRequest, forbidden, unprocessable } from '../errors';
import { ok, type Route } from '../route';
import { logout } from '../sessions';
import { findUserByEmail, findUserById, mergeMetadata, userJson } from '../users';

/**
 * GET and PUT /user (GoTrue's UserGet and UserUpdate).
 *
 * A new password ends every *other* session of the user — GoTrue's User.UpdatePassword deletes
 * them (LogoutAllExceptMe) — while the session that changed it stays signed in. A new email is
 * recorded as a pending change (`new_email`) exactly as GoTrue does before the address is
 * confirmed; there is no mailer locally, so it is never confirmed. Phone changes need an SMS
 * provider and are refused.
 */

export const userRoutes: Route[] = [
  {
    method: 'GET',
    path: '/user',
    handler: async (req) => {
      const { user, claims } = await authenticate(req.app, req.authorization);
      const requested = req.header('x-jwt-aud');
      const tokenAud = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
      if (!tokenAud || (requested && requested !== tokenAud)) {
        throw badRequest('validation_failed', "Token audience doesn't match request audience");
      }
      return ok(userJson(user));
    },
  },
  {
    method: 'PUT',
    path: '/user',
    handler: async (req) => {
      const { app } = req;
      const { user, session } = await authenticate(app, req.authorization);
      const { fields } = await req.json('UserUpdateParams');
      const email = fields.string('email');
      const password = fields.optionalString('password');
      const data = fields.object('data');
      const appData = fields.object('app_metadata');
      const phone = fields.string('phone');
      fields.string('nonce');
      fields.string('channel');
      fields.string('code_challenge');
      fields.string('code_challenge_method');

      const newEmail = email !== '' ? validateEmail(email) : '';
      if (password !== undefined) checkPasswordStrength(password, app.settings.minPasswordLength);
      // Only admins may write app_metadata; users never are admins through this endpoint.
      if (appData) throw forbidden('not_admin', 'Updating app_metadata requires admin privileges');
      if (phone !== '' && phone !== (user.row.phone ?? '')) {
        throw unprocessable('phone_provider_disabled', 'Phone logins are disabled');
      }
      const changingEmail = newEmail !== '' && newEmail !== (user.row.email ?? '');
      if (changingEmail) {
        const other = await findUserByEmail(app.db, newEmail);
        if (other && other.row.id !== user.row.id) {
          throw unprocessable('email_exists', 'A user with this email address has already been registered');
        }
      }

      let passwordHash: string | undefined;
      if (password !== undefined) {
        if (password !== '' && (await verifyPassword(password, user.row.encrypted_password))) {
          throw unprocessable('same_password', 'New password should be different from the old password.');
        }
        passwordHash = password === '' ? '' : await hashPassword(password);
      }

      await transaction(app.pool, async (db) => {
        const now = app.now();
        if (passwordHash !== undefined) {
          await db.query(
            `update auth.users set encrypted_password = $2, confirmation_token = '', confirmation_sent_at = null,
                    recovery_token = '', recovery_sent_at = null, email_change_token_current = '',
                    email_change_token_new = '', email_change_sent_at = null, phone_change_token = '',
                    phone_change_sent_at = null, reauthentication_token = '', reauthentication_sent_at = null,
                    updated_at = $3
              where id = $1`,
            [user.row.id, passwordHash, now],
          );
          await logout(db, 'others', user.row.id, session?.id ?? null);
        }
        if (data) {
          await db.query('update auth.users set raw_user_meta_data = $2, updated_at = $3 where id = $1', [
            user.row.id,
            mergeMetadata(user.row.raw_user_meta_data, data),
            now,
          ]);
        }
        if (changingEmail) {
          // GoTrue records the change and mails both addresses; it takes effect once confirmed.
          await db.query('update auth.users set email_change = $2, email_change_sent_at = $3, updated_at = $3 where id = $1', [
            user.row.id,
            newEmail,
            now,
          ]);
        }
      });
      const updated = await findUserById(app.db, user.row.id);
      if (!updated) throw forbidden('user_not_found', 'User from sub claim in JWT does not exist');
      return ok(userJson(updated));
    },
  },
];
