import type { TestSession, TestUser } from './auth';
import type { TenancyTestKit } from './kit';

/**
 * Tenants built the way users build them: through the tenant flows (create_tenant,
 * invite_member, accept_invitation), each followed by a session refresh so the hook puts the
 * tenant in the token. No row is inserted behind the policies' back.
 */

export type TenantRole = 'owner' | 'admin' | 'member' | 'viewer';

export interface TestTenant<Label extends string = string> {
  id: string;
  slug: string;
  owner: TestSession;
  /** Every member by label, each signed in with the tenant in their token. */
  members: Record<Label, TestSession>;
}

let slugCounter = 0;

/** A unique, valid tenant slug. */
export function testSlug(label: string): string {
  slugCounter += 1;
  const base = label.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return `${base}-${process.pid}-${slugCounter}-${Math.random().toString(36).slice(2, 6)}`.slice(0, 48).replace(/-+$/, '');
}

/** A signed-in user who owns a new tenant (created with create_tenant, token refreshed). */
export async function createTenant(
  kit: TenancyTestKit,
  name: string,
  owner?: TestSession,
): Promise<{ id: string; slug: string; owner: TestSession }> {
  const session = owner ?? (await kit.signIn(await kit.createUser()));
  const slug = testSlug(name);
  const id = await kit.rpc<string>(session, 'select public.create_tenant($1, $2)', [name, slug]);
  return { id, slug, owner: await kit.refresh(session) };
}

/** Invites a user into the inviter's current tenant and has them accept; returns their refreshed session. */
export async function addMember(
  kit: TenancyTestKit,
  inviter: TestSession,
  role: TenantRole,
  who?: TestSession | TestUser,
): Promise<TestSession> {
  const session = who && 'sessionId' in who ? who : await kit.signIn(who ?? (await kit.createUser()));
  const token = await kit.rpc<string>(inviter, 'select public.invite_member($1, $2)', [session.user.email, role]);
  await kit.rpc(session, 'select public.accept_invitation($1)', [token]);
  return kit.refresh(session);
}

/** A tenant with one member per label, in the given roles. */
export async function createTenantWithMembers<Label extends string>(
  kit: TenancyTestKit,
  name: string,
  roles: Record<Label, TenantRole>,
): Promise<TestTenant<Label>> {
  const tenant = await createTenant(kit, name);
  const members = {} as Record<Label, TestSession>;
  for (const [label, role] of Object.entries(roles) as [Label, TenantRole][]) {
    members[label] = await addMember(kit, tenant.owner, role);
  }
  return { ...tenant, members };
}
