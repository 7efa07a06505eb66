import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { invalidRequest, StripeApiError } from './errors';
import { type Params, parseForm } from './form';
import { newId } from './ids';
import { API_VERSION } from './objects';
import { checkoutPage, completeCheckout } from './pages/checkout';
import type { PageReply } from './pages/html';
import { portalAction, portalPage } from './pages/portal';
import { catalogRoutes } from './resources/catalog';
import { creditRoutes } from './resources/credits';
import { customerRoutes } from './resources/customers';
import { entitlementRoutes } from './resources/entitlements';
import { ensureWebhookEndpoint, eventRoutes } from './resources/events';
import { meterRoutes } from './resources/meters';
import { sessionRoutes } from './resources/sessions';
import { subscriptionRoutes } from './resources/subscriptions';
import type { Route } from './route';
import { localRoutes } from './routes-local';
import { StandIn } from './standin';

/**
 * The local Stripe stand-in's HTTP server: Stripe's API under /v1 (Bearer secret key,
 * form-encoded bodies, Idempotency-Key, Stripe's error envelope), the hosted Checkout and
 * Portal pages under /c and /p, and local control endpoints under /_local (see README.md).
 */
export interface StripeServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** The one secret key the server accepts (sk_test_…). */
  secretKey: string;
  /** JSON file for the account; omitted → in memory only. */
  statePath?: string;
  /** A webhook endpoint registered (idempotently) at start and after a reset. */
  webhook?: { url: string; secret: string };
  log?: (message: string) => void;
}

export interface RunningStripeServer {
  url: string;
  port: number;
  standIn: StandIn;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(invalidRequest('The request body is too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** JSON bodies are accepted by the /_local endpoints only; values become strings like form values. */
function jsonToParams(text: string): Params {
  const parsed: unknown = JSON.parse(text || '{}');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalidRequest('The JSON body must be an object.');
  const convert = (value: unknown): Params[string] =>
    Array.isArray(value)
      ? value.map(convert)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]))
        : value === null
          ? ''
          : String(value);
  return convert(parsed) as Params;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function authenticate(req: http.IncomingMessage, secretKey: string): void {
  const header = req.headers.authorization ?? '';
  let key = '';
  if (header.startsWith('Bearer ')) key = header.slice(7).trim();
  else if (header.startsWith('Basic ')) key = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0] ?? '';
  if (!key) {
    throw new StripeApiError(
      401,
      'invalid_request_error',
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  }
  if (key !== secretKey) {
    throw new StripeApiError(
      401,
      'invalid_request_error',
      `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`,
      undefined,
      'api_key_invalid',
    );
  }
}

/** A path segment as an id; a malformed escape stays as sent (and then names no object). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

interface ApiReply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** Every operation the server answers under /v1 and /_local. */
export function allRoutes(onReset: (s: StandIn) => void = () => undefined): Route[] {
  return [
    ...customerRoutes,
    ...catalogRoutes,
    ...sessionRoutes,
    ...subscriptionRoutes,
    ...entitlementRoutes,
    ...meterRoutes,
    ...creditRoutes,
    ...eventRoutes,
    ...localRoutes(onReset),
  ];
}

export async function startStripeServer(options: StripeServerOptions): Promise<RunningStripeServer> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  let standIn: StandIn | undefined;
  // Keys expire after 24 hours; sweeping at most once a minute keeps a busy run linear.
  let lastSweep = 0;
  const liveIdempotencyRecord = (s: StandIn, key: string) => {
    const now = Date.now();
    if (now - lastSweep >= 60_000) {
      lastSweep = now;
      for (const [k, record] of Object.entries(s.state.idempotency)) {
        if (record.createdAt < now - IDEMPOTENCY_TTL_MS) delete s.state.idempotency[k];
      }
    }
    const record = s.state.idempotency[key];
    return record && record.createdAt >= now - IDEMPOTENCY_TTL_MS ? record : undefined;
  };
  const registerWebhook = (s: StandIn) => {
    if (options.webhook) ensureWebhookEndpoint(s, options.webhook.url, options.webhook.secret);
  };
  const routes = allRoutes(registerWebhook);

