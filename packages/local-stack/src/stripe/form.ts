import { invalidRequest } from './errors';

/**
 * Stripe's request encoding: application/x-www-form-urlencoded with bracket notation, as
 * stripe-node writes it (`metadata[plan]=pro`, `line_items[0][price]=price_1`, `expand[0]=x`;
 * `expand[]=x` from curl works too). Returns nested objects and arrays of strings; an empty
 * value is kept as '' because Stripe uses it to unset fields (`metadata[key]=`).
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type Params = { [key: string]: FormValue };

const MAX_DEPTH = 8;

function splitKey(key: string): string[] {
  const first = key.indexOf('[');
  if (first === -1) return [key];
  const parts = [key.slice(0, first)];
  const rest = key.slice(first);
  const re = /\[([^[\]]*)\]/g;
  let consumed = 0;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    if (m.index !== consumed) throw invalidRequest(`Invalid parameter name: ${key}`, key);
    parts.push(m[1] ?? '');
    consumed = m.index + m[0].length;
  }
  if (consumed !== rest.length) throw invalidRequest(`Invalid parameter name: ${key}`, key);
  if (parts.length > MAX_DEPTH) throw invalidRequest(`Parameter nested too deeply: ${key}`, key);
  return parts;
}

type Node = { [key: string]: Node | string };

function assign(root: Node, parts: string[], value: string, key: string): void {
  let node = root;
  for (let i = 0; i < parts.length; i += 1) {
    let part = parts[i] ?? '';
    if (part === '') part = String(Object.keys(node).length); // `a[]=x` appends
    if (i === parts.length - 1) {
      if (typeof node[part] === 'object') throw invalidRequest(`Invalid parameter: ${key} is both a value and a hash`, key);
      node[part] = value;
      return;
    }
    const next = node[part];
    if (typeof next === 'string') throw invalidRequest(`Invalid parameter: ${key} is both a value and a hash`, key);
    if (next === undefined) {
      const child: Node = {};
      node[part] = child;
      node = child;
    } else node = next;
  }
}

/** Objects whose keys are all indexes become arrays, in index order. */
function normalise(node: Node | string): FormValue {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  const values = Object.fromEntries(keys.map((k) => [k, normalise(node[k] as Node | string)]));
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => values[k] as FormValue);
  }
  return values;
}

export function parseForm(text: string): Params {
  const root: Node = {};
  for (const [key, value] of new URLSearchParams(text)) assign(root, splitKey(key), value, key);
  return normalise(root) as Params;
}
