import type pg from 'pg';
import type { LocalApiKeys } from '../keys';
import type { Db } from './database';
import type { AuthSettings } from './settings';
import type { SigningKeys } from './signing-keys';

/** Everything a route needs, built once per server. */
export interface AuthApp {
  /** For transactions (database.transaction). */
  pool: pg.Pool;
  /** For single reads outside a transaction; survives a database reset. */
  db: Db;
  settings: AuthSettings;
  /** `iss` of every access token: `${apiUrl}/auth/v1`, as `supabase start` sets it. */
  issuer: string;
  signingKeys: SigningKeys;
  apiKeys: LocalApiKeys;
  /** See credentials.dummyPasswordHash. */
  dummyHash: string;
  now(): Date;
  log(message: string): void;
}

/** What GoTrue records about the caller on a session (grant params). */
export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}
