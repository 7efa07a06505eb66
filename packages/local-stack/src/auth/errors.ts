/**
 * Errors as Supabase Auth (GoTrue) answers them. Client libraries branch on these bodies
 * (auth-js reads `code`/`error_code`, `msg`/`message`, `weak_password.reasons`), so the shapes
 * and codes follow GoTrue's internal/api/errors.go and apierrors/errorcode.go exactly.
 */

/** The error codes this server emits; the names are GoTrue's. */
export type ErrorCode =
  | 'anonymous_provider_disabled'
  | 'bad_json'
  | 'bad_jwt'
  | 'conflict'
  | 'email_exists'
  | 'email_not_confirmed'
  | 'insufficient_aal'
  | 'invalid_credentials'
  | 'mfa_challenge_expired'
  | 'mfa_factor_name_conflict'
  | 'mfa_factor_not_found'
  | 'mfa_ip_address_mismatch'
  | 'mfa_phone_enroll_not_enabled'
  | 'mfa_verification_failed'
  | 'mfa_webauthn_enroll_not_enabled'
  | 'no_authorization'
  | 'not_admin'
  | 'phone_exists'
  | 'phone_provider_disabled'
  | 'refresh_token_already_used'
  | 'refresh_token_not_found'
  | 'request_entity_too_large'
  | 'same_password'
  | 'session_expired'
  | 'session_not_found'
  | 'signup_disabled'
  | 'too_many_enrolled_mfa_factors'
  | 'unexpected_failure'
  | 'user_already_exists'
  | 'user_banned'
  | 'user_not_found'
  | 'validation_failed'
  | 'weak_password';

/** GoTrue's HTTPError. A missing code is filled in at response time, as GoTrue does. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | undefined,
    message: string,
    /** What actually went wrong, for the server log only (GoTrue's internal error). */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** 422 weak_password with the reasons auth-js turns into AuthWeakPasswordError. */
export class WeakPasswordError extends ApiError {
  constructor(
    message: string,
    readonly reasons: string[],
  ) {
    super(422, 'weak_password', message);
  }
}

/** The OAuth2-style body GoTrue still uses for a few token-endpoint errors. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/**
 * Thrown from inside a transaction when the writes so far must be committed although the
 * request fails: refresh-token reuse revokes the session's tokens and still answers 400.
 */
export class CommitThenFail extends Error {
  constructor(readonly failure: ApiError) {
    super(failure.message);
  }
}

export const badRequest = (code: ErrorCode, message: string) => new ApiError(400, code, message);
export const forbidden = (code: ErrorCode, message: string) => new ApiError(403, code, message);
export const notFound = (code: ErrorCode, message: string) => new ApiError(404, code, message);
export const unprocessable = (code: ErrorCode, message: string) => new ApiError(422, code, message);
export const internalError = (message: string, cause?: unknown) => new ApiError(500, 'unexpected_failure', message, cause);

/** The API versions GoTrue knows: before 2024-01-01 (`initial`) and from it on. */
export type ApiVersion = 'initial' | '2024-01-01';
export const API_VERSION_HEADER = 'x-supabase-api-version';

/** GoTrue's DetermineClosestAPIVersion: a YYYY-MM-DD date; anything unparsable is `initial`. */
export function apiVersionOf(header: string | undefined): ApiVersion {
  if (!header || !/^\d{4}-\d{2}-\d{2}$/.test(header)) return 'initial';
  const date = new Date(`${header}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== header) return 'initial';
  return header >= '2024-01-01' ? '2024-01-01' : 'initial';
}

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

const UNEXPECTED = 'Unexpected failure, please check server logs for more information';

/**
 * GoTrue's HandleResponseError. Clients that send `X-Supabase-Api-Version: 2024-01-01` (every
 * current auth-js) get `{code: "<error_code>", message}` and the version echoed back; older
 * clients get `{code: <status>, error_code, msg}`.
 */
export function errorReply(error: unknown, version: ApiVersion): ErrorReply {
  const headers: Record<string, string> = {};
  if (version !== 'initial') headers['X-Supabase-Api-Version'] = version;

  if (error instanceof OAuthError) {
    const body: Record<string, unknown> = { error: error.error };
    if (error.description) body.error_description = error.description;
    return { status: 400, headers, body };
  }

  if (error instanceof WeakPasswordError) {
    const payload = { reasons: error.reasons };
    if (version !== 'initial') {
      return { status: 422, headers, body: { code: 'weak_password', message: error.message, weak_password: payload } };
    }
    headers['x-sb-error-code'] = 'weak_password';
    return { status: 422, headers, body: { code: 422, error_code: 'weak_password', msg: error.message, weak_password: payload } };
  }

  if (error instanceof ApiError) {
    if (error.code) headers['x-sb-error-code'] = error.code;
    const code = error.code ?? (error.status === 500 ? 'unexpected_failure' : 'unknown');
    if (version !== 'initial') return { status: error.status, headers, body: { code, message: error.message } };
    return { status: error.status, headers, body: { code: error.status, error_code: code, msg: error.message } };
  }

  if (version !== 'initial') return { status: 500, headers, body: { code: 'unexpected_failure', message: UNEXPECTED } };
  return { status: 500, headers, body: { code: 500, error_code: 'unexpected_failure', msg: UNEXPECTED } };
}

/** One log line for a 5xx: the client's message plus the internal cause, or a stack for bugs. */
export function describeFailure(error: unknown): string {
  if (error instanceof ApiError) {
    const cause = error.cause instanceof Error ? error.cause.message : error.cause;
    return cause === undefined ? error.message : `${error.message} (${String(cause)})`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
