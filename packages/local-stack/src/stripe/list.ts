import { invalidRequest } from './errors';
import type { Params } from './form';
import type { ApiList } from './objects';
import { int, str } from './params';

/**
 * Stripe's cursor pagination over a list already filtered and ordered newest first:
 * `limit` (1–100, default 10), `starting_after` (the page after that object, older) and
 * `ending_before` (the page just before it, newer; still newest first). `has_more` says
 * whether more objects lie beyond the page in the direction of travel.
 */
export function paginate<T extends { id: string }>(items: T[], params: Params, url: string): ApiList<T> {
  const limit = int(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('Limit must be between 1 and 100.', 'limit');
  const after = str(params, 'starting_after');
  const before = str(params, 'ending_before');
  if (after && before) throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.');
  const indexOf = (id: string, param: string) => {
    const index = items.findIndex((item) => item.id === id);
    if (index === -1) throw invalidRequest(`No such object: '${id}'`, param, 'resource_missing');
    return index;
  };
  if (before) {
    const end = indexOf(before, 'ending_before');
    const start = Math.max(0, end - limit);
    return { object: 'list', data: items.slice(start, end), has_more: start > 0, url };
  }
  const start = after ? indexOf(after, 'starting_after') + 1 : 0;
  return { object: 'list', data: items.slice(start, start + limit), has_more: start + limit < items.length, url };
}

/** A record's values, newest first. */
export function newestFirst<T>(record: Record<string, T>): T[] {
  return Object.values(record).reverse();
}
