import type { Db } from './database';
import { ApiError, internalError } from './errors';
import type { AccessTokenClaims } from './tokens';

/**
 * The custom access token hook, as GoTrue runs a `pg-functions://` hook
 * (internal/hooks/v0hooks, v0pgfunc): inside the transaction that writes the session or the
 * rotated refresh token, on the same `supabase_auth_admin` connection, with a 2 s
 * statement_timeout. Any failure aborts that transaction, so a failed hook leaves no session
 * and consumes no refresh token.
 *
 * Answers, as GoTrue's:
 * - the function raises, times out or cannot be called: 500 "Error running hook URI: <uri>";
 * - it returns `{error: {http_code, message}}`: that status (default 500) and message;
 * - its claims miss a required claim or have a wrong type: 500 "output claims do not conform
 *   to the expected schema: ..." (gojsonschema's wording).
 */

export const HOOK_TIMEOUT_MS = 2000;

export interface HookTarget {
  uri: string;
  schema: string;
  name: string;
}

export interface HookInput {
  user_id: string;
  claims: AccessTokenClaims;
  authentication_method: string;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function runAccessTokenHook(db: Db, hook: HookTarget, input: HookInput): Promise<Record<string, unknown>> {
  let output: unknown;
  try {
    await db.query(`set local statement_timeout = '${HOOK_TIMEOUT_MS}'`);
    // An untyped parameter, as GoTrue sends it: Postgres takes the type from the function's
    // signature, so hooks declared with a json, jsonb or text argument all work.
    const { rows } = await db.query<{ output: unknown }>(`select ${quote(hook.schema)}.${quote(hook.name)}($1) as output`, [
      JSON.stringify(input),
    ]);
    output = rows[0]?.output ?? null;
    await db.query('set local statement_timeout to default');
  } catch (error) {
    throw internalError(`Error running hook URI: ${hook.uri}`, error);
  }
  // A function declared `returns json` comes back as text from some drivers; accept both.
  if (typeof output === 'string') {
    try {
      output = JSON.parse(output);
    } catch {
      throw internalError(`Error running hook URI: ${hook.uri}`);
    }
  }
  return claimsFromOutput(output);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function claimsFromOutput(output: unknown): Record<string, unknown> {
  if (output !== null && !isObject(output)) throw internalError('Error unmarshaling JSON output.');
  const error = isObject(output) && isObject(output.error) ? output.error : undefined;
  // GoTrue only treats the error object as an error when it carries a message.
  if (error && typeof error.message === 'string' && error.message !== '') {
    const requested = typeof error.http_code === 'number' ? error.http_code : 0;
    // GoTrue would send any number; a status outside 4xx/5xx would not be an error at all.
    const status = Number.isInteger(requested) && requested >= 400 && requested <= 599 ? requested : 500;
    throw new ApiError(status, undefined, error.message);
  }
  const claims = isObject(output) ? (output.claims ?? null) : null;
  const problems = schemaProblems(claims);
  if (problems.length > 0) {
    throw internalError(`output claims do not conform to the expected schema: \n${problems.map((p) => `- ${p}\n`).join('')}`);
  }
  return claims as Record<string, unknown>;
}

// GoTrue's MinimumViableTokenSchema: required claims, and the types of the known ones.
const requiredClaims = ['aud', 'exp', 'iat', 'sub', 'email', 'phone', 'role', 'aal', 'session_id', 'is_anonymous'];
type JsonType = 'string' | 'integer' | 'object' | 'array';
const claimTypes: Record<string, JsonType[]> = {
  aud: ['string', 'array'],
  exp: ['integer'],
  jti: ['string'],
  iat: ['integer'],
  iss: ['string'],
  nbf: ['integer'],
  sub: ['string'],
  email: ['string'],
  phone: ['string'],
  app_metadata: ['object'],
  user_metadata: ['object'],
  role: ['string'],
  aal: ['string'],
  amr: ['array'],
  session_id: ['string'],
  client_id: ['string'],
};

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

function matches(value: unknown, types: JsonType[]): boolean {
  const actual = jsonTypeOf(value);
  return types.some((t) => t === actual);
}

/** The messages gojsonschema would produce, in its order: type of root, required, then types. */
function schemaProblems(claims: unknown): string[] {
  if (!isObject(claims)) return [`(root): Invalid type. Expected: object, given: ${jsonTypeOf(claims)}`];
  const problems = requiredClaims.filter((name) => !(name in claims)).map((name) => `(root): ${name} is required`);
  for (const [name, types] of Object.entries(claimTypes)) {
    if (!(name in claims) || matches(claims[name], types)) continue;
    problems.push(`${name}: Invalid type. Expected: ${types.join('/')}, given: ${jsonTypeOf(claims[name])}`);
  }
  if (Array.isArray(claims.amr)) {
    claims.amr.forEach((entry, index) => {
      if (typeof entry !== 'string' && !isObject(entry)) problems.push(`amr.${index}: Must validate at least one schema (anyOf)`);
    });
  }
  return problems;
}
