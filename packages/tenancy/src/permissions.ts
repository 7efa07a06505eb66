import { type TenantRole, tenantRoles } from './claims';

/**
 * What each tenant role may do: the minimum role per action. The UI uses it to show or hide
 * controls; the action wrapper uses it to refuse early; the database policies enforce the same
 * rules on their own (supabase/migrations), so a mistake here cannot widen access.
 */
export const permissions = {
  'tenant.read': 'viewer',
  'tenant.update': 'owner',
  'documents.read': 'viewer',
  'documents.create': 'member',
  'documents.update': 'member',
  // Members delete their own documents; admins any document of the tenant.
  'documents.delete': 'member',
  'documents.deleteAny': 'admin',
  'members.read': 'viewer',
  'members.invite': 'admin',
  'members.changeRole': 'admin',
  'members.remove': 'admin',
  'audit.read': 'admin',
  // Every member sees the plan; only owners change it (Checkout, Billing Portal). The database
  // checks the same in public.billing_owner_gate().
  'billing.read': 'viewer',
  'billing.manage': 'owner',
} as const satisfies Record<string, TenantRole>;

export type Permission = keyof typeof permissions;

// tenantRoles is ordered from most to least powerful.
const rank = (role: TenantRole) => tenantRoles.length - tenantRoles.indexOf(role);

export function can(role: TenantRole, permission: Permission): boolean {
  return rank(role) >= rank(permissions[permission]);
}

export class PermissionDeniedError extends Error {
  constructor(
    readonly permission: Permission,
    readonly role: TenantRole,
  ) {
    super(`a ${role} may not ${permission} (needs ${permissions[permission]})`);
    this.name = 'PermissionDeniedError';
  }
}
