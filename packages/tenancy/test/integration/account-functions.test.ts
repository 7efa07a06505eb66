import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addMember, createTenant, TenancyTestKit, type TestSession } from '../helpers';

/**
 * The postgres-owned functions behind the members page and the sessions page bypass RLS (they
 * read auth tables), so their own filters are the whole protection. Each denial sits beside the
 * same call succeeding for the rightful caller.
 */
const cluster = inject('cluster');
let kit: TenancyTestKit;
let acme: { id: string; owner: TestSession };
let globex: { id: string; owner: TestSession };

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  acme = await createTenant(kit, 'Acme');
  globex = await createTenant(kit, 'Globex');
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

const members = (session: TestSession) =>
  kit.as(
    session,
    async (c) => (await c.query<{ email: string; role: string }>('select email, role from public.tenant_members()')).rows,
  );
const sessions = (session: TestSession) =>
  kit.as(
    session,
    async (c) => (await c.query<{ id: string; is_current: boolean }>('select id, is_current from public.my_sessions()')).rows,
  );
const endSession = (session: TestSession, id: string) =>
  kit.as(
    session,
    async (c) => (await c.query<{ ended: boolean }>('select public.end_my_session($1) as ended', [id])).rows[0]?.ended,
  );

describe('public.tenant_members()', () => {
  it("lists the current tenant's members with e-mail, and nothing of another tenant", async () => {
    const member = await addMember(kit, acme.owner, 'member');
    const acmeView = await members(member);
    expect(acmeView.map((m) => m.email).sort()).toEqual([acme.owner.user.email, member.user.email].sort());
    expect(acmeView.find((m) => m.email === member.user.email)?.role).toBe('member');

    const globexView = await members(globex.owner);
    expect(globexView.map((m) => m.email)).toEqual([globex.owner.user.email]);
  });

  it('returns nothing to a removed member holding a still-valid token', async () => {
    const member = await addMember(kit, acme.owner, 'viewer');
    expect((await members(member)).length).toBeGreaterThan(1);
    await kit.rpc(acme.owner, 'select public.remove_member($1)', [member.user.id]);
    expect(await members(member)).toEqual([]);
  });
});

describe('public.my_sessions() and public.end_my_session()', () => {
  it("list and end only the caller's own sessions", async () => {
    const laptop = await kit.signIn(acme.owner.user);
    const phone = await kit.signIn(acme.owner.user);
    const mine = await sessions(laptop);
    expect(mine.map((s) => s.id)).toEqual(expect.arrayContaining([laptop.sessionId, phone.sessionId, acme.owner.sessionId]));
    expect(mine.filter((s) => s.is_current).map((s) => s.id)).toEqual([laptop.sessionId]);
    expect((await sessions(globex.owner)).map((s) => s.id)).not.toContain(laptop.sessionId);

    // Someone else's session cannot be ended; the rightful owner can end it.
    expect(await endSession(globex.owner, phone.sessionId)).toBe(false);
    expect((await sessions(laptop)).map((s) => s.id)).toContain(phone.sessionId);
    expect(await endSession(laptop, phone.sessionId)).toBe(true);
    expect((await sessions(laptop)).map((s) => s.id)).not.toContain(phone.sessionId);

    // The ended session's token is dead on its next query.
    expect(await sessions(phone)).toEqual([]);
    expect(await endSession(phone, laptop.sessionId)).toBe(false);
  });
});
