import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  type AccessTokenClaims,
  setSessionNotAfter,
  setUserMetadata,
  type TenancyTestKit,
  type TenantRole,
  type TestSession,
  type TestUser,
} from '../helpers';
import type { Catalog, Column, Relation } from './discover';

/**
 * The world the attacks run in: random tenants, users, roles and membership histories, built
 * through the kit's own flows (create_tenant, invite_member, accept_invitation, ...) so that every
 * row and every token is one the product could really produce. Tokens are kept from every point
 * of the history: a token issued before its holder was removed, demoted, signed out or switched
 * away is exactly what an attacker holds.
 *
 * Every tenant gets a canary (a random lower-case word) in its name, slug, invitation addresses
 * and in every text column of every row the suite seeds, so a leaked row is easy to recognise.
 * Which tenants a token may legitimately see is computed from the final database state and the
 * history of its session, never from the policies under test.
 */

const roles: TenantRole[] = ['owner', 'admin', 'member', 'viewer'];

export type Step =
  | { kind: 'join'; user: number; tenant: number; role: TenantRole }
  | { kind: 'changeRole'; user: number; tenant: number; role: TenantRole }
  | { kind: 'remove'; user: number; tenant: number }
  | { kind: 'leave'; user: number; tenant: number }
  | { kind: 'switch'; user: number; tenant: number }
  | { kind: 'invite'; user: number; tenant: number }
  | { kind: 'spoof'; user: number; tenant: number }
  | { kind: 'signIn'; user: number }
  | { kind: 'refresh'; user: number }
  | { kind: 'signOut'; user: number }
  | { kind: 'expire'; user: number }
  | { kind: 'revokeRefresh'; user: number };

export interface WorldPlan {
  tenants: number;
  users: number;
  steps: Step[];
}

const idx = fc.nat({ max: 63 });
const roleArb = fc.constantFrom(...roles);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('join' as const), user: idx, tenant: idx, role: roleArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('changeRole' as const), user: idx, tenant: idx, role: roleArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), user: idx, tenant: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), user: idx, tenant: idx }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('switch' as const), user: idx, tenant: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invite' as const), user: idx, tenant: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('spoof' as const), user: idx, tenant: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('signIn' as const), user: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refresh' as const), user: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('signOut' as const), user: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), user: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revokeRefresh' as const), user: idx }) },
);

/** Every history contains each kind of event at least once, wherever the random part puts it. */
const guaranteedArb: fc.Arbitrary<Step[]> = fc.tuple(
  fc.record({ kind: fc.constant('join' as const), user: idx, tenant: idx, role: fc.constant<TenantRole>('member') }),
  fc.record({ kind: fc.constant('remove' as const), user: idx, tenant: idx }),
  fc.record({ kind: fc.constant('join' as const), user: idx, tenant: idx, role: fc.constant<TenantRole>('admin') }),
  fc.record({ kind: fc.constant('changeRole' as const), user: idx, tenant: idx, role: roleArb }),
  fc.record({ kind: fc.constant('switch' as const), user: idx, tenant: idx }),
  fc.record({ kind: fc.constant('spoof' as const), user: idx, tenant: idx }),
  fc.record({ kind: fc.constant('signOut' as const), user: idx }),
  fc.record({ kind: fc.constant('expire' as const), user: idx }),
  fc.record({ kind: fc.constant('revokeRefresh' as const), user: idx }),
  fc.record({ kind: fc.constant('leave' as const), user: idx, tenant: idx }),
);

export const worldPlanArb: fc.Arbitrary<WorldPlan> = fc
  .record({
    tenants: fc.integer({ min: 3, max: 4 }),
    extraUsers: fc.integer({ min: 4, max: 7 }),
    random: fc.array(stepArb, { minLength: 8, maxLength: 18 }),
    guaranteed: guaranteedArb,
  })
  .map(({ tenants, extraUsers, random, guaranteed }) => ({
    tenants,
    users: tenants + extraUsers,
    // The guaranteed events run after the random ones, so they act on a world with history.
    steps: [...random, ...guaranteed],
  }));

export interface WorldTenant {
  index: number;
  label: string;
  id: string;
  slug: string;
  canary: string;
}

export type SessionStatus = 'live' | 'signed-out' | 'expired' | 'refresh-revoked';

export interface WorldSession {
  id: string;
  status: SessionStatus;
}

export interface WorldUser {
  index: number;
  label: string;
  user: TestUser;
  sessions: WorldSession[];
  /** Tenants this user ever belonged to (for the replay report and victim choice). */
  everIn: Set<number>;
  /** The tenant this user last named in its own user_metadata. */
  spoofed?: WorldTenant;
}

