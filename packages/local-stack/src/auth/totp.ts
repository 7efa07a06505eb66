import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * TOTP (RFC 6238 over RFC 4226's HOTP) with the parameters GoTrue uses: SHA-1, 6 digits, a
 * 30-second step, one step of skew either side, and a 20-byte secret shown as unpadded base32.
 */

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
const SECRET_BYTES = 20;
const SKEW_STEPS = 1;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) throw new Error(`not a base32 character: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function newTotpSecret(): string {
  return base32Encode(randomBytes(SECRET_BYTES));
}

/** HOTP value for one counter (RFC 4226 §5.3, dynamic truncation). */
function hotp(key: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac('sha1', key).update(message).digest();
  const offset = (digest[digest.length - 1] ?? 0) & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** TOTP_DIGITS).padStart(TOTP_DIGITS, '0');
}

/** The code for `at` (also what an authenticator app shows). */
export function totpCode(secret: string, at: Date): string {
  return hotp(base32Decode(secret), Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS));
}

/** Whether `code` is right for `at`, give or take one step, compared in constant time. */
export function verifyTotp(secret: string, code: string, at: Date): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  const key = base32Decode(secret);
  const step = Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
  let matched = false;
  for (let delta = -SKEW_STEPS; delta <= SKEW_STEPS; delta++) {
    if (timingSafeEqual(Buffer.from(hotp(key, step + delta)), Buffer.from(code))) matched = true;
  }
  return matched;
}

/** The otpauth:// URI authenticator apps read (Key URI Format), as pquerna/otp writes it. */
export function otpauthUri(input: { issuer: string; account: string; secret: string }): string {
  const label = encodeURIComponent(`${input.issuer}:${input.account}`);
  const params = new URLSearchParams({
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    issuer: input.issuer,
    period: String(TOTP_PERIOD_SECONDS),
    secret: input.secret,
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}
