// @bulkhead/tenancy/next: the Next.js bindings (cookies, proxy, server actions).
export { tenantAction } from './action';
export { refreshSession } from './proxy';
export { getTenantContext, getVerifiedClaims } from './session';
export { createSupabaseServerClient } from './supabase';
