import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { type AccessTokenClaims, accessTokenClaimsSchema } from './claims';

/**
 * Verifies a Supabase access token locally against the issuer's JWKS. Only asymmetric
 * algorithms are accepted: `alg: none` and HS256 (including HS256 "signed" with a public key)
 * are refused before any key is used. The key set is cached and refetched when a token names a
 * `kid` it does not know (key rotation), with jose's cooldown against refetch floods.
 */
export const ACCEPTED_ALGORITHMS = ['ES256', 'RS256'];
export const ACCESS_TOKEN_AUDIENCE = 'authenticated';

export class InvalidTokenError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid access token: ${reason}`, options);
    this.name = 'InvalidTokenError';
  }
}

export interface TokenVerifier {
  issuer: string;
  verify(token: string): Promise<AccessTokenClaims>;
}

/** A verifier for tokens issued by the Supabase Auth at `apiUrl` (`${apiUrl}/auth/v1`). */
export function createTokenVerifier(apiUrl: string, options: { jwksCooldownMs?: number } = {}): TokenVerifier {
  const issuer = `${apiUrl.replace(/\/$/, '')}/auth/v1`;
  const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`), {
    cacheMaxAge: 10 * 60_000,
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
  });
  return {
    issuer,
    async verify(token) {
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          algorithms: ACCEPTED_ALGORITHMS,
          issuer,
          audience: ACCESS_TOKEN_AUDIENCE,
          requiredClaims: ['exp', 'iat', 'sub', 'session_id'],
        }));
      } catch (error) {
        throw new InvalidTokenError(describeJoseError(error), { cause: error });
      }
      const claims = accessTokenClaimsSchema.safeParse(payload);
      if (!claims.success) throw new InvalidTokenError('claims do not match the expected shape');
      return claims.data;
    },
  };
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim "${error.claim}" is not acceptable`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'signed by an unknown key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'malformed';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return 'key set unavailable';
  return 'verification failed';
}
