import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { badRequest, WeakPasswordError } from './errors';

/**
 * Passwords and email addresses, checked and stored as GoTrue does: bcrypt at Go's default
 * cost 10 with the `$2a$` prefix Go writes, 72-byte maximum, `minimum_password_length`, and
 * the checkmail format rule with addresses lowercased.
 */

const BCRYPT_COST = 10;
export const MAX_PASSWORD_BYTES = 72;

export async function hashPassword(password: string): Promise<string> {
  const hash = await bcrypt.hash(password, BCRYPT_COST);
  // bcryptjs writes $2b$, Go's x/crypto/bcrypt $2a$; the hash itself is the same for <= 72 bytes.
  return hash.replace(/^\$2b\$/, '$2a$');
}

/** False for a wrong password, a missing hash, or a hash that is not bcrypt. */
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (!hash || !/^\$2[abxy]\$\d\d\$/.test(hash)) return false;
  // Go's bcrypt refuses passwords over 72 bytes instead of silently truncating them.
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return false;
  try {
    return await bcrypt.compare(password, hash);
  } catch {
    return false;
  }
}

/**
 * A hash of a random secret nobody knows. Sign-in compares against it when the email is
 * unknown, so "no such user" costs the same bcrypt work as "wrong password" and response time
 * does not reveal which accounts exist. (GoTrue itself answers unknown emails without hashing.)
 */
export function dummyPasswordHash(): Promise<string> {
  return hashPassword(randomBytes(24).toString('base64url'));
}

/** GoTrue's checkPasswordStrength for the settings config.toml has. */
export function checkPasswordStrength(password: string, minLength: number): void {
  const bytes = Buffer.byteLength(password);
  if (bytes > MAX_PASSWORD_BYTES) {
    throw badRequest('validation_failed', `Password cannot be longer than ${MAX_PASSWORD_BYTES} characters`);
  }
  if (bytes < minLength) {
    throw new WeakPasswordError(`Password should be at least ${minLength} characters.`, ['length']);
  }
}

// checkmail's format rule (github.com/badoux/checkmail), which GoTrue uses.
const emailPattern =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** GoTrue's validateEmail: required, at most 255 characters, a valid format; lowercased. */
export function validateEmail(email: string): string {
  if (email === '') throw badRequest('validation_failed', 'An email address is required');
  if (email.length > 255) throw badRequest('validation_failed', 'An email address is too long');
  if (!emailPattern.test(email)) throw badRequest('validation_failed', 'Unable to validate email address: invalid format');
  return email.toLowerCase();
}
