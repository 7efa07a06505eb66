import { authenticate } from '../authenticate';
import { transaction } from '../database';
import { badRequest } from '../errors';
import type { Route } from '../route';
import { type LogoutScope, logout } from '../sessions';

/**
 * POST /logout?scope=global|local|others (GoTrue's Logout): deletes auth.sessions rows — all of
 * the user's (the default), the caller's, or all but the caller's — and answers 204. The admin
 * API's signOut(jwt, scope) is this same call made with the service key as apikey.
 */

const scopes = new Map<string, LogoutScope>([
  ['', 'global'],
  ['global', 'global'],
  ['local', 'local'],
  ['others', 'others'],
]);

export const logoutRoutes: Route[] = [
  {
    method: 'POST',
    path: '/logout',
    handler: async (req) => {
      const { user, session } = await authenticate(req.app, req.authorization);
      const requested = req.query.get('scope') ?? '';
      const scope = scopes.get(requested);
      if (!scope) throw badRequest('validation_failed', `Unsupported logout scope "${requested}"`);
      await transaction(req.app.pool, (db) => logout(db, scope, user.row.id, session?.id ?? null));
      return { status: 204 };
    },
  },
];
