import 'server-only';
import { z } from 'zod';
import { NoTenantError, type TenantContext } from './claims';
import { can, type Permission, PermissionDeniedError } from './permissions';
import { InvalidTokenError } from './verify-token';
import { SessionEndedError, TenantAccessLostError, type TenantDb, type WithTenantOptions, withTenant } from './with-tenant';

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
  constructor(what = 'not found') {
    super(what);
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

export async function runTenantAction<S extends z.ZodType, T>(
  definition: TenantActionDefinition<S, T>,
  resolveContext: () => Promise<TenantContext>,
  rawInput: unknown,
  options?: WithTenantOptions,
): Promise<ActionResult<T>> {
  const parsed = definition.input.safeParse(rawInput);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'invalid_input',
      error: 'Please correct the highlighted fields.',
      fieldErrors: z.flattenError(parsed.error).fieldErrors as Record<string, string[]>,
    };
  }
  try {
    const context = await resolveContext();
    if (!can(context.tenantRole, definition.permission))
      throw new PermissionDeniedError(definition.permission, context.tenantRole);
    const data = await withTenant(context, (db) => definition.run({ db, input: parsed.data, context }), options);
    return { ok: true, data };
  } catch (error) {
    return actionFailure(error);
  }
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
  if (error instanceof NotFoundError)
    return { ok: false, code: 'not_found', error: 'That item does not exist in this workspace.' };
  if (error instanceof ActionRefusedError) return { ok: false, code: error.code, error: error.message };
  const pgCode = (error as { code?: unknown }).code;
  if (pgCode === '42501') return { ok: false, code: 'forbidden', error: 'Your role does not allow this action.' };
  if (pgCode === '23505') return { ok: false, code: 'conflict', error: 'That already exists.' };
  console.error('[tenancy] action failed:', error);
  return { ok: false, code: 'failed', error: 'Something went wrong. Nothing was changed; please try again.' };
}
