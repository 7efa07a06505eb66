import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { requireAdmin } from '../authenticate';
import type { Fields } from '../body';
import { checkPasswordStrength, hashPassword, MAX_PASSWORD_BYTES, validateEmail } from '../credentials';
import { transaction } from '../database';
import { ApiError, badRequest, unprocessable } from '../errors';
import { ok, type Reply, type Route, type RouteRequest } from '../route';
import { logout } from '../sessions';
import {
  DEFAULT_AUD,
  emailIdentityData,
  findUserByEmail,
  findUserById,
  insertUser,
  mergeMetadata,
  NIL_UUID,
  type User,
  type UserRow,
  userJson,
  withIdentitiesOfAll,
} from '../users';

/**
 * The admin API under /admin/users (GoTrue's admin.go), for callers whose token carries an
 * admin role — in practice the service_role key or the sb_secret_ key. Signing a user out is
 * POST /logout with that user's access token (the client's `admin.signOut(jwt, scope)`).
 *
 * Differences from GoTrue, all about client mistakes GoTrue answers with 500: an email already
 * taken by another user is 422 email_exists on update too, and a malformed password_hash is
 * 400. Users with a phone number are not supported (no SMS locally).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DUPLICATE_EMAIL = 'A user with this email address has already been registered';
const DEFAULT_PER_PAGE = 50;
const MAX_PER_PAGE = 1000;

/** Go's time.ParseDuration, for `ban_duration` ("24h", "90m", "none"); milliseconds. */
export function parseGoDuration(text: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const match = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
  if (text === '0') return 0;
  if (!match) throw badRequest('validation_failed', `invalid format for ban duration: time: invalid duration "${text}"`);
  let total = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (units[part[2] ?? 's'] ?? 0);
  }
  return match[1] === '-' ? -total : total;
}

function bannedUntil(fields: Fields, now: Date): Date | null | undefined {
  const duration = fields.string('ban_duration');
  if (duration === '') return undefined;
  if (duration === 'none') return null;
  const ms = parseGoDuration(duration);
  return ms === 0 ? null : new Date(now.getTime() + ms);
}

async function loadUser(req: RouteRequest): Promise<User> {
  const id = req.params.id ?? '';
  if (!UUID.test(id)) throw new ApiError(404, 'validation_failed', 'user_id must be an UUID');
  const user = await findUserById(req.app.db, id);
  if (!user) throw new ApiError(404, 'user_not_found', 'User not found');
  return user;
}

function refusePhone(fields: Fields): void {
  if (fields.string('phone') !== '') {
    throw badRequest('validation_failed', 'Phone numbers are not supported by the local auth server');
  }
}

/** GoTrue's obfuscation of a soft-deleted user's identifiers: a hash no one can sign in with. */
function obfuscate(row: UserRow, value: string | null): string | null {
  if (!value) return value;
  return createHash('sha256').update(`${row.id}${value}`).digest('hex');
}

async function listUsers(req: RouteRequest) {
  const parse = (name: string, fallback: number) => {
    const raw = req.query.get(name) ?? '';
    if (raw === '') return fallback;
    if (!/^\d+$/.test(raw)) {
      throw badRequest('validation_failed', `Bad Pagination Parameters: strconv.ParseUint: parsing "${raw}": invalid syntax`);
    }
    return Number(raw);
  };
  const page = Math.max(1, parse('page', 1));
  const perPage = Math.min(MAX_PER_PAGE, Math.max(1, parse('per_page', DEFAULT_PER_PAGE)));
  const filter = req.query.get('filter') ?? '';
  const where = `instance_id = $1 and aud = $2${filter ? ` and (email like $3 or raw_user_meta_data->>'full_name' ilike $3)` : ''}`;
  const params: unknown[] = [NIL_UUID, DEFAULT_AUD];
  if (filter) params.push(`%${filter}%`);

  const db = req.app.db;
  const count = await db.query<{ n: number }>(`select count(*)::int as n from auth.users where ${where}`, params);
  const total = count.rows[0]?.n ?? 0;
  const { rows } = await db.query<UserRow>(
    `select * from auth.users where ${where} order by created_at desc, id limit ${perPage} offset ${(page - 1) * perPage}`,
    params,
  );
  const users = await withIdentitiesOfAll(db, rows);

  // GoTrue's pagination headers: the request path and query with `page` replaced.
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  const link = (target: number) => {
    const query = new URLSearchParams(req.query);
    query.set('page', String(target));
    query.sort();
    return `</admin/users?${query.toString()}>`;
  };
  const links = [];
  if (totalPages > page) links.push(`${link(page + 1)}; rel="next"`);
  links.push(`${link(totalPages)}; rel="last"`);
  return ok({ users: users.map(userJson), aud: DEFAULT_AUD }, { Link: links.join(', '), 'X-Total-Count': String(total) });
}

