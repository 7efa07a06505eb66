import { randomUUID } from 'node:crypto';
import { checkPasswordStrength, hashPassword, validateEmail } from '../credentials';
import { transaction } from '../database';
import { badRequest, unprocessable } from '../errors';
import { startSession } from '../issue';
import { ok, type Route } from '../route';
import { emailIdentityData, findUserByEmail, insertUser, mergeMetadata } from '../users';

/**
 * POST /signup with email and password (GoTrue's Signup). Locally the address is confirmed at
 * once, as with `enable_confirmations = false`, so the answer is a session, like GoTrue's
 * autoconfirm path; signing up an existing address answers 422 user_already_exists.
 */

const UNIQUE_VIOLATION = '23505';

export const signupRoutes: Route[] = [
  {
    method: 'POST',
    path: '/signup',
    handler: async (req) => {
      const { app } = req;
      const { fields } = await req.json('SignupParams');
      const email = fields.string('email');
      const phone = fields.string('phone');
      const password = fields.string('password');
      const data = fields.object('data') ?? {};
      fields.string('channel');
      fields.string('code_challenge');
      fields.string('code_challenge_method');

      if (email === '' && phone === '') {
        throw unprocessable('anonymous_provider_disabled', 'Anonymous sign-ins are disabled');
      }
      if (!app.settings.enableSignup) throw unprocessable('signup_disabled', 'Signups not allowed for this instance');
      if (password === '') throw badRequest('validation_failed', 'Signup requires a valid password');
      checkPasswordStrength(password, app.settings.minPasswordLength);
      if (email !== '' && phone !== '') {
        throw badRequest('validation_failed', 'Only an email address or phone number should be provided on signup.');
      }
      if (email === '') throw badRequest('phone_provider_disabled', 'Phone signups are disabled');
      const address = validateEmail(email);

      const alreadyRegistered = () => unprocessable('user_already_exists', 'User already registered');
      if (await findUserByEmail(app.db, address)) throw alreadyRegistered();
      // Hash outside the transaction: bcrypt is slow and needs no connection.
      const passwordHash = await hashPassword(password);

      const id = randomUUID();
      try {
        await transaction(app.pool, async (db) => {
          const now = app.now();
          const identityData = emailIdentityData(id, address, data);
          await insertUser(db, {
            id,
            email: address,
            passwordHash,
            appMetadata: { provider: 'email', providers: ['email'] },
            // GoTrue copies the identity's data into user_metadata, and confirming the address
            // adds email_verified: true.
            userMetadata: mergeMetadata(identityData, { email_verified: true }),
            identityData,
            emailConfirmedAt: now,
            now,
          });
        });
      } catch (error) {
        // Two sign-ups of one address at once: the unique email index picks the winner.
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw alreadyRegistered();
        throw error;
      }
      // A second transaction, as in GoTrue: a failing access token hook leaves the (confirmed)
      // user in place and only the session is not created.
      return ok(await transaction(app.pool, (db) => startSession(app, db, id, req.client, 'password')));
    },
  },
];
