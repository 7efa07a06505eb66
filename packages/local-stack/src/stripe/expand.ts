import { invalidRequest } from './errors';

/**
 * `expand[]`: dotted paths whose id strings are replaced by the objects they name. Paths walk
 * through lists with `data` (e.g. `items.data.price.product`), at most four levels, as Stripe
 * allows. `resolve` returns the object for an id, or for a field that only exists when
 * expanded (`line_items` of a Checkout Session); undefined means not expandable.
 */
export type Resolver = (holder: Record<string, unknown>, field: string, value: unknown) => unknown;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function walk(node: unknown, segments: string[], path: string, resolve: Resolver): void {
  const [field, ...rest] = segments;
  if (!field || !isRecord(node)) return;
  if (node.object === 'list' && field === 'data' && Array.isArray(node.data)) {
    for (const item of node.data) walk(item, rest, path, resolve);
    return;
  }
  const current = node[field];
  if (current === null) return;
  if (typeof current === 'string' || current === undefined) {
    const resolved = resolve(node, field, current);
    if (resolved === undefined) throw invalidRequest(`This property cannot be expanded (${path}).`, 'expand');
    node[field] = structuredClone(resolved);
  } else if (!isRecord(current) && rest.length === 0) {
    throw invalidRequest(`This property cannot be expanded (${path}).`, 'expand');
  }
  walk(node[field], rest, path, resolve);
}

export function expandObject<T>(object: T, paths: string[], resolve: Resolver): T {
  const copy = structuredClone(object);
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.filter((s) => s !== 'data').length > 4) {
      throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${path}`, 'expand');
    }
    walk(copy, segments, path, resolve);
  }
  return copy;
}
