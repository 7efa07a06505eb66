import 'server-only';
import { z } from 'zod';
import { type AccessTokenClaims, NoTenantError, type TenantContext } from './claims';
import { can, type Permission, PermissionDeniedError } from './permissions';
import { InvalidTokenError } from './verify-token';
import {
  SessionEndedError,
  TenantAccessLostError,
  type TenantDb,
  type WithTenantOptions,
  withSession,
  withTenant,
} from './with-tenant';

/**
 * The one wrapper every tenant mutation goes through: validate the input, check the permission
 * for the caller's role, run the handler inside withTenant(), and turn every failure into a
 * result the UI can show. Handlers stay small: they get a typed input, a tenant-scoped db and
 * the context, and still filter by `context.tenantId` explicitly (defense in depth).
 */
export type ActionErrorCode =
  | 'invalid_input'
  | 'unauthenticated'
  | 'no_tenant'
  | 'access_lost'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'failed';

export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; code: ActionErrorCode; error: string; fieldErrors?: Record<string, string[]> };

/** Thrown by handlers when the target row is not visible in this tenant. */
export class NotFoundError extends Error {
  constructor(message = 'That item does not exist in this workspace.') {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** Thrown by handlers for a rule the user can fix (shown as is). */
export class ActionRefusedError extends Error {
  constructor(
    message: string,
    readonly code: 'conflict' | 'forbidden' = 'conflict',
  ) {
    super(message);
    this.name = 'ActionRefusedError';
  }
}

export interface TenantActionDefinition<S extends z.ZodType, T> {
  permission: Permission;
  input: S;
  run: (args: { db: TenantDb; input: z.infer<S>; context: TenantContext }) => Promise<T>;
}

/** Validates the input, runs `execute`, and turns every failure into an ActionResult. */
async function runAction<S extends z.ZodType, T>(
  input: S,
  rawInput: unknown,
  execute: (parsed: z.infer<S>) => Promise<T>,
): Promise<ActionResult<T>> {
  const parsed = input.safeParse(rawInput);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'invalid_input',
      error: 'Please correct the highlighted fields.',
      fieldErrors: z.flattenError(parsed.error).fieldErrors as Record<string, string[]>,
    };
  }
  try {
    return { ok: true, data: await execute(parsed.data) };
  } catch (error) {
    return actionFailure(error);
  }
}

export function runTenantAction<S extends z.ZodType, T>(
  definition: TenantActionDefinition<S, T>,
  resolveContext: () => Promise<TenantContext>,
  rawInput: unknown,
  options?: WithTenantOptions,
): Promise<ActionResult<T>> {
  return runAction(definition.input, rawInput, async (input) =>
    withTenant(
      await resolveContext(),
      (db, live) => {
        // The role as the database has it now, not as the token remembers it.
        if (!can(live.tenantRole, definition.permission)) throw new PermissionDeniedError(definition.permission, live.tenantRole);
        return definition.run({ db, input, context: live });
      },
      options,
    ),
  );
}

export interface UserActionDefinition<S extends z.ZodType, T> {
  input: S;
  run: (args: { db: TenantDb; input: z.infer<S>; claims: AccessTokenClaims }) => Promise<T>;
}

/**
 * The same wrapper for what a signed-in user does outside any tenant: create a tenant, accept
 * an invitation, switch tenants, manage their own sessions. Runs in withSession().
 */
export function runUserAction<S extends z.ZodType, T>(
  definition: UserActionDefinition<S, T>,
  resolveClaims: () => Promise<AccessTokenClaims>,
  rawInput: unknown,
  options?: WithTenantOptions,
): Promise<ActionResult<T>> {
  return runAction(definition.input, rawInput, async (input) => {
    const claims = await resolveClaims();
    return withSession(claims, (db) => definition.run({ db, input, claims }), options);
  });
}

/** Maps an error to what the user is told; unexpected errors are logged, not shown. */
export function actionFailure(error: unknown): { ok: false; code: ActionErrorCode; error: string } {
  if (error instanceof InvalidTokenError || error instanceof SessionEndedError) {
    return { ok: false, code: 'unauthenticated', error: 'Your session has ended. Please sign in again.' };
  }
  if (error instanceof NoTenantError) return { ok: false, code: 'no_tenant', error: 'Create or join a workspace first.' };
  if (error instanceof TenantAccessLostError) {
    return { ok: false, code: 'access_lost', error: 'You no longer have access to this workspace.' };
  }
  if (error instanceof PermissionDeniedError) {
    return { ok: false, code: 'forbidden', error: 'Your role does not allow this action.' };
  }
  if (error instanceof NotFoundError) return { ok: false, code: 'not_found', error: error.message };
  if (error instanceof ActionRefusedError) return { ok: false, code: error.code, error: error.message };
  // Drizzle wraps the driver's error; the Postgres fields are on its cause.
  const pgError = ((error as { cause?: unknown }).cause ?? error) as { code?: unknown; constraint?: unknown; message?: string };
  // Errors our SQL functions raise on purpose carry a message written for the user; a raw
  // constraint violation does not (its message names schema objects), so it gets a generic one.
  const raisedByKitFunction = typeof pgError.message === 'string' && pgError.constraint === undefined;
  switch (pgError.code) {
    case '42501':
      return { ok: false, code: 'forbidden', error: 'Your role does not allow this action.' };
    case '23505':
      return { ok: false, code: 'conflict', error: raisedByKitFunction ? capitalize(pgError.message) : 'That already exists.' };
    case '23514':
    case '22023':
      return {
        ok: false,
        code: 'conflict',
        error: raisedByKitFunction ? capitalize(pgError.message) : 'That value is not allowed.',
      };
    case 'P0002':
      return { ok: false, code: 'not_found', error: raisedByKitFunction ? capitalize(pgError.message) : 'Not found.' };
  }
  console.error('[tenancy] action failed:', error);
  return { ok: false, code: 'failed', error: 'Something went wrong. Nothing was changed; please try again.' };
}

function capitalize(message = ''): string {
  return message ? `${message[0]?.toUpperCase()}${message.slice(1)}.` : message;
}
