import { invalidRequest, missingParam } from './errors';
import type { FormValue, Params } from './form';

/**
 * Typed reads of form parameters, with Stripe's messages for missing and malformed values.
 * Everything arrives as strings; these helpers are the one place that converts them.
 */
export function str(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${name} must be a string`, name);
  return value;
}

export function requireStr(params: Params, name: string): string {
  const value = str(params, name);
  if (value === undefined || value === '') throw missingParam(name);
  return value;
}

export function int(params: Params, name: string): number | undefined {
  const value = str(params, name);
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw invalidRequest(`Invalid integer: ${value}`, name);
  return Number.parseInt(value, 10);
}

export function bool(params: Params, name: string): boolean | undefined {
  const value = str(params, name);
  if (value === undefined || value === '') return undefined;
  if (value !== 'true' && value !== 'false') throw invalidRequest(`Invalid boolean: ${value}`, name);
  return value === 'true';
}

export function oneOf<T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined {
  const value = str(params, name);
  if (value === undefined || value === '') return undefined;
  if (!allowed.includes(value as T)) {
    throw invalidRequest(`Invalid ${name}: must be one of ${allowed.join(', ')}`, name);
  }
  return value as T;
}

export function hash(params: Params, name: string): Params | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest(`Invalid object: ${name}`, name);
  return value;
}

export function array(params: Params, name: string): FormValue[] | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (!Array.isArray(value)) throw invalidRequest(`Invalid array: ${name}`, name);
  return value;
}

export function strings(params: Params, name: string): string[] | undefined {
  const values = array(params, name);
  if (!values) return undefined;
  return values.map((v) => {
    if (typeof v !== 'string') throw invalidRequest(`Invalid array: ${name} must hold strings`, name);
    return v;
  });
}

/** `expand[]` of a request: dotted paths. */
export function expandPaths(params: Params): string[] {
  return strings(params, 'expand') ?? [];
}

/**
 * Stripe's metadata update rules: keys merge into the existing set, an empty value removes a
 * key, and `metadata=` (empty string) clears everything. Values are strings of ≤500 chars.
 */
export function mergeMetadata(current: Record<string, string>, params: Params, name = 'metadata'): Record<string, string> {
  const value = params[name];
  if (value === undefined) return current;
  if (value === '') return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest('Invalid metadata: must be a hash', name);
  const next = { ...current };
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidRequest(`Invalid metadata[${key}]: must be a string`, `${name}[${key}]`);
    if (key.length > 40) throw invalidRequest('Metadata keys can be at most 40 characters', `${name}[${key}]`);
    if (v.length > 500) throw invalidRequest('Metadata values can be at most 500 characters', `${name}[${key}]`);
    if (v === '') delete next[key];
    else next[key] = v;
  }
  if (Object.keys(next).length > 50) throw invalidRequest('Metadata can have at most 50 keys', name);
  return next;
}

/** `created` filters: `created=ts` or `created[gte|gt|lte|lt]=ts`. */
export function createdFilter(params: Params, name = 'created'): (created: number) => boolean {
  const value = params[name];
  if (value === undefined) return () => true;
  if (typeof value === 'string') {
    const exact = int(params, name);
    return (c) => exact === undefined || c === exact;
  }
  const range = hash(params, name) ?? {};
  const bound = (op: string) => int(range, op);
  const gte = bound('gte');
  const gt = bound('gt');
  const lte = bound('lte');
  const lt = bound('lt');
  return (c) =>
    (gte === undefined || c >= gte) &&
    (gt === undefined || c > gt) &&
    (lte === undefined || c <= lte) &&
    (lt === undefined || c < lt);
}
