import { randomBytes } from 'node:crypto';

/**
 * Object ids shaped like Stripe's: a type prefix and a random base62 tail. Callers must not
 * parse ids (Stripe says so too); the prefixes are only there so logs and tests read naturally.
 */
const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomTail(length = 24): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

export function newId(prefix: string, length = 24): string {
  return `${prefix}_${randomTail(length)}`;
}

/** Unix seconds, Stripe's unit for every timestamp. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
