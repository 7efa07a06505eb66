import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { z } from 'zod';

/**
 * The asymmetric signing key, kept like `supabase gen signing-key --algorithm ES256` keeps it: a
 * JSON array of private JWKs (with `kid`) in the file `signing_keys_path` names, created on
 * first start with mode 0600 and reused afterwards, so tokens survive a restart of the stack.
 */

const privateJwk = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
  alg: z.literal('ES256').optional(),
});
const keyFile = z.union([z.array(privateJwk).min(1), privateJwk.transform((key) => [key])]);

type PrivateJwk = z.infer<typeof privateJwk>;

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  /** What /.well-known/jwks.json publishes: public halves only. */
  jwks: { keys: JWK[] };
  /** Verification keys by `kid`. */
  publicKeys: Map<string, CryptoKey>;
}

async function createKeyFile(path: string): Promise<PrivateJwk[]> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const key = privateJwk.parse({ ...jwk, kid: randomUUID(), alg: 'ES256' });
  const stored = [{ ...key, use: 'sig', key_ops: ['sign', 'verify'], ext: true }];
  mkdirSync(dirname(path), { recursive: true });
  try {
    // `wx`: never overwrite a key another process wrote in the meantime.
    writeFileSync(path, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return [key];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(path);
    throw error;
  }
}

function readKeyFile(path: string): PrivateJwk[] {
  const parsed = keyFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${path} must hold ES256 (P-256) private JWKs with a kid: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

function readOrCreate(path: string): PrivateJwk[] | Promise<PrivateJwk[]> {
  try {
    return readKeyFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return createKeyFile(path);
    throw error;
  }
}

export async function loadSigningKeys(path: string): Promise<SigningKeys> {
  const stored = await readOrCreate(path);
  const publicKeys = new Map<string, CryptoKey>();
  const published: JWK[] = [];
  for (const { d: _private, ...pub } of stored) {
    const jwk: JWK = { ...pub, alg: 'ES256', use: 'sig', key_ops: ['verify'], ext: true };
    publicKeys.set(pub.kid, (await importJWK(jwk, 'ES256')) as CryptoKey);
    published.push(jwk);
  }
  // The first key signs, as GoTrue signs with the first key of its list.
  const [first] = stored;
  if (!first) throw new Error(`${path} holds no signing key`);
  const privateKey = (await importJWK({ ...first, alg: 'ES256' }, 'ES256')) as CryptoKey;
  return { kid: first.kid, privateKey, jwks: { keys: published }, publicKeys };
}