  async function api(req: http.IncomingMessage, url: URL, s: StandIn): Promise<ApiReply> {
    const requestId = newId('req', 14);
    const headers: Record<string, string> = { 'Request-Id': requestId, 'Stripe-Version': API_VERSION };
    try {
      authenticate(req, options.secretKey);
      const method = req.method ?? 'GET';
      const body = await readBody(req);
      const isJson = String(req.headers['content-type'] ?? '').startsWith('application/json');
      if (isJson && !url.pathname.startsWith('/_local/')) throw invalidRequest('Request bodies must be form-encoded.');
      const params: Params = { ...parseForm(url.search.slice(1)), ...(isJson ? jsonToParams(body) : parseForm(body)) };

      const found = routes
        .filter((r) => r.method === method)
        .map((r) => ({ r, m: r.pattern.exec(url.pathname) }))
        .find((x) => x.m);
      if (!found) {
        throw new StripeApiError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${url.pathname}).`);
      }

      const key = method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) : undefined;
      if (key && key.length > 255) throw invalidRequest('Idempotency keys can be at most 255 characters long.');
      const fingerprint = createHash('sha256')
        .update(`${method} ${url.pathname} ${canonical(params)}`)
        .digest('hex');
      if (key) {
        const record = liveIdempotencyRecord(s, key);
        if (record) {
          if (record.fingerprint !== fingerprint) {
            throw new StripeApiError(
              400,
              'idempotency_error',
              `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            );
          }
          return {
            status: record.status,
            body: record.body,
            headers: { ...headers, 'Idempotent-Replayed': 'true', 'Original-Request': record.requestId },
          };
        }
      }

      s.request = { id: requestId, idempotencyKey: key ?? null };
      let result: unknown;
      try {
        const path = Object.fromEntries(Object.entries(found.m?.groups ?? {}).map(([k, v]) => [k, decodeSegment(v)]));
        result = found.r.handle({ s, params, path });
      } finally {
        s.request = { id: null, idempotencyKey: null };
      }
      // Handlers that change state are synchronous: no other request runs between the key check
      // above and storing the answer below. Only /_local/webhooks/flush answers later.
      const value = result instanceof Promise ? await result : result;
      const text = `${JSON.stringify(value, null, 2)}\n`;
      if (key) {
        // Only completed requests are remembered: a rejected one may be retried with the same key.
        s.state.idempotency[key] = { fingerprint, status: 200, body: text, requestId, createdAt: Date.now() };
        s.changed();
      }
      return { status: 200, body: text, headers };
    } catch (error) {
      if (error instanceof StripeApiError)
        return { status: error.status, body: `${JSON.stringify(error.body(), null, 2)}\n`, headers };
      if (error instanceof SyntaxError) {
        return {
          status: 400,
          body: `${JSON.stringify(invalidRequest('The JSON body is malformed.').body(), null, 2)}\n`,
          headers,
        };
      }
      log(
        `stripe: ${req.method} ${url.pathname} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      const internal = new StripeApiError(500, 'api_error', 'An unexpected error occurred in the local Stripe stand-in.');
      return { status: 500, body: `${JSON.stringify(internal.body(), null, 2)}\n`, headers };
    }
  }

  async function pages(req: http.IncomingMessage, url: URL, s: StandIn): Promise<PageReply | undefined> {
    const method = req.method ?? 'GET';
    const form = method === 'POST' ? new URLSearchParams(await readBody(req)) : new URLSearchParams();
    const checkout = /^\/c\/pay\/([^/]+)$/.exec(url.pathname);
    if (checkout?.[1]) return method === 'POST' ? completeCheckout(s, checkout[1], form) : checkoutPage(s, checkout[1]);
    const portal = /^\/p\/session\/([^/]+)$/.exec(url.pathname);
    if (portal?.[1] && method === 'GET') return portalPage(s, portal[1]);
    const action = /^\/p\/session\/([^/]+)\/subscriptions\/([^/]+)\/(plan|cancel)$/.exec(url.pathname);
    if (action?.[1] && action[2] && action[3] && method === 'POST') return portalAction(s, action[1], action[2], action[3], form);
    return undefined;
  }

  const server = http.createServer((req, res) => {
    const s = standIn;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!s) {
      res.writeHead(503).end();
      return;
    }
    const isApi = url.pathname.startsWith('/v1/') || url.pathname.startsWith('/_local/');
    const reply: Promise<{ status: number; headers?: Record<string, string>; body?: string }> = isApi
      ? api(req, url, s).then((r) => ({ ...r, headers: { ...r.headers, 'Content-Type': 'application/json' } }))
      : pages(req, url, s).then(
          (r) => r ?? { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Not found\n' },
        );
    reply
      .then((r) => {
        res.writeHead(r.status, r.headers);
        res.end(r.body);
      })
      .catch((error: unknown) => {
        log(`stripe: ${req.method} ${url.pathname} failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  standIn = new StandIn({ statePath: options.statePath, baseUrl: url, log });
  registerWebhook(standIn);

  return {
    url,
    port,
    get standIn() {
      return standIn as StandIn;
    },
    stop: async () => {
      standIn?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
