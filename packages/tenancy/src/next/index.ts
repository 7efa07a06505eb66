// @bulkhead/tenancy/next: the Next.js bindings (cookies, proxy, server actions).
export { formDataToObject, tenantAction, userAction } from './action';
export { refreshSession, requireSessionOrSignIn } from './proxy';
export { getTenantContext, getVerifiedClaims, verifySessionToken } from './session';
export { createSupabaseServerClient } from './supabase';
