import 'server-only';
import type { z } from 'zod';
import { type ActionResult, runTenantAction, type TenantActionDefinition } from '../action';
import { InvalidTokenError } from '../verify-token';
import { getTenantContext } from './session';

/**
 * A Server Action for a tenant mutation, usable with React's useActionState:
 * `const [state, formAction] = useActionState(createDocument, null)`.
 * Input is taken from the submitted form (or a plain object when called directly).
 */
export function tenantAction<S extends z.ZodType, T>(definition: TenantActionDefinition<S, T>) {
  return async (_previous: ActionResult<T> | null, input: FormData | Record<string, unknown>): Promise<ActionResult<T>> =>
    runTenantAction(definition, resolveContext, input instanceof FormData ? formDataToObject(input) : input);
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
