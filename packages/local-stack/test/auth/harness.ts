import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Session, type SupabaseClient, type SupabaseClientOptions } from '@supabase/supabase-js';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { type RunningAuthServer, startAuthServer } from '../../src/auth/server';
import { loadSupabaseConfig, type SupabaseConfig } from '../../src/config';
import { type LocalApiKeys, localApiKeys } from '../../src/keys';
import { freePort } from '../../src/ports';
import { createTestDatabase, type TestDatabase } from '../../src/testing/index';
import { remoteTarget } from './env';

/**
 * Where the contract suite points: a local auth server started for the test file (on a fresh
 * migrated database and a free port), or the real Supabase named by SUPABASE_URL. Tests talk to
 * either only through @supabase/supabase-js and fetch.
 */

export type AuthOverrides = Partial<Omit<SupabaseConfig['auth'], 'sessions' | 'hook'>> & {
  sessions?: SupabaseConfig['auth']['sessions'];
  hook?: SupabaseConfig['auth']['hook'];
};

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

export interface AuthTarget {
  remote: boolean;
  /** Gateway base URL, e.g. http://127.0.0.1:54321. */
  url: string;
  /** `${url}/auth/v1`. */
  authUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  /** Local only: the opaque sb_ keys and the JWT secret. */
  keys?: LocalApiKeys;
  /** Local only: the database the server uses. */
  database?: TestDatabase;
  /** Local only: the signing-key file. */
  signingKeysPath?: string;
  /** Whether `sql` can read the auth schema. */
  hasSql: boolean;
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** A fresh anon client that keeps no session between calls. */
  client(): SupabaseClient;
  /** A service-role client for the admin API. */
  admin(): SupabaseClient;
  /** A client with any API key. */
  clientFor(key: string): SupabaseClient;
  /** A confirmed user made through the admin API (no sign-in, so no session yet). */
  createUser(options?: { appMetadata?: Record<string, unknown>; password?: string }): Promise<TestUser>;
  /** Signs in on a fresh client; returns both. */
  signIn(user: TestUser): Promise<{ client: SupabaseClient; session: Session }>;
  /** Raw fetch under /auth/v1 with the anon key as apikey unless headers say otherwise. */
  fetch(path: string, init?: RequestInit & { apiVersion?: string | null }): Promise<Response>;
}

/**
 * supabase-js builds its realtime client eagerly and, on Node 20, insists on a WebSocket
 * implementation. The auth suite never opens a socket, so it gets one that refuses to connect.
 */
class NoWebSocket {
  constructor() {
    throw new Error('the auth contract suite does not use realtime');
  }
}

type Transport = NonNullable<NonNullable<SupabaseClientOptions<'public'>['realtime']>['transport']>;

const clientOptions: SupabaseClientOptions<'public'> = {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  realtime: { transport: (globalThis.WebSocket ?? NoWebSocket) as unknown as Transport },
};

export function uniqueEmail(label = 'user'): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@example.com`;
}

export function claimsOf(accessToken: string) {
  return decodeJwt(accessToken) as Record<string, unknown> & { session_id: string; sub: string };
}

function configWith(overrides: AuthOverrides): SupabaseConfig {
  const base = loadSupabaseConfig();
  return {
    ...base,
    auth: {
      ...base.auth,
      // The suite chooses its own hook: the kit's migrations may not be there yet.
      hook: {},
      ...overrides,
      sessions: { ...overrides.sessions },
    },
  };
}

function makeTarget(base: {
  remote: boolean;
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  pool?: pg.Pool;
  keys?: LocalApiKeys;
  database?: TestDatabase;
  signingKeysPath?: string;
}): AuthTarget {
  const authUrl = `${base.url}/auth/v1`;
  const target: AuthTarget = {
    ...base,
    authUrl,
    hasSql: base.pool !== undefined,
    sql: async (text, values) => {
      if (!base.pool) throw new Error('no database access for this target (set SUPABASE_DB_URL)');
      return (await base.pool.query(text, values)).rows;
    },
    client: () => createClient(base.url, base.anonKey, clientOptions),
    admin: () => createClient(base.url, base.serviceRoleKey, clientOptions),
    clientFor: (key) => createClient(base.url, key, clientOptions),
    createUser: async (options = {}) => {
      const email = uniqueEmail();
      const password = options.password ?? `pw-${randomBytes(8).toString('hex')}`;
      const { data, error } = await target
        .admin()
        .auth.admin.createUser({ email, password, email_confirm: true, app_metadata: options.appMetadata });
      if (error || !data.user) throw error ?? new Error('createUser returned no user');
      return { id: data.user.id, email, password };
    },
    signIn: async (user) => {
      const client = target.client();
      const { data, error } = await client.auth.signInWithPassword({ email: user.email, password: user.password });
      if (error || !data.session) throw error ?? new Error('signInWithPassword returned no session');
      return { client, session: data.session };
    },
    fetch: (path, init = {}) => {
      const { apiVersion = '2024-01-01', ...rest } = init;
      const headers = new Headers(rest.headers);
      if (!headers.has('apikey')) headers.set('apikey', base.anonKey);
      if (apiVersion !== null && !headers.has('x-supabase-api-version')) headers.set('x-supabase-api-version', apiVersion);
      if (rest.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(`${authUrl}${path}`, { ...rest, headers });
    },
  };
  return target;
}

export interface LocalServer {
  target: AuthTarget;
  server: RunningAuthServer;
  config: SupabaseConfig;
}

/** Starts one more local server; the caller stops it (and owns `database` unless given one). */
export async function startLocal(
  overrides: AuthOverrides = {},
  shared?: { database: TestDatabase; signingKeysPath?: string },
): Promise<LocalServer & { dispose(): Promise<void> }> {
  const database = shared?.database ?? (await createTestDatabase(inject('cluster')));
  const keyDir = mkdtempSync(join(tmpdir(), 'bulkhead-auth-keys-'));
  const signingKeysPath = shared?.signingKeysPath ?? join(keyDir, 'signing-keys.json');
  const keys = await localApiKeys();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = configWith(overrides);
  const server = await startAuthServer({
    port,
    apiUrl: url,
    databaseUrl: database.loginUrl('supabase_auth_admin'),
    config,
    signingKeysPath,
    keys,
  });
  const pool = new pg.Pool({ connectionString: database.migrationUrl, max: 3 });
  pool.on('error', () => undefined);
  const target = makeTarget({
    remote: false,
    url,
    anonKey: keys.anonKey,
    serviceRoleKey: keys.serviceRoleKey,
    pool,
    keys,
    database,
    signingKeysPath,
  });
  return {
    target,
    server,
    config,
    dispose: async () => {
      await server.stop();
      await pool.end();
      if (!shared) await database.drop();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

/**
 * One target for the whole test file: the real Supabase when SUPABASE_URL is set, else a local
 * server with `overrides` applied to supabase/config.toml.
 */
export function useAuthTarget(overrides: AuthOverrides = {}): () => AuthTarget {
  let target: AuthTarget | undefined;
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (remoteTarget) {
      const pool = remoteTarget.dbUrl ? new pg.Pool({ connectionString: remoteTarget.dbUrl, max: 3 }) : undefined;
      pool?.on('error', () => undefined);
      target = makeTarget({ remote: true, ...remoteTarget, pool });
      dispose = async () => {
        await pool?.end();
      };
      return;
    }
    const local = await startLocal(overrides);
    target = local.target;
    dispose = local.dispose;
  });
  afterAll(async () => {
    await dispose?.();
  });
  return () => {
    if (!target) throw new Error('auth target is not ready (used outside a test?)');
    return target;
  };
}
