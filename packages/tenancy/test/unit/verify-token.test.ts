import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoTenantError, tenantContextFromClaims } from '../../src/claims';
import { createTokenVerifier, InvalidTokenError } from '../../src/verify-token';

/**
 * Forged and broken tokens against a verifier that reads a real JWKS over HTTP. Each rejection
 * sits beside a token that passes the same verifier, so a verifier that rejects everything fails.
 */
let server: http.Server;
let apiUrl: string;
let issuer: string;
let jwksHits = 0;
const published: JWK[] = [];

type Key = { privateKey: CryptoKey; publicJwk: JWK; kid: string };
async function makeKey(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }, kid };
}

let current: Key;
const userId = randomUUID();
const tenantA = randomUUID();
const tenantB = randomUUID();

function baseClaims(overrides: Record<string, unknown> = {}) {
  return {
    sub: userId,
    role: 'authenticated',
    session_id: randomUUID(),
    aal: 'aal1',
    email: 'ada@example.com',
    is_anonymous: false,
    app_metadata: { provider: 'email', tenant_id: tenantA, tenant_role: 'member' },
    user_metadata: {},
    ...overrides,
  };
}

async function sign(
  claims: Record<string, unknown>,
  key: Key = current,
  opts: { iss?: string; aud?: string; exp?: string | number } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(opts.iss ?? issuer)
    .setAudience(opts.aud ?? 'authenticated')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '1h')
    .sign(key.privateKey);
}

beforeAll(async () => {
  current = await makeKey();
  published.push(current.publicJwk);
  server = http.createServer((req, res) => {
    if (req.url === '/auth/v1/.well-known/jwks.json') {
      jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: published }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `${apiUrl}/auth/v1`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function rejection(verify: Promise<unknown>): Promise<string> {
  const error = await verify.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the token was accepted').toBeInstanceOf(InvalidTokenError);
  return (error as InvalidTokenError).reason;
}

describe('verifyAccessToken', () => {
  it('accepts a well-formed ES256 token from the issuer', async () => {
    const verifier = createTokenVerifier(apiUrl);
    const claims = await verifier.verify(await sign(baseClaims()));
    expect(claims.sub).toBe(userId);
    expect(claims.app_metadata.tenant_id).toBe(tenantA);
  });

  it('rejects alg "none"', async () => {
    const verifier = createTokenVerifier(apiUrl);
    const unsecured = new UnsecuredJWT(baseClaims())
      .setIssuer(issuer)
      .setAudience('authenticated')
      .setIssuedAt()
      .setExpirationTime('1h')
      .encode();
    expect(await rejection(verifier.verify(unsecured))).toMatch(/algorithm not allowed|malformed/);
    await expect(verifier.verify(await sign(baseClaims()))).resolves.toBeTruthy();
  });

  it('rejects HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const verifier = createTokenVerifier(apiUrl);
    const secret = new TextEncoder().encode(JSON.stringify(current.publicJwk));
    const forged = await new SignJWT(baseClaims())
      .setProtectedHeader({ alg: 'HS256', kid: current.kid })
      .setIssuer(issuer)
      .setAudience('authenticated')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(secret);
    expect(await rejection(verifier.verify(forged))).toBe('algorithm not allowed');
    await expect(verifier.verify(await sign(baseClaims()))).resolves.toBeTruthy();
  });

  it('rejects a token signed by a key the issuer does not publish, after refetching the key set', async () => {
    const verifier = createTokenVerifier(apiUrl, { jwksCooldownMs: 0 });
    await verifier.verify(await sign(baseClaims()));
    const before = jwksHits;
    const stranger = await makeKey();
    expect(await rejection(verifier.verify(await sign(baseClaims(), stranger)))).toBe('signed by an unknown key');
    expect(jwksHits).toBeGreaterThan(before);
  });

  it('picks up a rotated signing key on its first unknown kid', async () => {
    const verifier = createTokenVerifier(apiUrl, { jwksCooldownMs: 0 });
    await verifier.verify(await sign(baseClaims()));
    const next = await makeKey();
    published.push(next.publicJwk);
    const claims = await verifier.verify(await sign(baseClaims(), next));
    expect(claims.sub).toBe(userId);
  });

  it('rejects a token whose kid names a published key but whose signature is another key', async () => {
    const verifier = createTokenVerifier(apiUrl);
    const stranger = await makeKey();
    const forged = await sign(baseClaims(), { ...stranger, kid: current.kid });
    expect(await rejection(verifier.verify(forged))).toBe('signature does not verify');
  });

  it('rejects a wrong issuer, a wrong audience and an expired token', async () => {
    const verifier = createTokenVerifier(apiUrl);
    expect(await rejection(verifier.verify(await sign(baseClaims(), current, { iss: 'http://evil.example/auth/v1' })))).toBe(
      'claim "iss" is not acceptable',
    );
    expect(await rejection(verifier.verify(await sign(baseClaims(), current, { aud: 'anon' })))).toBe(
      'claim "aud" is not acceptable',
    );
    const past = Math.floor(Date.now() / 1000) - 60;
    expect(await rejection(verifier.verify(await sign(baseClaims(), current, { exp: past })))).toBe('expired');
    await expect(verifier.verify(await sign(baseClaims()))).resolves.toBeTruthy();
  });

  it('rejects garbage and tokens missing required claims', async () => {
    const verifier = createTokenVerifier(apiUrl);
    expect(await rejection(verifier.verify('not-a-jwt'))).toBe('malformed');
    expect(await rejection(verifier.verify('a.b.c'))).toBe('malformed');
    const { session_id: _dropped, ...noSession } = baseClaims();
    expect(await rejection(verifier.verify(await sign(noSession)))).toMatch(/session_id/);
  });
});

describe('tenantContextFromClaims', () => {
  it('takes the tenant from app_metadata and never from user_metadata', async () => {
    const verifier = createTokenVerifier(apiUrl);
    const honest = await verifier.verify(await sign(baseClaims()));
    expect(tenantContextFromClaims(honest)).toMatchObject({ tenantId: tenantA, tenantRole: 'member', userId });

    // A user can write anything into user_metadata; a tenant claim there is ignored.
    const sneaky = await verifier.verify(
      await sign(
        baseClaims({ app_metadata: { provider: 'email' }, user_metadata: { tenant_id: tenantB, tenant_role: 'owner' } }),
      ),
    );
    expect(() => tenantContextFromClaims(sneaky)).toThrow(NoTenantError);

    const both = await verifier.verify(await sign(baseClaims({ user_metadata: { tenant_id: tenantB, tenant_role: 'owner' } })));
    expect(tenantContextFromClaims(both)).toMatchObject({ tenantId: tenantA, tenantRole: 'member' });
  });
});
