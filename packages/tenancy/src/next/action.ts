import 'server-only';
import type { z } from 'zod';
import {
  type ActionResult,
  runTenantAction,
  runUserAction,
  type TenantActionDefinition,
  type UserActionDefinition,
} from '../action';
import { InvalidTokenError } from '../verify-token';
import { getTenantContext, getVerifiedClaims } from './session';

/**
 * A Server Action for a tenant mutation, usable with React's useActionState:
 * `const [state, formAction] = useActionState(createDocument, null)`.
 * Input is taken from the submitted form (or a plain object when called directly).
 */
export function tenantAction<S extends z.ZodType, T>(definition: TenantActionDefinition<S, T>) {
  return async (_previous: ActionResult<T> | null, input: FormData | Record<string, unknown>): Promise<ActionResult<T>> =>
    runTenantAction(definition, resolveContext, input instanceof FormData ? formDataToObject(input) : input);
}

/** A Server Action for the signed-in user outside any tenant (see runUserAction). */
export function userAction<S extends z.ZodType, T>(definition: UserActionDefinition<S, T>) {
  return async (_previous: ActionResult<T> | null, input: FormData | Record<string, unknown>): Promise<ActionResult<T>> =>
    runUserAction(definition, resolveClaims, input instanceof FormData ? formDataToObject(input) : input);
}

async function resolveClaims() {
  const claims = await getVerifiedClaims();
  if (!claims) throw new InvalidTokenError('signed out');
  return claims;
}

async function resolveContext() {
  const context = await getTenantContext();
  if (!context) throw new InvalidTokenError('signed out');
  return context;
}

/** Form fields as an object; a field sent more than once becomes an array. */
export function formDataToObject(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of form.entries()) {
    if (key.startsWith('$ACTION')) continue; // React's own bookkeeping fields
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else out[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}