export interface Token {
  index: number;
  /** e.g. "u3/s2 after remove(u3, t1)". */
  label: string;
  user: WorldUser;
  session: WorldSession;
  claims: AccessTokenClaims;
  /**
   * Transaction-local settings the request carries besides the claims. Staff tokens set the
   * marker of an audited staff read (`bulkhead.staff_read_tenant`) on a victim tenant, the most a
   * staff member can ask for; only a live grant at aal2 may turn it into visible rows. Spoofing
   * users' tokens carry a hand-written `bulkhead.request_proof` naming the tenant they spoof.
   */
  settings?: Record<string, string>;
}

export interface PendingInvitation {
  tenant: number;
  email: string;
  token: string;
}

/** A value found in the world, with the column (or role) it came from. */
export interface PoolEntry {
  name: string;
  value: string;
  kind: 'uuid' | 'text' | 'int' | 'numeric' | 'bool' | 'time' | 'json' | 'bytea';
}

export interface World {
  plan: WorldPlan;
  tenants: WorldTenant[];
  users: WorldUser[];
  tokens: Token[];
  invitations: PendingInvitation[];
  /** Final state, as the superuser reads it. */
  memberships: { tenant: number; user: number; role: string }[];
  /** Rows of every discovered relation, per tenant index: relation name → rows (JSON). */
  rows: Map<number, Map<string, Record<string, unknown>[]>>;
  pools: Map<number, PoolEntry[]>;
  /** What happened while building: steps done or skipped, with why. */
  history: string[];
  seedFailures: string[];
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function word(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

class WorldBuilder {
  readonly tenants: WorldTenant[] = [];
  readonly users: WorldUser[] = [];
  readonly tokens: Token[] = [];
  readonly invitations: PendingInvitation[] = [];
  readonly history: string[] = [];
  readonly seedFailures: string[] = [];
  private context = 'sign-in';

  constructor(
    private readonly kit: TenancyTestKit,
    private readonly catalog: Catalog,
  ) {}

  private record(user: WorldUser, session: WorldSession, claims: AccessTokenClaims): TestSession {
    this.tokens.push({
      index: this.tokens.length,
      label: `${user.label}/s${user.sessions.indexOf(session) + 1} ${this.context}`,
      user,
      session,
      claims,
    });
    return { user: user.user, sessionId: session.id, claims };
  }

  /**
   * Staff who must see nothing of any tenant, each asking to read `victim`: at aal2 without a
   * grant, at aal2 with an expired grant, and at aal1 with a live grant. They belong to no tenant,
   * so the oracle treats every tenant as foreign to them.
   */
  async addStaff(victim: WorldTenant): Promise<void> {
    const kinds = [
      { label: 'staff-aal2-no-grant', aal: 'aal2', grant: null },
      { label: 'staff-aal2-expired-grant', aal: 'aal2', grant: 'expired' },
      { label: 'staff-aal1-live-grant', aal: 'aal1', grant: 'live' },
    ] as const;
    for (const kind of kinds) {
      const index = this.users.length;
      const user = await this.kit.createUser({ email: `${kind.label}-${word(6)}@example.test` });
      await this.kit.adminQuery('insert into private.staff_members (user_id, email) values ($1, $2)', [user.id, user.email]);
      const worldUser: WorldUser = { index, label: kind.label, user, sessions: [], everIn: new Set() };
      this.users.push(worldUser);
      if (kind.grant === 'live') {
        await this.kit.adminQuery(
          `insert into private.staff_access_grants (staff_user_id, granted_tenant_id, reason, expires_at)
           values ($1, $2, 'attack suite: live grant at aal1', now() + interval '30 minutes')`,
          [user.id, victim.id],
        );
      } else if (kind.grant === 'expired') {
        await this.kit.adminQuery(
          `insert into private.staff_access_grants (staff_user_id, granted_tenant_id, reason, created_at, expires_at)
           values ($1, $2, 'attack suite: expired grant', now() - interval '2 hours', now() - interval '1 hour')`,
          [user.id, victim.id],
        );
      }
      this.context = `staff (${kind.aal}${kind.grant ? `, ${kind.grant} grant on ${victim.label}` : ', no grant'})`;
      const session = await this.signIn(worldUser);
      const token = this.tokens.at(-1) as Token;
      token.claims = { ...session.claims, aal: kind.aal };
      token.settings = { 'bulkhead.staff_read_tenant': victim.id };
    }
  }

  async addUser(index: number): Promise<void> {
    const user = await this.kit.createUser({ email: `u${index}-${word(6)}@example.test` });
    this.users.push({ index, label: `u${index}`, user, sessions: [], everIn: new Set() });
  }

  private liveSession(user: WorldUser): WorldSession | undefined {
    return user.sessions.findLast((s) => s.status === 'live');
  }

  async signIn(user: WorldUser): Promise<TestSession> {
    const session = await this.kit.signIn(user.user);
    const worldSession: WorldSession = { id: session.sessionId, status: 'live' };
    user.sessions.push(worldSession);
    // Half the sessions carry an active refresh token, as Auth's older token format keeps them;
    // the others have none. live_session_user_id() treats both as live.
    if (user.sessions.length % 2 === 0) {
      await this.kit.adminQuery(
        `insert into auth.refresh_tokens (token, user_id, revoked, created_at, updated_at, session_id)
         values ($1, $2, false, now(), now(), $3)`,
        [word(24), user.user.id, session.sessionId],
      );
    }
    return this.record(user, worldSession, session.claims);
  }

  /** A fresh token on the user's live session (signing in when none is live). */
  async refresh(user: WorldUser): Promise<TestSession> {
    const session = this.liveSession(user);
    if (!session) return this.signIn(user);
    const claims = (await this.kit.refresh({ user: user.user, sessionId: session.id, claims: {} as AccessTokenClaims })).claims;
    return this.record(user, session, claims);
  }

  private dropInvitation(tenant: WorldTenant, user: WorldUser): void {
    const kept = this.invitations.filter((i) => !(i.tenant === tenant.index && i.email === user.user.email));
    this.invitations.splice(0, this.invitations.length, ...kept);
  }

  private async memberRole(tenant: WorldTenant, user: WorldUser): Promise<string | undefined> {
    const [row] = await this.kit.adminQuery<{ role: string }>(
      'select role from public.memberships where tenant_id = $1 and user_id = $2',
      [tenant.id, user.user.id],
    );
    return row?.role;
  }

  /** A live token of `user` claiming `tenant` (switching to it when needed); the user must be a member. */
  async actingIn(user: WorldUser, tenant: WorldTenant): Promise<TestSession> {
    const session = this.liveSession(user);
    const existing =
      session && this.tokens.findLast((t) => t.session === session && t.claims.app_metadata.tenant_id === tenant.id);
    if (existing) return { user: user.user, sessionId: existing.session.id, claims: existing.claims };
    const current = session ? await this.refresh(user) : await this.signIn(user);
    if (current.claims.app_metadata.tenant_id === tenant.id) return current;
    await this.kit.rpc(current, 'select public.switch_tenant($1)', [tenant.id]);
    return this.refresh(user);
  }

  private async ownerOf(tenant: WorldTenant, except?: WorldUser): Promise<WorldUser | undefined> {
    const rows = await this.kit.adminQuery<{ user_id: string }>(
      `select user_id from public.memberships where tenant_id = $1 and role = 'owner' order by created_at`,
      [tenant.id],
    );
    const owners = rows
      .map((r) => this.users.find((u) => u.user.id === r.user_id))
      .filter((u): u is WorldUser => !!u && u !== except);
    return owners.find((u) => this.liveSession(u)) ?? owners[0];
  }

  async createTenant(owner: WorldUser, index: number): Promise<void> {
    const canary = `cnry${word(6)}`;
    const slug = `${canary}-t${index}`;
    this.context = `after create_tenant(t${index})`;
    const session = this.liveSession(owner) ? await this.refresh(owner) : await this.signIn(owner);
    const id = await this.kit.rpc<string>(session, 'select public.create_tenant($1, $2)', [`Tenant t${index} ${canary}`, slug]);
    const tenant: WorldTenant = { index, label: `t${index}`, id, slug, canary };
    this.tenants.push(tenant);
    owner.everIn.add(index);
    await this.refresh(owner);
    // Invitations nobody accepts: canary addresses, tokens the attacker may try.
    const inviter = await this.actingIn(owner, tenant);
    for (const role of ['member', 'admin'] as const) {
      const email = `${canary}-pending-${role}@example.test`;
      const token = await this.kit.rpc<string>(inviter, 'select public.invite_member($1, $2)', [email, role]);
      this.invitations.push({ tenant: index, email, token });
    }
    this.history.push(`create_tenant: ${owner.label} owns t${index} (${slug})`);
  }

  async step(step: Step): Promise<void> {
    const tenant = 'tenant' in step ? (this.tenants[step.tenant % this.tenants.length] as WorldTenant) : undefined;
    // Steps about a membership pick among the tenant's members (or non-members, to join), so
    // that most of them do something instead of being refused for want of a member.
    let candidates = this.users;
    if (tenant) {
      const members = new Set(
        (
          await this.kit.adminQuery<{ user_id: string }>('select user_id from public.memberships where tenant_id = $1', [
            tenant.id,
          ])
        ).map((r) => r.user_id),
      );
      // Joining, being invited and naming a tenant in one's user_metadata are for outsiders.
      const outsider = step.kind === 'join' || step.kind === 'invite' || step.kind === 'spoof';
      let matching = this.users.filter((u) => members.has(u.user.id) !== outsider);
      if (step.kind === 'spoof' && matching.some((u) => this.liveSession(u)))
        matching = matching.filter((u) => this.liveSession(u));
      if (step.kind === 'remove' || step.kind === 'leave') {
        // The last owner can neither be removed nor leave; prefer someone who can.
        const owners = new Set(
          (
            await this.kit.adminQuery<{ user_id: string }>(
              `select user_id from public.memberships where tenant_id = $1 and role = 'owner'`,
              [tenant.id],
            )
          ).map((r) => r.user_id),
        );
        const movable = matching.filter((u) => !owners.has(u.user.id) || owners.size > 1);
        if (movable.length > 0) matching = movable;
      }
      if (matching.length > 0) candidates = matching;
    } else if (step.kind !== 'signIn') {
      // Ending or refreshing a session needs one.
      const live = this.users.filter((u) => this.liveSession(u));
      if (live.length > 0) candidates = live;
    }
    await this.act(step, candidates[step.user % candidates.length] as WorldUser, tenant);
  }

  /** Performs a step for exactly this user and tenant, and records what happened. */
  async act(step: Step, user: WorldUser, tenant: WorldTenant | undefined): Promise<void> {
    const what = `${step.kind}(${user.label}${tenant ? `, ${tenant.label}` : ''}${'role' in step ? `, ${step.role}` : ''})`;
    this.context = `after ${what}`;
    try {
      const done = await this.perform(step, user, tenant);
      this.history.push(`${what}: ${done}`);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      this.history.push(`${what}: refused (${e.code ?? ''} ${e.message ?? String(error)})`);
    }
  }

  private async perform(step: Step, user: WorldUser, tenant: WorldTenant | undefined): Promise<string> {
    const session = this.liveSession(user);
    switch (step.kind) {
      case 'signIn':
        await this.signIn(user);
        return 'new session';
      case 'refresh':
        if (!session) return 'skipped: no live session';
        await this.refresh(user);
        return 'new token';
      case 'signOut':
        if (!session) return 'skipped: no live session';
        await this.kit.signOut({ user: user.user, sessionId: session.id, claims: {} as AccessTokenClaims });
        session.status = 'signed-out';
        return `session ${session.id} deleted`;
      case 'expire':
        if (!session) return 'skipped: no live session';
        await setSessionNotAfter(this.kit.admin, session.id, new Date(Date.now() - 60_000));
        session.status = 'expired';
        return `session ${session.id} past not_after`;
      case 'revokeRefresh':
        if (!session) return 'skipped: no live session';
        // Reuse detection revokes every refresh token of the session (and keeps the row).
        await this.kit.adminQuery('update auth.refresh_tokens set revoked = true where session_id = $1', [session.id]);
        await this.kit.adminQuery(
          `insert into auth.refresh_tokens (token, user_id, revoked, created_at, updated_at, session_id)
           values ($1, $2, true, now(), now(), $3)`,
          [word(24), user.user.id, session.id],
        );
        session.status = 'refresh-revoked';
        return `session ${session.id} refresh tokens revoked`;
      case 'spoof': {
        const target = tenant as WorldTenant;
        await setUserMetadata(this.kit.admin, user.user, { tenant_id: target.id, tenant_role: 'owner', tenant: target.id });
        user.spoofed = target;
        if (session) {
          await this.refresh(user);
          // Its requests also carry a hand-written proof of a verified context in the target
          // (private.verified_request()): without the key its MAC is wrong, so it must count for nothing.
          const token = this.tokens.at(-1) as Token;
          token.settings = {
            ...token.settings,
            'bulkhead.request_proof': `${'0'.repeat(64)}.${target.id}|owner|${user.user.id}`,
          };
        }
        return 'user_metadata names the tenant and a forged request proof claims it';
      }
      case 'join':
      case 'invite': {
        const target = tenant as WorldTenant;
        if (await this.memberRole(target, user)) return 'skipped: already a member';
        const owner = await this.ownerOf(target, user);
        if (!owner) return 'skipped: no other owner';
        const role = step.kind === 'join' ? step.role : 'member';
        const token = await this.kit.rpc<string>(await this.actingIn(owner, target), 'select public.invite_member($1, $2)', [
          user.user.email,
          role,
        ]);
        if (step.kind === 'invite') {
          // invite_member replaced any pending invitation to this address: its token is dead.
          this.dropInvitation(target, user);
          this.invitations.push({ tenant: target.index, email: user.user.email, token });
          return 'pending invitation';
        }
        this.context = `after join(${user.label}, ${target.label}, ${role})`;
        const invitee = session ? await this.refresh(user) : await this.signIn(user);
        await this.kit.rpc(invitee, 'select public.accept_invitation($1)', [token]);
        user.everIn.add(target.index);
        this.dropInvitation(target, user);
        await this.refresh(user);
        return `joined as ${role}`;
      }
      case 'changeRole':
      case 'remove': {
        const target = tenant as WorldTenant;
        if (!(await this.memberRole(target, user))) return 'skipped: not a member';
        const owner = await this.ownerOf(target, step.kind === 'remove' ? user : undefined);
        if (!owner) return 'skipped: no owner to act';
        const acting = await this.actingIn(owner, target);
        this.context = `after ${step.kind}(${user.label}, ${target.label})`;
        if (step.kind === 'remove') {
          await this.kit.rpc(acting, 'select public.remove_member($1)', [user.user.id]);
          return `removed by ${owner.label}`;
        }
        await this.kit.rpc(acting, 'select public.change_member_role($1, $2)', [user.user.id, step.role]);
        return `role changed by ${owner.label}`;
      }
      case 'leave':
      case 'switch': {
        const target = tenant as WorldTenant;
        if (!(await this.memberRole(target, user))) return 'skipped: not a member';
        const acting = await this.actingIn(user, target);
        if (step.kind === 'leave') {
          await this.kit.rpc(acting, 'select public.leave_tenant()');
          await this.refresh(user);
          return 'left';
        }
        return 'switched';
      }
    }
  }

  /** What every world needs for positive controls, whatever the random history did. */
  async guarantee(): Promise<void> {
    // A removed member and a role change, whatever the random steps managed.
    for (const [kind, done] of [
      ['remove', 'removed by'],
      ['changeRole', 'role changed by'],
    ] as const) {
      if (this.history.some((h) => h.includes(done))) continue;
      const tenant = this.tenants[0] as WorldTenant;
      const outsider = this.users.find((u) => !u.everIn.has(tenant.index)) ?? (this.users.at(-1) as WorldUser);
      await this.act({ kind: 'join', user: outsider.index, tenant: tenant.index, role: 'member' }, outsider, tenant);
      await this.act({ kind, user: outsider.index, tenant: tenant.index, role: 'viewer' }, outsider, tenant);
    }
    for (const tenant of this.tenants) {
      this.context = `acting in ${tenant.label}`;
      const owner = await this.ownerOf(tenant);
      if (owner) await this.actingIn(owner, tenant);
      const [member] = await this.kit.adminQuery<{ user_id: string }>(
        `select user_id from public.memberships where tenant_id = $1 and role <> 'owner' order by created_at limit 1`,
        [tenant.id],
      );
      const existing = this.users.find((u) => u.user.id === member?.user_id);
      if (existing) await this.actingIn(existing, tenant);
      else {
        const outsider = this.users.find((u) => !u.everIn.has(tenant.index)) ?? (this.users[0] as WorldUser);
        await this.act({ kind: 'join', user: outsider.index, tenant: tenant.index, role: 'member' }, outsider, tenant);
      }
    }
    // A live user with an invitation to a tenant they are not in: accept_invitation's positive control.
    // A tenant may refuse (its plan's seat limit counts pending invitations), so keep trying other
    // users and tenants until one invitation stands.
    const invitedLiveUser = () =>
      this.invitations.some((i) => this.users.some((u) => u.user.email === i.email && this.liveSession(u)));
    invite: for (const user of this.users) {
      if (invitedLiveUser()) break;
      if (!this.liveSession(user)) continue;
      for (const target of this.tenants.filter((t) => !user.everIn.has(t.index))) {
        await this.act({ kind: 'invite', user: user.index, tenant: target.index }, user, target);
        if (invitedLiveUser()) break invite;
      }
    }
    // A live token whose user_metadata names a tenant foreign to its user: not a member, and not
    // invited either (an invitee's standing does not count the inviting tenant as foreign, so a
    // spoof aimed there would attack nothing).
    const invited = (user: WorldUser, tenant: WorldTenant) =>
      this.invitations.some((i) => i.email === user.user.email && i.tenant === tenant.index);
    const foreignTo = async (user: WorldUser, tenant: WorldTenant) =>
      !invited(user, tenant) && !(await this.memberRole(tenant, user));
    const spoofers = this.users.filter((u) => this.liveSession(u) && u.spoofed !== undefined);
    const spoofing = await Promise.all(spoofers.map((u) => foreignTo(u, u.spoofed as WorldTenant)));
    if (!spoofing.some(Boolean)) {
      for (const user of this.users) {
        const target = this.tenants.find((t) => !user.everIn.has(t.index) && !invited(user, t));
        if (target && this.liveSession(user) && (await foreignTo(user, target))) {
          await this.act({ kind: 'spoof', user: user.index, tenant: target.index }, user, target);
          break;
        }
      }
    }
    this.context = 'final refresh';
    for (const user of this.users) if (this.liveSession(user)) await this.refresh(user);
  }

  /**
   * Seeds every discovered table that has no row for a tenant: first as the tenant's owner through
   * `authenticated` (the realistic path), then as the superuser. Text columns get the canary.
   */
  async seed(tenant: WorldTenant): Promise<void> {
    const tables = this.catalog.relations.filter((r) => r.kind === 'table' && r.tenantColumn);
    for (let pass = 0; pass < 2; pass++) {
      for (const relation of tables) {
        const [count] = await this.kit.adminQuery<{ n: number }>(
          `select count(*)::int as n from ${relation.sql} where ${quote(relation.tenantColumn as string)} = $1`,
          [tenant.id],
        );
        const existing = count?.n ?? 0;
        if (existing >= 2) continue;
        const errors: string[] = [];
        for (let n = existing; n < 2; n++) {
          const inserted =
            (await this.seedRow(relation, tenant, n, 'owner', errors)) ||
            (await this.seedRow(relation, tenant, n, 'superuser', errors));
          if (!inserted) {
            // Two rows are nicer (an update can move one onto the other); none is a gap in the suite.
            if (pass === 1 && existing === 0) this.seedFailures.push(`${relation.name} in ${tenant.label}: ${errors.join('; ')}`);
            break;
          }
        }
      }
    }
  }

  private async seedRow(
    relation: Relation,
    tenant: WorldTenant,
    n: number,
    as: 'owner' | 'superuser',
    errors: string[],
  ): Promise<boolean> {
    const values = new Map<string, unknown>();
    for (const column of relation.columns) {
      if (column.generated) continue;
      if (column.name === relation.tenantColumn) {
        values.set(column.name, tenant.id);
        continue;
      }
      if (as === 'owner' && !column.canInsert) continue;
      const required = column.notNull && !column.hasDefault;
      if (column.kind === 'text' || required) {
        const value = await this.seedValue(relation, column, tenant, n);
        if (value !== undefined) values.set(column.name, value);
      }
    }
    const names = [...values.keys()];
    const sql = `insert into ${relation.sql} (${names.map(quote).join(', ')}) values (${names
      .map((name, i) => `$${i + 1}::${relation.columns.find((c) => c.name === name)?.type}`)
      .join(', ')})`;
    try {
      if (as === 'superuser') await this.kit.adminQuery(sql, [...values.values()]);
      else {
        const owner = await this.ownerOf(tenant);
        if (!owner) return false;
        const session = await this.actingIn(owner, tenant);
        await this.kit.as(session, (c) => c.query(sql, [...values.values()]));
      }
      return true;
    } catch (error) {
      errors.push(`${as}: ${(error as Error).message}`);
      return false;
    }
  }

  private async seedValue(relation: Relation, column: Column, tenant: WorldTenant, n: number): Promise<unknown> {
    // A column of a composite foreign key to another tenant table takes a row of the same tenant.
    const fk = relation.foreignKeys.find((f) => f.columns.includes(column.name) && f.columns.length > 1);
    if (fk) {
      const refColumn = fk.refColumns[fk.columns.indexOf(column.name)] as string;
      const tenantRef = fk.refColumns[fk.columns.indexOf(relation.tenantColumn ?? '')];
      const [row] = await this.kit.adminQuery<{ v: unknown }>(
        `select ${quote(refColumn)} as v from ${fk.refTable}${tenantRef ? ` where ${quote(tenantRef)} = $1` : ''} limit 1`,
        tenantRef ? [tenant.id] : [],
      );
      if (row) return row.v;
    }
    const text = `${tenant.canary}-${relation.name.split('.').pop()}-${column.name}-${n}`.replaceAll('_', '-');
    switch (column.kind) {
      case 'text':
        return column.name.includes('email') ? `${text}@example.test` : text;
      case 'uuid':
        return randomUUID();
      case 'int':
      case 'numeric':
        return 1 + n;
      case 'bool':
        return false;
      case 'time':
        return new Date().toISOString();
      case 'json':
        return JSON.stringify({ canary: text });
      case 'bytea':
        return `\\x${randomBytes(32).toString('hex')}`;
      case 'enum':
        return column.enumValues[0];
      case 'uuid[]':
        return `{${randomUUID()}}`;
      case 'text[]':
        return `{${text}}`;
      default:
        return undefined;
    }
  }
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Flattens a row into named leaves: top-level columns, and JSON members under column.key. */
function leaves(row: Record<string, unknown>, relation: Relation | undefined): PoolEntry[] {
  const out: PoolEntry[] = [];
  const push = (name: string, value: unknown, declared: Column['kind'] | undefined) => {
    if (value === null || value === undefined) return;
    if (typeof value === 'object') {
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
        push(Array.isArray(value) ? name : `${name}.${key}`, inner, undefined);
      }
      if (declared === 'json') out.push({ name, value: JSON.stringify(value), kind: 'json' });
      return;
    }
    const text = String(value);
    const kind: PoolEntry['kind'] =
      declared === 'uuid' || (!declared && uuidPattern.test(text))
        ? 'uuid'
        : declared === 'int' || declared === 'numeric' || declared === 'bool' || declared === 'time' || declared === 'bytea'
          ? declared
          : typeof value === 'number'
            ? 'numeric'
            : typeof value === 'boolean'
              ? 'bool'
              : 'text';
    out.push({ name, value: text, kind });
  };
  for (const [name, value] of Object.entries(row)) {
    const column = relation?.columns.find((c) => c.name === name);
    push(
      name,
      value,
      column?.kind === 'enum' || column?.kind === 'uuid[]' || column?.kind === 'text[]' ? 'text' : (column?.kind ?? undefined),
    );
  }
  return out;
}

export async function buildWorld(kit: TenancyTestKit, catalog: Catalog, plan: WorldPlan): Promise<World> {
  const builder = new WorldBuilder(kit, catalog);
  for (let i = 0; i < plan.users; i++) await builder.addUser(i);
  for (let t = 0; t < plan.tenants; t++) {
    await builder.createTenant(builder.users[t] as WorldUser, t);
    await builder.seed(builder.tenants[t] as WorldTenant);
  }
  for (const step of plan.steps) await builder.step(step);
  await builder.guarantee();
  for (const tenant of builder.tenants) await builder.seed(tenant);
  await builder.addStaff(builder.tenants[0] as WorldTenant);

  // Only invitations still pending in the database keep a usable token.
  const pending = new Set(
    (
      await kit.adminQuery<{ hash: string }>(
        `select encode(token_hash, 'hex') as hash from public.invitations where accepted_at is null and expires_at > now()`,
      )
    ).map((r) => r.hash),
  );
  builder.invitations.splice(
    0,
    builder.invitations.length,
    ...builder.invitations.filter((i) => pending.has(createHash('sha256').update(i.token).digest('hex'))),
  );

  const tenantIndex = new Map(builder.tenants.map((t) => [t.id, t.index]));
  const userIndex = new Map(builder.users.map((u) => [u.user.id, u.index]));
  const memberships = (
    await kit.adminQuery<{ tenant_id: string; user_id: string; role: string }>(
      'select tenant_id, user_id, role from public.memberships',
    )
  )
    .filter((m) => tenantIndex.has(m.tenant_id) && userIndex.has(m.user_id))
    .map((m) => ({ tenant: tenantIndex.get(m.tenant_id) as number, user: userIndex.get(m.user_id) as number, role: m.role }));

  const rows = new Map<number, Map<string, Record<string, unknown>[]>>(builder.tenants.map((t) => [t.index, new Map()]));
  const pools = new Map<number, PoolEntry[]>(builder.tenants.map((t) => [t.index, []]));
  for (const relation of catalog.relations) {
    if (!relation.tenantColumn) continue;
    const all = await kit.adminQuery<{ tenant: string; row: Record<string, unknown> }>(
      `select ${quote(relation.tenantColumn)}::text as tenant, to_jsonb(t) as row from ${relation.sql} t`,
    );
    for (const { tenant, row } of all) {
      const index = tenantIndex.get(tenant);
      if (index === undefined) continue;
      const perTenant = rows.get(index) as Map<string, Record<string, unknown>[]>;
      perTenant.set(relation.name, [...(perTenant.get(relation.name) ?? []), row]);
      pools.get(index)?.push(...leaves(row, relation));
    }
  }
  // The people of each tenant, past and present, and its invitation tokens.
  for (const user of builder.users) {
    for (const t of user.everIn) {
      const pool = pools.get(t) as PoolEntry[];
      pool.push({ name: 'user_id', value: user.user.id, kind: 'uuid' }, { name: 'email', value: user.user.email, kind: 'text' });
      for (const s of user.sessions) pool.push({ name: 'session_id', value: s.id, kind: 'uuid' });
    }
  }
  for (const invitation of builder.invitations) {
    pools.get(invitation.tenant)?.push({ name: 'token', value: invitation.token, kind: 'text' });
  }
  return {
    plan,
    tenants: builder.tenants,
    users: builder.users,
    tokens: builder.tokens,
    invitations: builder.invitations,
    memberships,
    rows,
    pools,
    history: builder.history,
    seedFailures: builder.seedFailures,
  };
}

/** Who a token is, in the eyes of the oracle: which tenants it may see and change. */
export interface Standing {
  token: Token;
  live: boolean;
  /** Tenants the user belongs to now (empty when the session is dead). */
  memberOf: Set<number>;
  /** Tenants with a pending invitation addressed to the user (it may join them). */
  invitedTo: Set<number>;
  /** The tenant the token claims, if any; the positive controls aim there. */
  home: number | undefined;
  /** Every other tenant: nothing of theirs may be seen or changed. */
  foreign: number[];
}

const standings = new WeakMap<Token, Standing>();

export function standingOf(world: World, token: Token): Standing {
  const known = standings.get(token);
  if (known) return known;
  const standing = computeStanding(world, token);
  standings.set(token, standing);
  return standing;
}

function computeStanding(world: World, token: Token): Standing {
  const live = token.session.status === 'live';
  const memberOf = new Set(live ? world.memberships.filter((m) => m.user === token.user.index).map((m) => m.tenant) : []);
  const invitedTo = new Set(
    live
      ? world.invitations.filter((i) => i.email === token.user.user.email && !memberOf.has(i.tenant)).map((i) => i.tenant)
      : [],
  );
  const claimed = world.tenants.find((t) => t.id === token.claims.app_metadata.tenant_id);
  return {
    token,
    live,
    memberOf,
    invitedTo,
    home: claimed?.index,
    foreign: world.tenants.map((t) => t.index).filter((t) => !memberOf.has(t) && !invitedTo.has(t)),
  };
}

/** The attacker's own values: its tenant's pool plus its identity and the invitations addressed to it. */
export function homePool(world: World, standing: Standing): PoolEntry[] {
  const { user } = standing.token;
  const identity: PoolEntry[] = [
    { name: 'user_id', value: user.user.id, kind: 'uuid' },
    { name: 'email', value: user.user.email, kind: 'text' },
    ...user.sessions.map((s): PoolEntry => ({ name: 'session_id', value: s.id, kind: 'uuid' })),
    ...world.invitations
      .filter((i) => i.email === user.user.email)
      .map((i): PoolEntry => ({ name: 'token', value: i.token, kind: 'text' })),
  ];
  const tenantPool = standing.home === undefined ? [] : (world.pools.get(standing.home) ?? []);
  // Invitation tokens of the home tenant are addressed to others: not the attacker's to use.
  return [...identity, ...tenantPool.filter((e) => e.name !== 'token')];
}

/** Tokens whose history makes them the interesting attackers: stale, dead, spoofed, switched or removed. */
const suspicious = new WeakMap<World, Token[]>();

export function suspiciousTokens(world: World): Token[] {
  const known = suspicious.get(world);
  if (known) return known;
  const tokens = world.tokens.filter((token) => {
    const standing = standingOf(world, token);
    const claimed = token.claims.app_metadata.tenant_id;
    return (
      !standing.live ||
      Object.keys(token.claims.user_metadata ?? {}).length > 0 ||
      (claimed !== undefined && standing.home !== undefined && !standing.memberOf.has(standing.home)) ||
      [...token.user.everIn].some((t) => !standing.memberOf.has(t))
    );
  });
  suspicious.set(world, tokens);
  return tokens;
}

/** Tenants the token has a reason to try: named in its claims, or once its own. */
export function claimedForeign(world: World, standing: Standing): number[] {
  const named = new Set(JSON.stringify(standing.token.claims).match(/[0-9a-f-]{36}/g) ?? []);
  return standing.foreign.filter((t) => named.has((world.tenants[t] as WorldTenant).id) || standing.token.user.everIn.has(t));
}
