import { z } from 'zod';

/**
 * The access-token claims Bulkhead relies on, as Supabase Auth issues them with the kit's
 * custom access token hook. Tenant claims are read from `app_metadata` only: `user_metadata`
 * is writable by the user and is never consulted.
 */
export const tenantRoles = ['owner', 'admin', 'member', 'viewer'] as const;
export type TenantRole = (typeof tenantRoles)[number];

export const accessTokenClaimsSchema = z.looseObject({
  iss: z.string(),
  sub: z.uuid(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number(),
  iat: z.number(),
  role: z.string(),
  session_id: z.uuid(),
  aal: z.enum(['aal1', 'aal2', 'aal3']),
  email: z.string().optional(),
  is_anonymous: z.boolean().optional(),
  app_metadata: z
    .looseObject({
      tenant_id: z.uuid().optional(),
      tenant_role: z.enum(tenantRoles).optional(),
    })
    .prefault({}),
  user_metadata: z.record(z.string(), z.unknown()).optional(),
});

export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;

/** The tenant a verified token speaks for. */
export interface TenantContext {
  userId: string;
  sessionId: string;
  tenantId: string;
  tenantRole: TenantRole;
  /** The verified claims, passed to the database as request.jwt.claims. */
  claims: AccessTokenClaims;
}

export class NoTenantError extends Error {
  constructor() {
    super('the access token carries no tenant: create or join a tenant first');
    this.name = 'NoTenantError';
  }
}

/** The tenant context of verified claims; throws NoTenantError when the token has none. */
export function tenantContextFromClaims(claims: AccessTokenClaims): TenantContext {
  const { tenant_id: tenantId, tenant_role: tenantRole } = claims.app_metadata;
  if (!tenantId || !tenantRole) throw new NoTenantError();
  return { userId: claims.sub, sessionId: claims.session_id, tenantId, tenantRole, claims };
}