async function createUser(req: RouteRequest) {
  const { app } = req;
  const { fields } = await req.json('AdminUserParams');
  const id = fields.string('id');
  const role = fields.string('role');
  const email = fields.string('email');
  const password = fields.optionalString('password');
  const passwordHash = fields.string('password_hash');
  const emailConfirm = fields.boolean('email_confirm');
  fields.boolean('phone_confirm');
  const userMetadata = fields.object('user_metadata');
  const appMetadata = fields.object('app_metadata');
  fields.string('aud');

  if (email === '' && fields.string('phone') === '') {
    throw badRequest('validation_failed', 'Cannot create a user without either an email or phone');
  }
  refusePhone(fields);
  const address = validateEmail(email);
  if (await findUserByEmail(app.db, address)) throw unprocessable('email_exists', DUPLICATE_EMAIL);
  if (password !== undefined && passwordHash !== '') {
    throw badRequest('validation_failed', 'Only a password or a password hash should be provided');
  }
  if (password !== undefined && Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw badRequest('validation_failed', 'bcrypt: password length exceeds 72 bytes');
  }
  if (passwordHash !== '' && !/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(passwordHash)) {
    throw badRequest('validation_failed', 'password_hash must be a bcrypt hash');
  }
  if (id !== '' && !UUID.test(id)) throw badRequest('validation_failed', 'ID must conform to the uuid v4 format');
  if (id === NIL_UUID) throw badRequest('validation_failed', 'ID cannot be a nil uuid');
  const now = app.now();
  const ban = bannedUntil(fields, now);
  // Without a password GoTrue sets a random one: the account exists but cannot sign in with one.
  const hash = passwordHash || (await hashPassword(password || randomBytes(48).toString('base64url')));

  const userId = id || randomUUID();
  const created = await transaction(app.pool, async (db) => {
    await insertUser(db, {
      id: userId,
      email: address,
      passwordHash: hash,
      role: role || undefined,
      appMetadata: mergeMetadata({ provider: 'email', providers: ['email'] }, appMetadata ?? {}),
      userMetadata: emailConfirm ? mergeMetadata(userMetadata ?? {}, { email_verified: true }) : (userMetadata ?? {}),
      identityData: emailIdentityData(userId, address),
      emailConfirmedAt: emailConfirm ? now : null,
      bannedUntil: ban ?? null,
      now,
    });
    return findUserById(db, userId);
  }).catch((error: unknown) => {
    if ((error as { code?: string }).code === '23505') throw unprocessable('email_exists', DUPLICATE_EMAIL);
    throw error;
  });
  if (!created) throw new ApiError(500, 'unexpected_failure', 'Database error creating new user');
  return ok(userJson(created));
}

