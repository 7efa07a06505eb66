import { createTokenVerifier } from '@bulkhead/tenancy';
import { interleaved, percentile } from './stats';

/**
 * Verifying an access token per request: locally against the cached JWKS (what the kit does)
 * vs. asking the auth server (`GET /auth/v1/user`, what getUser() does).
 */
export async function tokenVerification(apiUrl: string, anonKey: string, runs: number) {
  const email = `bench-${Date.now()}@example.test`;
  const signup = await fetch(`${apiUrl}/auth/v1/signup`, {
    method: 'POST',
    headers: { apikey: anonKey, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'bench password 123' }),
  });
  const body = (await signup.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`sign-up for the token benchmark failed: ${JSON.stringify(body)}`);
  const token = body.access_token;
  const verifier = createTokenVerifier(apiUrl);
  const samples = await interleaved(
    runs,
    () => verifier.verify(token),
    async () => {
      const res = await fetch(`${apiUrl}/auth/v1/user`, { headers: { apikey: anonKey, authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`GET /user answered ${res.status}`);
      await res.arrayBuffer();
    },
  );
  return {
    localP50: percentile(samples.a, 50),
    serverP50: percentile(samples.b, 50),
    localP95: percentile(samples.a, 95),
    serverP95: percentile(samples.b, 95),
  };
}
