import 'server-only';
import { cache } from 'react';
import { type AccessTokenClaims, type TenantContext, tenantContextFromClaims } from '../claims';
import { tenancyEnv } from '../env';
import { createTokenVerifier, InvalidTokenError, type TokenVerifier } from '../verify-token';
import { createSupabaseServerClient } from './supabase';

/**
 * The signed-in user's verified claims for this request. The session comes from the cookies,
 * and its access token is verified here against the issuer's JWKS: the cookie alone is never
 * trusted. Memoised per request.
 */
let verifier: TokenVerifier | undefined;
function tokenVerifier(): TokenVerifier {
  verifier ??= createTokenVerifier(tenancyEnv().API_URL);
  return verifier;
}

export const getVerifiedClaims = cache(async (): Promise<AccessTokenClaims | null> => {
  const supabase = await createSupabaseServerClient();
  const { data } = await supabase.auth.getSession();
  return data.session ? verifySessionToken(data.session.access_token) : null;
});

/** Verified claims of an access token, or null when it does not verify. */
export async function verifySessionToken(accessToken: string): Promise<AccessTokenClaims | null> {
  try {
    return await tokenVerifier().verify(accessToken);
  } catch (error) {
    if (error instanceof InvalidTokenError) return null;
    throw error;
  }
}

/** The tenant context of this request, or null when signed out. Throws NoTenantError. */
export const getTenantContext = cache(async (): Promise<TenantContext | null> => {
  const claims = await getVerifiedClaims();
  return claims ? tenantContextFromClaims(claims) : null;
});
