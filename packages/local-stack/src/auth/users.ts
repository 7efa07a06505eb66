import { randomUUID } from 'node:crypto';
import type { Db } from './database';
import { type FactorRow, factorsOfUsers } from './factors';

/**
 * auth.users and auth.identities: the rows GoTrue writes and the JSON it answers with. Column
 * values follow GoTrue's models (nil instance_id, '' for unused token columns, lowercased email,
 * app_metadata.provider/providers), so SQL and triggers see the same data on both stacks.
 */

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
export const DEFAULT_AUD = 'authenticated';
export const DEFAULT_ROLE = 'authenticated';

export type Json = Record<string, unknown>;

export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  invited_at: Date | null;
  phone: string | null;
  phone_confirmed_at: Date | null;
  confirmation_sent_at: Date | null;
  confirmed_at: Date | null;
  recovery_sent_at: Date | null;
  email_change: string | null;
  email_change_sent_at: Date | null;
  phone_change: string | null;
  phone_change_sent_at: Date | null;
  reauthentication_sent_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Json | null;
  raw_user_meta_data: Json | null;
  created_at: Date;
  updated_at: Date;
  banned_until: Date | null;
  deleted_at: Date | null;
  is_anonymous: boolean;
  is_sso_user: boolean;
}

export interface IdentityRow {
  id: string;
  provider_id: string;
  user_id: string;
  identity_data: Json;
  provider: string;
  last_sign_in_at: Date | null;
  created_at: Date;
  updated_at: Date;
  email: string | null;
}

export interface User {
  row: UserRow;
  identities: IdentityRow[];
  /** MFA factors, verified or not; GET /user and token responses list them. */
  factors: FactorRow[];
}

export async function findUserById(db: Db, id: string): Promise<User | null> {
  const { rows } = await db.query<UserRow>('select * from auth.users where id = $1 and instance_id = $2', [id, NIL_UUID]);
  return rows[0] ? withIdentities(db, rows[0]) : null;
}

export async function findUserByEmail(db: Db, email: string, aud = DEFAULT_AUD): Promise<User | null> {
  const { rows } = await db.query<UserRow>(
    `select * from auth.users
      where instance_id = $1 and lower(email) = lower($2) and aud = $3 and is_sso_user = false
      limit 1`,
    [NIL_UUID, email, aud],
  );
  return rows[0] ? withIdentities(db, rows[0]) : null;
}

async function withIdentities(db: Db, row: UserRow): Promise<User> {
  const [user] = await withIdentitiesOfAll(db, [row]);
  return user ?? { row, identities: [], factors: [] };
}

/** Users with their identities, in one query for all of them. */
export async function withIdentitiesOfAll(db: Db, rows: UserRow[]): Promise<User[]> {
  if (rows.length === 0) return [];
  const { rows: identities } = await db.query<IdentityRow>(
    'select * from auth.identities where user_id = any($1::uuid[]) order by created_at, id',
    [rows.map((row) => row.id)],
  );
  const factors = await factorsOfUsers(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    row,
    identities: identities.filter((identity) => identity.user_id === row.id),
    factors: factors.filter((factor) => factor.user_id === row.id),
  }));
}

export function isBanned(row: UserRow, now: Date): boolean {
  return row.banned_until !== null && now < row.banned_until;
}

/** The identity_data GoTrue stores for an email identity (provider.Claims mapped to JSON). */
export function emailIdentityData(userId: string, email: string, extra: Json = {}): Json {
  const data: Json = { sub: userId, email, email_verified: false, phone_verified: false };
  for (const [key, value] of Object.entries(extra)) if (!(key in data)) data[key] = value;
  return data;
}

export interface NewUser {
  id?: string;
  email: string;
  passwordHash: string | null;
  role?: string;
  appMetadata: Json;
  userMetadata: Json;
  emailConfirmedAt: Date | null;
  identityData?: Json;
  bannedUntil?: Date | null;
  now: Date;
}

/** Inserts the user and its email identity; the unique email index decides races. */
export async function insertUser(db: Db, input: NewUser): Promise<string> {
  const id = input.id ?? randomUUID();
  await db.query(
    `insert into auth.users (
        instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
        confirmation_token, recovery_token, email_change_token_new, email_change,
        raw_app_meta_data, raw_user_meta_data, created_at, updated_at, banned_until,
        is_sso_user, is_anonymous)
      values ($1, $2, $3, $4, $5, $6, $7, '', '', '', '', $8, $9, $10, $10, $11, false, false)`,
    [
      NIL_UUID,
      id,
      DEFAULT_AUD,
      input.role ?? DEFAULT_ROLE,
      input.email,
      input.passwordHash ?? '',
      input.emailConfirmedAt,
      input.appMetadata,
      input.userMetadata,
      input.now,
      input.bannedUntil ?? null,
    ],
  );
  await db.query(
    `insert into auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
      values ($1, $2, $3, $4, 'email', $5, $5, $5)`,
    [randomUUID(), id, id, input.identityData ?? emailIdentityData(id, input.email), input.now],
  );
  return id;
}

/** GoTrue's metadata update: keys are merged, a null value removes its key. */
export function mergeMetadata(current: Json | null, updates: Json): Json {
  const merged: Json = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(updates)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

const iso = (value: Date | null) => (value ? value.toISOString() : undefined);

function identityJson(identity: IdentityRow) {
  return {
    identity_id: identity.id,
    id: identity.provider_id,
    user_id: identity.user_id,
    identity_data: identity.identity_data,
    provider: identity.provider,
    last_sign_in_at: iso(identity.last_sign_in_at),
    created_at: identity.created_at.toISOString(),
    updated_at: identity.updated_at.toISOString(),
    email: identity.email ?? undefined,
  };
}

/** GoTrue's Factor JSON (the secret never leaves the server). */
export function factorJson(factor: FactorRow) {
  return {
    id: factor.id,
    friendly_name: factor.friendly_name || undefined,
    factor_type: factor.factor_type,
    status: factor.status,
    created_at: factor.created_at.toISOString(),
    updated_at: factor.updated_at.toISOString(),
    last_challenged_at: factor.last_challenged_at ? factor.last_challenged_at.toISOString() : null,
  };
}

/** The user object of every GoTrue response, fields in GoTrue's order; empty optionals omitted. */
export function userJson({ row, identities, factors }: User) {
  return {
    id: row.id,
    aud: row.aud ?? '',
    role: row.role ?? '',
    email: row.email ?? '',
    email_confirmed_at: iso(row.email_confirmed_at),
    invited_at: iso(row.invited_at),
    phone: row.phone ?? '',
    phone_confirmed_at: iso(row.phone_confirmed_at),
    confirmation_sent_at: iso(row.confirmation_sent_at),
    confirmed_at: iso(row.confirmed_at),
    recovery_sent_at: iso(row.recovery_sent_at),
    new_email: row.email_change || undefined,
    email_change_sent_at: iso(row.email_change_sent_at),
    new_phone: row.phone_change || undefined,
    phone_change_sent_at: iso(row.phone_change_sent_at),
    reauthentication_sent_at: iso(row.reauthentication_sent_at),
    last_sign_in_at: iso(row.last_sign_in_at),
    app_metadata: row.raw_app_meta_data ?? {},
    user_metadata: row.raw_user_meta_data ?? {},
    identities: identities.map(identityJson),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    banned_until: iso(row.banned_until),
    deleted_at: iso(row.deleted_at),
    is_anonymous: row.is_anonymous,
    factors: factors.length > 0 ? factors.map(factorJson) : undefined,
  };
}
