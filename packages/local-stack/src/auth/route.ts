import type { AuthApp, ClientInfo } from './app';
import { Fields, type JsonObject } from './body';

/** The shape every route handler shares; server.ts does the HTTP plumbing around it. */

export interface RouteRequest {
  app: AuthApp;
  method: string;
  /** Path below /auth/v1, e.g. `/token`. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  header(name: string): string | undefined;
  /** Authorization as GoTrue receives it, after the gateway. */
  authorization: string | undefined;
  client: ClientInfo;
  /** The raw body, size-capped. */
  rawBody(): Promise<Buffer>;
  /** The body decoded as GoTrue decodes `structName`: a JSON object, else bad_json. */
  json(structName: string): Promise<{ body: JsonObject; fields: Fields }>;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: RouteRequest) => Promise<Reply>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A literal path, or a pattern whose named groups become params. */
  path: string | RegExp;
  handler: Handler;
}

export const ok = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 200, body, headers });

export function fieldsOf(body: JsonObject, structName: string): Fields {
  return new Fields(body, structName);
}
