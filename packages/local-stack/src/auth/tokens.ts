import { type CryptoKey, decodeProtectedHeader, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys';

/**
 * Access tokens: ES256 with the signing key's `kid`, claims in the set and order GoTrue's
 * AccessTokenClaims produces, and verification that accepts what GoTrue accepts — its own
 * asymmetric tokens by `kid`, and HS256 tokens signed with the JWT secret (the legacy anon and
 * service_role keys are such tokens).
 */

export interface AmrEntry {
  method: string;
  timestamp: number;
}

export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  email: string;
  phone: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  role: string;
  aal: string;
  amr: AmrEntry[];
  session_id: string;
  is_anonymous: boolean;
}

export interface ClaimsInput {
  issuer: string;
  userId: string;
  aud: string;
  role: string;
  email: string;
  phone: string;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
  sessionId: string;
  aal: string;
  amr: AmrEntry[];
  isAnonymous: boolean;
  issuedAt: number;
  expiresIn: number;
}

export function accessTokenClaims(input: ClaimsInput): AccessTokenClaims {
  return {
    iss: input.issuer,
    sub: input.userId,
    aud: input.aud,
    exp: input.issuedAt + input.expiresIn,
    iat: input.issuedAt,
    email: input.email,
    phone: input.phone,
    app_metadata: input.appMetadata,
    user_metadata: input.userMetadata,
    role: input.role,
    aal: input.aal,
    amr: input.amr,
    session_id: input.sessionId,
    is_anonymous: input.isAnonymous,
  };
}

export function signAccessToken(keys: SigningKeys, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: keys.kid, typ: 'JWT' }).sign(keys.privateKey);
}

export type VerifyResult = { ok: true; claims: JWTPayload } | { ok: false; reason: string };

/**
 * Verifies signature and time claims. Failure reasons read like golang-jwt's, which GoTrue puts
 * into its `bad_jwt` message.
 */
export async function verifyAccessToken(token: string, keys: SigningKeys, jwtSecret: string): Promise<VerifyResult> {
  if (token.split('.').length !== 3)
    return { ok: false, reason: 'token is malformed: token contains an invalid number of segments' };
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { ok: false, reason: 'token is malformed: could not base64 decode header' };
  }

  let key: CryptoKey | Uint8Array;
  let algorithms: string[];
  if (typeof header.kid === 'string') {
    const found = keys.publicKeys.get(header.kid);
    if (!found) return { ok: false, reason: `token is unverifiable: error while executing keyfunc: invalid kid: ${header.kid}` };
    key = found;
    algorithms = ['ES256'];
  } else if (header.alg === 'HS256') {
    key = new TextEncoder().encode(jwtSecret);
    algorithms = ['HS256'];
  } else {
    return { ok: false, reason: 'token is unverifiable: error while executing keyfunc: missing kid' };
  }

  try {
    const { payload } = await jwtVerify(token, key, { algorithms });
    return { ok: true, claims: payload };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, reason: 'token has invalid claims: token is expired' };
    if (error instanceof errors.JWTClaimValidationFailed) {
      return { ok: false, reason: `token has invalid claims: ${error.message}` };
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return { ok: false, reason: `token signature is invalid: signing method ${String(header.alg)} is invalid` };
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return { ok: false, reason: 'token signature is invalid: signature is invalid' };
    }
    return { ok: false, reason: 'token is malformed: could not JSON decode claim' };
  }
}
