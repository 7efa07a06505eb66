import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allRoutes } from '../../src/stripe/server';

/** The stand-in's README lists every endpoint the server answers, so the two cannot drift apart. */
const readme = readFileSync(new URL('../../src/stripe/README.md', import.meta.url), 'utf8');
const normalise = (endpoint: string) => endpoint.replace(/:[a-z_]+/g, ':param');
// `GET /v1/x` or, for one path with two methods, `GET`/`POST /v1/x`.
const documented = new Set(
  [...readme.matchAll(/`((?:GET|POST|DELETE)(?:`\/`(?:GET|POST|DELETE))*) (\/[^`\s]+)`/g)].flatMap(([, methods = '', path]) =>
    methods.split('`/`').map((method) => normalise(`${method} ${path}`)),
  ),
);

describe('README', () => {
  it('documents every route', () => {
    const routes = allRoutes().map((r) => normalise(`${r.method} ${r.path}`));
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.filter((r) => !documented.has(r))).toEqual([]);
  });
});
