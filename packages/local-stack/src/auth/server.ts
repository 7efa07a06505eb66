import http from 'node:http';
import { isIP } from 'node:net';
import type { SupabaseConfig } from '../config';
import type { LocalApiKeys } from '../keys';
import type { AuthApp, ClientInfo } from './app';
import { MAX_BODY_BYTES, parseJsonObject, readBody } from './body';
import { dummyPasswordHash } from './credentials';
import { createPool, retrying } from './database';
import { API_VERSION_HEADER, apiVersionOf, describeFailure, errorReply } from './errors';
import { isOpenRoute, passGateway } from './gateway';
import { fieldsOf, type Reply, type Route, type RouteRequest } from './route';
import { adminRoutes } from './routes/admin';
import { logoutRoutes } from './routes/logout';
import { mfaRoutes } from './routes/mfa';
import { publicRoutes } from './routes/public';
import { signupRoutes } from './routes/signup';
import { tokenRoutes } from './routes/token';
import { userRoutes } from './routes/user';
import { resolveAuthSettings } from './settings';
import { loadSigningKeys } from './signing-keys';

/**
 * The local stand-in for Supabase Auth: GoTrue's HTTP API under /auth/v1 on the API port, with
 * the gateway's API-key check in front (see gateway.ts). This file is only the HTTP plumbing:
 * body limits, CORS, routing, and turning errors into GoTrue's error bodies.
 */

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
  /** Where diagnostics go (default: stderr). */
  log?: (message: string) => void;
}

export interface RunningAuthServer {
  url: string;
  stop(): Promise<void>;
}

const PREFIX = '/auth/v1';
const routes: Route[] = [
  ...publicRoutes,
  ...signupRoutes,
  ...tokenRoutes,
  ...userRoutes,
  ...logoutRoutes,
  ...mfaRoutes,
  ...adminRoutes,
];

function match(path: string): Array<{ route: Route; params: Record<string, string> }> {
  const found: Array<{ route: Route; params: Record<string, string> }> = [];
  for (const route of routes) {
    if (typeof route.path === 'string') {
      if (route.path === path) found.push({ route, params: {} });
    } else {
      const m = route.path.exec(path);
      if (m) found.push({ route, params: { ...m.groups } });
    }
  }
  return found;
}

function clientInfo(req: http.IncomingMessage): ClientInfo {
  // Like GoTrue behind its gateway: the first X-Forwarded-For address, else the peer.
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')[0]
    ?.trim();
  const peer = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
  const ip = forwarded && isIP(forwarded) ? forwarded : isIP(peer) ? peer : null;
  const userAgent = req.headers['user-agent'];
  return { ip, userAgent: userAgent ? String(userAgent) : null };
}

/** The request path without its query, which may carry an API key. */
function url(req: http.IncomingMessage): string {
  return (req.url ?? '').split('?')[0] ?? '';
}

function corsHeaders(req: http.IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Expose-Headers': 'X-Total-Count, Link, X-Supabase-Api-Version',
    Vary: 'Origin',
  };
}

function send(res: http.ServerResponse, reply: Reply, extra: Record<string, string>): void {
  const headers: Record<string, string> = { ...extra, ...reply.headers };
  if (reply.body === undefined || reply.status === 204) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  headers['Content-Type'] ??= typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

async function handle(app: AuthApp, req: http.IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== PREFIX && !url.pathname.startsWith(`${PREFIX}/`)) {
    // The gateway's answer for paths no service serves (this stack only serves auth).
    return { status: 404, body: { message: 'no Route matched with those values' } };
  }
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') {
    // CORS preflight, answered by the gateway before any key check.
    return {
      status: 204,
      headers: {
        'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': String(req.headers['access-control-request-headers'] ?? '*'),
        'Access-Control-Max-Age': '3600',
      },
    };
  }
  const path = url.pathname.slice(PREFIX.length).replace(/(.)\/+$/, '$1') || '/';

  let authorization = req.headers.authorization;
  if (!isOpenRoute(path)) {
    const apikey = req.headers.apikey;
    const passed = passGateway(
      Array.isArray(apikey) ? apikey[0] : apikey,
      url.searchParams.get('apikey'),
      authorization,
      app.apiKeys,
    );
    if ('rejected' in passed) return { status: passed.rejected.status, body: passed.rejected.body };
    authorization = passed.authorization;
  }

  const candidates = match(path);
  // chi's answers for unknown paths and methods, which GoTrue does not customise.
  if (candidates.length === 0) return { status: 404, body: '404 page not found\n' };
  const found = candidates.find((c) => c.route.method === method);
  if (!found) return { status: 405 };

  let body: Promise<Buffer> | undefined;
  const rawBody = () => {
    body ??= readBody(req, MAX_BODY_BYTES);
    return body;
  };
  const request: RouteRequest = {
    app,
    method,
    path,
    params: found.params,
    query: url.searchParams,
    header: (name) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
    authorization,
    client: clientInfo(req),
    rawBody,
    json: async (structName) => {
      const parsed = parseJsonObject(await rawBody(), structName);
      return { body: parsed, fields: fieldsOf(parsed, structName) };
    },
  };
  return found.route.handler(request);
}

export async function startAuthServer(options: AuthServerOptions): Promise<RunningAuthServer> {
  const log = options.log ?? ((message: string) => console.error(`[auth] ${message}`));
  const settings = resolveAuthSettings(options.config);
  const signingKeys = await loadSigningKeys(options.signingKeysPath);
  const pool = createPool(options.databaseUrl, log);
  const app: AuthApp = {
    pool,
    db: retrying(pool),
    settings,
    issuer: `${options.apiUrl}${PREFIX}`,
    signingKeys,
    apiKeys: options.keys,
    dummyHash: await dummyPasswordHash(),
    now: () => new Date(),
    log,
  };

  const server = http.createServer((req, res) => {
    const cors = corsHeaders(req);
    const headerValue = req.headers[API_VERSION_HEADER];
    const version = apiVersionOf(Array.isArray(headerValue) ? headerValue[0] : headerValue);
    handle(app, req)
      .then((reply) => send(res, reply, cors))
      .catch((error: unknown) => {
        const reply = errorReply(error, version);
        if (reply.status >= 500) log(`${req.method} ${url(req)}: ${describeFailure(error)}`);
        // After a 413 the rest of the body is never read: close instead of draining it.
        if (reply.status === 413) reply.headers.Connection = 'close';
        send(res, reply, cors);
      })
      .catch((error: unknown) => {
        log(`could not answer ${req.method} ${req.url}: ${String(error)}`);
        res.destroy();
      });
  });
  // A client that stalls mid-request is cut off instead of holding a socket forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: `${options.apiUrl}${PREFIX}`,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.end();
    },
  };
}
