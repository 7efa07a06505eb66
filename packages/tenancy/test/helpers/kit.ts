import { createTestDatabase, type TestCluster, type TestDatabase } from '@bulkhead/local-stack/testing';
import pg from 'pg';
import {
  type AccessTokenClaims,
  type CreateUserOptions,
  deleteSession,
  insertSession,
  insertUser,
  issueAccessTokenClaims,
  type Json,
  type SessionOptions,
  type TestSession,
  type TestUser,
} from './auth';
import { inRequest, type RequestOptions } from './request';

/**
 * A migrated test database with the connections a tenancy test needs, and the Auth-side actions
 * (sign up, sign in, refresh, sign out) expressed on real rows and the real claims hook.
 *
 *   const kit = await TenancyTestKit.open(inject('cluster'));
 *   const alice = await kit.signIn(await kit.createUser());
 *   const tenantId = await kit.rpc(alice, 'select public.create_tenant($1, $2) as id', ['Acme', 'acme']);
 *   const aliceInAcme = await kit.refresh(alice);        // the hook now puts Acme in her token
 *   await kit.as(aliceInAcme, (c) => c.query('select * from public.documents'));
 *   await kit.close();
 *
 * Connections: `admin` is the cluster superuser (fixtures only; it bypasses RLS), `authAdmin` is
 * supabase_auth_admin (calls the hook, as Auth does), `appServer` is a pool of app_server logins
 * (the apps' login), `authenticator` a pool of PostgREST's login (for anonymous requests: app_server
 * cannot become anon).
 */
export class TenancyTestKit {
  private constructor(
    readonly db: TestDatabase,
    readonly admin: pg.Client,
    readonly authAdmin: pg.Client,
    readonly appServer: pg.Pool,
    readonly authenticator: pg.Pool,
  ) {}

  static async open(cluster: TestCluster): Promise<TenancyTestKit> {
    const db = await createTestDatabase(cluster);
    const admin = new pg.Client({ connectionString: db.superuserUrl });
    const authAdmin = new pg.Client({ connectionString: db.loginUrl('supabase_auth_admin') });
    await admin.connect();
    await authAdmin.connect();
    const appServer = new pg.Pool({ connectionString: db.loginUrl('app_server'), max: 4 });
    const authenticator = new pg.Pool({ connectionString: db.loginUrl('authenticator'), max: 2 });
    return new TenancyTestKit(db, admin, authAdmin, appServer, authenticator);
  }

  async close(): Promise<void> {
    await this.appServer.end();
    await this.authenticator.end();
    await this.authAdmin.end();
    await this.admin.end();
    await this.db.drop();
  }

  /** Signs a user up (an auth.users row, e-mail confirmed). */
  createUser(options: CreateUserOptions = {}): Promise<TestUser> {
    return insertUser(this.admin, options);
  }

  /** Signs in: a new auth.sessions row and the access-token claims the hook gives it. */
  async signIn(user: TestUser, options: SessionOptions = {}): Promise<TestSession> {
    const sessionId = await insertSession(this.admin, user, options);
    return { user, sessionId, claims: await issueAccessTokenClaims(this.admin, this.authAdmin, user, sessionId, 'password') };
  }

  /** Refreshes the session: same session, a new access token, tenant claims as of now. */
  async refresh(session: TestSession): Promise<TestSession> {
    return {
      ...session,
      claims: await issueAccessTokenClaims(this.admin, this.authAdmin, session.user, session.sessionId, 'token_refresh'),
    };
  }

  /** Signs out (or an admin revokes the session): the auth.sessions row is deleted. The claims stay valid JWTs. */
  signOut(session: TestSession): Promise<void> {
    return deleteSession(this.admin, session.sessionId);
  }

  /** A request transaction as the session's user, through app_server (`set local role authenticated`). */
  async as<T>(
    session: TestSession | AccessTokenClaims,
    fn: (client: pg.ClientBase) => Promise<T>,
    options: Omit<RequestOptions, 'role'> = {},
  ): Promise<T> {
    const claims = isTestSession(session) ? session.claims : session;
    return this.onAppServer((client) => inRequest(client, claims, fn, { ...options, role: 'authenticated' }));
  }

  /** An anonymous request (anon key), through PostgREST's authenticator login. */
  async asAnon<T>(fn: (client: pg.ClientBase) => Promise<T>, options: Omit<RequestOptions, 'role'> = {}): Promise<T> {
    const client = await this.authenticator.connect();
    try {
      return await inRequest(client, ANON_KEY_CLAIMS, fn, { ...options, role: 'anon' });
    } finally {
      client.release();
    }
  }

  /** app_server with claims but WITHOUT `set local role`: the forgotten-wrapper mistake. */
  async withoutRole<T>(
    claims: Json | null,
    fn: (client: pg.ClientBase) => Promise<T>,
    options: Omit<RequestOptions, 'role'> = {},
  ): Promise<T> {
    return this.onAppServer((client) => inRequest(client, claims, fn, { ...options, role: null }));
  }

  /** Runs one statement as the session's user (committed) and returns the first row's first column. */
  async rpc<T = unknown>(session: TestSession, sql: string, params: unknown[] = []): Promise<T> {
    return this.as(session, async (client) => {
      const { rows, fields } = await client.query(sql, params);
      const first = fields[0]?.name;
      return (first && rows[0] ? rows[0][first] : undefined) as T;
    });
  }

  /** Superuser query, for fixtures and for checking what really is in a table. */
  async adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.admin.query<R>(sql, params)).rows;
  }

  private async onAppServer<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.appServer.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }
}

function isTestSession(value: TestSession | AccessTokenClaims): value is TestSession {
  return typeof value.sessionId === 'string' && typeof value.user === 'object' && value.user !== null;
}

/** The claims of the project's anon key, as PostgREST sets them for an anonymous request. */
export const ANON_KEY_CLAIMS: Json = { iss: 'supabase-demo', role: 'anon', exp: 1983812996 };
