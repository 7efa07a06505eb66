import { describe, expect, it } from 'vitest';
import { tenantRoles } from '../../src/claims';
import { can, type Permission, permissions } from '../../src/permissions';

describe('permissions', () => {
  it('grant each action to its minimum role and every role above it, and to no role below', () => {
    for (const [permission, minimum] of Object.entries(permissions) as [Permission, (typeof tenantRoles)[number]][]) {
      const cut = tenantRoles.indexOf(minimum);
      tenantRoles.forEach((role, i) => {
        expect(can(role, permission), `${role} → ${permission}`).toBe(i <= cut);
      });
    }
  });

  it('match the roles the schema enforces', () => {
    expect(can('viewer', 'documents.read')).toBe(true);
    expect(can('viewer', 'documents.create')).toBe(false);
    expect(can('member', 'documents.update')).toBe(true);
    expect(can('member', 'members.invite')).toBe(false);
    expect(can('admin', 'members.remove')).toBe(true);
    expect(can('admin', 'tenant.update')).toBe(false);
    expect(can('owner', 'tenant.update')).toBe(true);
  });
});
