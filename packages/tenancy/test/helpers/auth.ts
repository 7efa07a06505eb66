import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/**
 * Supabase Auth, the parts the database sees: users and sessions as rows of auth.users and
 * auth.sessions, and access-token claims produced by the real claims hook. Tests never write
 * claims by hand: they build GoTrue's input claims from the user row and let
 * private.custom_access_token_hook decide the tenant, exactly as Auth does at sign-in/refresh.
 */

/** A JSON object, as claims and metadata are. */
export type Json = { [key: string]: unknown };

/** Access-token claims as Supabase Auth issues them (after the hook). */
export interface AccessTokenClaims extends Json {
  aud: string;
  exp: number;
  iat: number;
  iss: string;
  sub: string;
  email: string;
  phone: string;
  role: string;
  aal: string;
  amr: { method: string; timestamp: number }[];
  session_id: string;
  is_anonymous: boolean;
  app_metadata: Json & { tenant_id?: string; tenant_role?: string };
  user_metadata: Json;
}

export interface TestUser {
  id: string;
  email: string;
}

/** A signed-in session: its auth.sessions row and the claims of its current access token. */
export interface TestSession {
  user: TestUser;
  sessionId: string;
  claims: AccessTokenClaims;
}

export type AuthenticationMethod = 'password' | 'otp' | 'oauth' | 'magiclink' | 'anonymous' | 'token_refresh';

/** The issuer the local stack's auth server uses. */
export const LOCAL_ISSUER = 'http://127.0.0.1:54321/auth/v1';

/** A clearly-fake, unique e-mail address for a test user. */
export function testEmail(label = 'user'): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.test`;
}

export interface CreateUserOptions {
  email?: string;
  /** raw_user_meta_data: what a user may write about themselves (updateUser({ data })). */
  userMetadata?: Json;
  /** raw_app_meta_data beyond GoTrue's provider fields. */
  appMetadata?: Json;
}

/** Inserts an auth.users row the way GoTrue does for an e-mail sign-up. Needs a role that may write auth.users. */
export async function insertUser(client: pg.ClientBase, options: CreateUserOptions = {}): Promise<TestUser> {
  const id = randomUUID();
  const email = (options.email ?? testEmail()).toLowerCase();
  await client.query(
    `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                             raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                             confirmation_token, recovery_token, email_change_token_new, email_change)
     values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, '', now(),
             $3, $4, now(), now(), '', '', '', '')`,
    [
      id,
      email,
      JSON.stringify({ provider: 'email', providers: ['email'], ...options.appMetadata }),
      JSON.stringify(options.userMetadata ?? {}),
    ],
  );
  return { id, email };
}

/** Writes raw_user_meta_data, as a user may do for themselves through Auth's updateUser({ data }). */
export async function setUserMetadata(client: pg.ClientBase, user: TestUser, userMetadata: Json): Promise<void> {
  await client.query('update auth.users set raw_user_meta_data = $2, updated_at = now() where id = $1', [
    user.id,
    JSON.stringify(userMetadata),
  ]);
}

export interface SessionOptions {
  /** auth.sessions.not_after: the session's hard end (Auth's timebox). */
  notAfter?: Date | null;
}

/** Inserts a live auth.sessions row for the user; returns its id (the token's session_id). */
export async function insertSession(client: pg.ClientBase, user: TestUser, options: SessionOptions = {}): Promise<string> {
  const id = randomUUID();
  await client.query(
    `insert into auth.sessions (id, user_id, created_at, updated_at, aal, not_after)
     values ($1, $2, now(), now(), 'aal1', $3)`,
    [id, user.id, options.notAfter ?? null],
  );
  return id;
}

/** Sign-out / revocation as Auth does it: the session row is deleted. */
export async function deleteSession(client: pg.ClientBase, sessionId: string): Promise<void> {
  await client.query('delete from auth.sessions where id = $1', [sessionId]);
}

/** Ends a session at `notAfter` without deleting it (Auth's timebox). */
export async function setSessionNotAfter(client: pg.ClientBase, sessionId: string, notAfter: Date | null): Promise<void> {
  await client.query('update auth.sessions set not_after = $2 where id = $1', [sessionId, notAfter]);
}

/**
 * The claims GoTrue hands the hook: built from the user row, as Auth builds them (app_metadata from
 * raw_app_meta_data, user_metadata from raw_user_meta_data), for one session.
 */
export async function gotrueInputClaims(
  client: pg.ClientBase,
  user: TestUser,
  sessionId: string,
  method: AuthenticationMethod = 'password',
): Promise<AccessTokenClaims> {
  const { rows } = await client.query<{
    email: string;
    phone: string | null;
    app: Json | null;
    meta: Json | null;
    anon: boolean;
  }>(
    `select email, phone, raw_app_meta_data as app, raw_user_meta_data as meta, is_anonymous as anon
       from auth.users where id = $1`,
    [user.id],
  );
  const row = rows[0];
  if (!row) throw new Error(`no auth.users row for ${user.id}`);
  const now = Math.floor(Date.now() / 1000);
  return {
    aud: 'authenticated',
    exp: now + 3600,
    iat: now,
    iss: LOCAL_ISSUER,
    sub: user.id,
    email: row.email,
    phone: row.phone ?? '',
    role: 'authenticated',
    aal: 'aal1',
    amr: [{ method: method === 'token_refresh' ? 'password' : method, timestamp: now }],
    session_id: sessionId,
    is_anonymous: row.anon,
    app_metadata: row.app ?? {},
    user_metadata: row.meta ?? {},
  };
}

/** What the hook receives and returns (Supabase Auth's custom access token hook contract). */
export interface HookEvent {
  user_id: string;
  claims: Json;
  authentication_method: AuthenticationMethod;
}

/**
 * Calls the real claims hook as Auth does: as supabase_auth_admin, in its own transaction, under a
 * 2 s statement timeout. `authAdmin` must be a connection logged in as supabase_auth_admin.
 * Returns the hook's raw output ({ claims } or { error }).
 */
export async function callClaimsHook(authAdmin: pg.ClientBase, event: HookEvent | Json | null): Promise<Json> {
  await authAdmin.query('begin');
  try {
    await authAdmin.query(`set local statement_timeout = '2s'`);
    const { rows } = await authAdmin.query<{ output: Json }>('select private.custom_access_token_hook($1::jsonb) as output', [
      event === null ? null : JSON.stringify(event),
    ]);
    await authAdmin.query('commit');
    return rows[0]?.output as Json;
  } catch (error) {
    await authAdmin.query('rollback').catch(() => undefined);
    throw error;
  }
}

/** The access-token claims Auth would issue for this session now: input claims → real hook → claims. */
export async function issueAccessTokenClaims(
  admin: pg.ClientBase,
  authAdmin: pg.ClientBase,
  user: TestUser,
  sessionId: string,
  method: AuthenticationMethod = 'password',
): Promise<AccessTokenClaims> {
  const input = await gotrueInputClaims(admin, user, sessionId, method);
  const output = await callClaimsHook(authAdmin, { user_id: user.id, claims: input, authentication_method: method });
  if (!output || typeof output !== 'object' || !output.claims) {
    throw new Error(`claims hook returned no claims: ${JSON.stringify(output)}`);
  }
  return output.claims as AccessTokenClaims;
}
