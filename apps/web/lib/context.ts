import 'server-only';
import { type AccessTokenClaims, type TenantContext, tenantContextFromClaims } from '@bulkhead/tenancy';
import { getVerifiedClaims } from '@bulkhead/tenancy/next';
import { SessionEndedError, TenantAccessLostError, type TenantDb, withSession, withTenant } from '@bulkhead/tenancy/server';
import type { Route } from 'next';
import { redirect } from 'next/navigation';
import { claimedTenantSuspended } from './suspension';

/**
 * Page-level guards. Each resolves who is asking or redirects: signed out → sign-in, no tenant →
 * onboarding, access lost (removed member, revoked session) → a refresh that picks up the
 * user's current claims or ends at sign-in.
 */
export async function requireClaims(next: string): Promise<AccessTokenClaims> {
  const claims = await getVerifiedClaims();
  if (!claims) redirect(`/sign-in?next=${encodeURIComponent(next)}` as Route);
  return claims;
}

export async function requireTenant(next: string): Promise<TenantContext> {
  const claims = await requireClaims(next);
  if (!claims.app_metadata.tenant_id) redirect('/onboarding');
  return tenantContextFromClaims(claims);
}

function refreshRoute(next: string): Route {
  return `/auth/refresh?next=${encodeURIComponent(next)}` as Route;
}

/** Reads tenant data for a page; redirects when the membership or session is gone. */
export async function loadForTenant<T>(next: string, fn: (db: TenantDb, context: TenantContext) => Promise<T>): Promise<T> {
  const context = await requireTenant(next);
  try {
    return await withTenant(context, fn);
  } catch (error) {
    if (error instanceof TenantAccessLostError) {
      // A suspended tenant gets its own page; anything else may be stale claims: refresh.
      if (await claimedTenantSuspended(context.claims)) redirect('/suspended');
      redirect(refreshRoute(next));
    }
    throw error;
  }
}

/** Reads the signed-in user's own rows (no tenant needed); redirects when the session is gone. */
export async function loadForUser<T>(next: string, fn: (db: TenantDb, claims: AccessTokenClaims) => Promise<T>): Promise<T> {
  const claims = await requireClaims(next);
  try {
    return await withSession(claims, (db) => fn(db, claims));
  } catch (error) {
    if (error instanceof SessionEndedError) redirect('/sign-in?reason=session_ended');
    throw error;
  }
}
