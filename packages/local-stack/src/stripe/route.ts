import type { Params } from './form';
import type { StandIn } from './standin';

/**
 * One API operation: method, path pattern (`:name` segments) and a synchronous handler that
 * returns the response body (the server adds status 200, JSON and the request id).
 */
export interface ApiRequest {
  s: StandIn;
  params: Params;
  path: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** As written, e.g. /v1/customers/:id (the README lists every one). */
  path: string;
  pattern: RegExp;
  handle(request: ApiRequest): unknown;
}

export function route(method: Route['method'], path: string, handle: Route['handle']): Route {
  const source = path.replace(/:([a-z_]+)/g, (_m, name: string) => `(?<${name}>[^/]+)`);
  return { method, path, pattern: new RegExp(`^${source}$`), handle };
}