async function updateUser(req: RouteRequest) {
  const { app } = req;
  const user = await loadUser(req);
  const { fields } = await req.json('AdminUserParams');
  const role = fields.string('role');
  const email = fields.string('email');
  const password = fields.optionalString('password');
  const emailConfirm = fields.boolean('email_confirm');
  fields.boolean('phone_confirm');
  const userMetadata = fields.object('user_metadata');
  const appMetadata = fields.object('app_metadata');
  refusePhone(fields);

  const address = email !== '' ? validateEmail(email) : '';
  const now = app.now();
  const ban = bannedUntil(fields, now);
  let hash: string | undefined;
  if (password !== undefined) {
    checkPasswordStrength(password, app.settings.minPasswordLength);
    hash = password === '' ? '' : await hashPassword(password);
  }
  if (address !== '' && address !== user.row.email) {
    const other = await findUserByEmail(app.db, address);
    if (other && other.row.id !== user.row.id) throw unprocessable('email_exists', DUPLICATE_EMAIL);
  }

  await transaction(app.pool, async (db) => {
    const set = (column: string, value: unknown) =>
      db.query(`update auth.users set ${column} = $2, updated_at = $3 where id = $1`, [user.row.id, value, now]);
    if (role !== '') await set('role', role);
    if (emailConfirm) {
      await set('email_confirmed_at', now);
      await set('raw_user_meta_data', mergeMetadata(user.row.raw_user_meta_data, { email_verified: true }));
    }
    if (hash !== undefined) {
      await set('encrypted_password', hash);
      // GoTrue's admin password change passes no session: every session of the user ends.
      await logout(db, 'global', user.row.id, null);
    }
    if (address !== '') {
      const identity = user.identities.find((i) => i.provider === 'email');
      if (identity) {
        await db.query('update auth.identities set identity_data = $2, updated_at = $3 where id = $1', [
          identity.id,
          mergeMetadata(identity.identity_data, { email: address, email_verified: emailConfirm }),
          now,
        ]);
      } else {
        await db.query(
          `insert into auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
            values ($1, $2, $3, $4, 'email', $5, $5, $5)`,
          [
            randomUUID(),
            user.row.id,
            user.row.id,
            { ...emailIdentityData(user.row.id, address), email_verified: emailConfirm },
            now,
          ],
        );
      }
      await set('email', address);
    }
    if (appMetadata) {
      const current = (await findUserById(db, user.row.id))?.row.raw_app_meta_data ?? null;
      await set('raw_app_meta_data', mergeMetadata(current, appMetadata));
    }
    if (userMetadata) {
      const current = (await findUserById(db, user.row.id))?.row.raw_user_meta_data ?? null;
      await set('raw_user_meta_data', mergeMetadata(current, userMetadata));
    }
    if (ban !== undefined) await set('banned_until', ban);
  }).catch((error: unknown) => {
    if ((error as { code?: string }).code === '23505') throw unprocessable('email_exists', DUPLICATE_EMAIL);
    throw error;
  });
  const updated = await findUserById(app.db, user.row.id);
  if (!updated) throw new ApiError(404, 'user_not_found', 'User not found');
  return ok(userJson(updated));
}

async function deleteUser(req: RouteRequest) {
  const { app } = req;
  const user = await loadUser(req);
  const raw = await req.rawBody();
  let soft = false;
  // GoTrue only decodes a non-empty body here.
  if (raw.length > 0) soft = (await req.json('adminUserDeleteParams')).fields.boolean('should_soft_delete');
  await transaction(app.pool, async (db) => {
    if (!soft) {
      await db.query('delete from auth.users where id = $1', [user.row.id]);
      return;
    }
    if (user.row.deleted_at) return;
    const now = app.now();
    await db.query(
      `update auth.users
          set email = $2, phone = $3, email_change = $4, encrypted_password = null, confirmation_token = '',
              recovery_token = '', email_change_token_current = '', email_change_token_new = '',
              raw_app_meta_data = null, raw_user_meta_data = null, deleted_at = $5, updated_at = $5
        where id = $1`,
      [
        user.row.id,
        obfuscate(user.row, user.row.email),
        obfuscate(user.row, user.row.phone),
        obfuscate(user.row, user.row.email_change) ?? '',
        now,
      ],
    );
    await db.query('delete from auth.identities where user_id = $1', [user.row.id]);
    await logout(db, 'global', user.row.id, null);
  });
  return ok({});
}

/** Every admin route checks the caller first, as GoTrue's requireAdminCredentials middleware. */
function admin(handler: (req: RouteRequest) => Promise<Reply>) {
  return async (req: RouteRequest) => {
    await requireAdmin(req.app, req.authorization);
    return handler(req);
  };
}

const one = /^\/admin\/users\/(?<id>[^/]+)$/;

export const adminRoutes: Route[] = [
  { method: 'GET', path: '/admin/users', handler: admin(listUsers) },
  { method: 'POST', path: '/admin/users', handler: admin(createUser) },
  { method: 'GET', path: one, handler: admin(async (req) => ok(userJson(await loadUser(req)))) },
  { method: 'PUT', path: one, handler: admin(updateUser) },
  { method: 'DELETE', path: one, handler: admin(deleteUser) },
];
