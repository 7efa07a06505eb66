// Public surface of @bulkhead/tenancy: everything here is scoped to one tenant. Anything that
// can reach beyond one tenant lives behind its own subpath export, never here.
export {
  type AccessTokenClaims,
  accessTokenClaimsSchema,
  NoTenantError,
  type TenantContext,
  type TenantRole,
  tenantContextFromClaims,
  tenantRoles,
} from './claims';
export { can, type Permission, PermissionDeniedError, permissions } from './permissions';
export { createTokenVerifier, InvalidTokenError, type TokenVerifier } from './verify-token';
