import 'server-only';

// @bulkhead/tenancy/server: the server side of the tenancy layer, scoped to one tenant (or to
// the signed-in user's own rows). Imported only from server code.
export {
  type ActionErrorCode,
  ActionRefusedError,
  type ActionResult,
  actionFailure,
  NotFoundError,
  runTenantAction,
  runUserAction,
  type TenantActionDefinition,
  type UserActionDefinition,
} from './action';
export * as schema from './schema';
export {
  SessionEndedError,
  TenantAccessLostError,
  type TenantDb,
  type WithTenantOptions,
  withSession,
  withTenant,
} from './with-tenant';
