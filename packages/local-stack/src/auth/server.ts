import http from 'node:http';
import type { SupabaseConfig } from '../config';
import type { LocalApiKeys } from '../keys';

/** Options of the local Supabase Auth stand-in. */
export interface AuthServerOptions {
  /** Port of the API gateway; the auth server answers under /auth/v1. */
  port: number;
  /** Public base URL, e.g. http://127.0.0.1:54321 (the token issuer is `${apiUrl}/auth/v1`). */
  apiUrl: string;
  /** Login of `supabase_auth_admin`, as GoTrue connects. */
  databaseUrl: string;
  config: SupabaseConfig;
  /** JSON file holding the private signing JWK(s); created on first start. */
  signingKeysPath: string;
  keys: LocalApiKeys;
}

export interface RunningAuthServer {
  url: string;
  stop(): Promise<void>;
}

// Placeholder until issue 3 lands: answers /auth/v1/health only.
export async function startAuthServer(options: AuthServerOptions): Promise<RunningAuthServer> {
  const server = http.createServer((req, res) => {
    if (req.url === '/auth/v1/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ version: 'bulkhead-local', name: 'GoTrue', description: 'local stand-in' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 404, error_code: 'not_found', msg: 'not found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  return {
    url: `${options.apiUrl}/auth/v1`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
