import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { runTenantAction, runUserAction } from '../../src/action';
import { accessTokenClaimsSchema, type TenantContext, tenantContextFromClaims } from '../../src/claims';
import { documents } from '../../src/schema';
import { SessionEndedError, TenantAccessLostError, withSession, withTenant } from '../../src/with-tenant';
import { addMember, createTenant, deleteSession, TenancyTestKit, type TestSession } from '../helpers';

/**
 * withTenant()/withSession() and the action wrapper on the real app_server login: the one path
 * application code has to tenant data.
 */
const cluster = inject('cluster');
let kit: TenancyTestKit;
let acme: { id: string; owner: TestSession };
let globex: { id: string; owner: TestSession };

const contextOf = (session: TestSession): TenantContext => tenantContextFromClaims(accessTokenClaimsSchema.parse(session.claims));
const titles = async (session: TestSession) =>
  withTenant(
    contextOf(session),
    async (db) => (await db.select({ title: documents.title }).from(documents)).map((r) => r.title).sort(),
    {
      pool: kit.appServer,
    },
  );

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  acme = await createTenant(kit, 'Acme');
  globex = await createTenant(kit, 'Globex');
  await kit.rpc(acme.owner, `insert into public.documents (title) values ('acme plan')`);
  await kit.rpc(globex.owner, `insert into public.documents (title) values ('globex plan')`);
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

describe('withTenant', () => {
  it('gives each tenant its own rows only, even without a WHERE clause', async () => {
    expect(await titles(acme.owner)).toEqual(['acme plan']);
    expect(await titles(globex.owner)).toEqual(['globex plan']);
  });

  it('leaves nothing behind on the pooled connection', async () => {
    await titles(acme.owner);
    const client = await kit.appServer.connect();
    try {
      const { rows } = await client.query(
        `select current_user as who, coalesce(current_setting('request.jwt.claims', true), '') as claims`,
      );
      expect(rows[0]).toEqual({ who: 'app_server', claims: '' });
      // Without the wrapper, app_server has no privileges at all: a loud error, not rows.
      await expect(client.query('select * from public.documents')).rejects.toMatchObject({ code: '42501' });
    } finally {
      client.release();
    }
  });

  it('rolls back everything when the handler throws', async () => {
    const failing = withTenant(
      contextOf(acme.owner),
      async (db) => {
        await db.execute(sql`insert into public.documents (tenant_id, title) values (${acme.id}, 'half-done')`);
        throw new Error('handler failed');
      },
      { pool: kit.appServer },
    );
    await expect(failing).rejects.toThrow('handler failed');
    expect(await titles(acme.owner)).toEqual(['acme plan']);
    // Positive control: the same insert without the throw is kept.
    await withTenant(
      contextOf(acme.owner),
      (db) => db.execute(sql`insert into public.documents (tenant_id, title) values (${acme.id}, 'kept')`),
      { pool: kit.appServer },
    );
    expect(await titles(acme.owner)).toEqual(['acme plan', 'kept']);
  });

  it('refuses a removed member and a revoked session on the next request', async () => {
    const member = await addMember(kit, acme.owner, 'member');
    expect(await titles(member)).toContain('acme plan');
    await kit.rpc(acme.owner, 'select public.remove_member($1)', [member.user.id]);
    await expect(titles(member)).rejects.toBeInstanceOf(TenantAccessLostError);

    const other = await addMember(kit, acme.owner, 'viewer');
    expect(await titles(other)).toContain('acme plan');
    await deleteSession(kit.admin, other.sessionId);
    await expect(titles(other)).rejects.toBeInstanceOf(TenantAccessLostError);
  });
});

describe('withSession', () => {
  it("runs the user's own flows without a tenant, until the session ends", async () => {
    const user = await kit.signIn(await kit.createUser());
    const claims = accessTokenClaimsSchema.parse(user.claims);
    const mine = await withSession(claims, async (db) => (await db.select().from(documents)).length, { pool: kit.appServer });
    expect(mine).toBe(0);
    await deleteSession(kit.admin, user.sessionId);
    await expect(withSession(claims, async () => 1, { pool: kit.appServer })).rejects.toBeInstanceOf(SessionEndedError);
  });
});

describe('runTenantAction', () => {
  const rename = {
    permission: 'documents.create' as const,
    input: z.object({ title: z.string().trim().min(1, 'Give it a title.') }),
    run: async ({
      db,
      input,
      context,
    }: {
      db: Parameters<Parameters<typeof withTenant>[1]>[0];
      input: { title: string };
      context: TenantContext;
    }) => {
      const { rows } = await db.execute<{ id: string }>(
        sql`insert into public.documents (tenant_id, title) values (${context.tenantId}, ${input.title}) returning id`,
      );
      return rows[0]?.id;
    },
  };

  it('validates input, checks the role the database has now, and runs the handler', async () => {
    const member = await addMember(kit, acme.owner, 'member');
    const ok = await runTenantAction(rename, async () => contextOf(member), { title: 'by member' }, { pool: kit.appServer });
    expect(ok).toMatchObject({ ok: true });

    const invalid = await runTenantAction(rename, async () => contextOf(member), { title: '  ' }, { pool: kit.appServer });
    expect(invalid).toMatchObject({ ok: false, code: 'invalid_input', fieldErrors: { title: ['Give it a title.'] } });

    // Demoted to viewer: the token still says member, the database says viewer, and wins.
    await kit.rpc(acme.owner, 'select public.change_member_role($1, $2)', [member.user.id, 'viewer']);
    const denied = await runTenantAction(
      rename,
      async () => contextOf(member),
      { title: 'after demotion' },
      { pool: kit.appServer },
    );
    expect(denied).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await titles(acme.owner)).not.toContain('after demotion');
  });

  it('decides the permission on the role the database has now, before the handler runs', async () => {
    const admin = await addMember(kit, acme.owner, 'admin');
    let ran = 0;
    const invite = { permission: 'members.invite' as const, input: z.object({}), run: async () => ++ran };
    // Positive control: an admin may invite.
    expect(await runTenantAction(invite, async () => contextOf(admin), {}, { pool: kit.appServer })).toMatchObject({ ok: true });
    // Demoted to member: the token still says admin; the wrapper refuses without running the handler.
    await kit.rpc(acme.owner, 'select public.change_member_role($1, $2)', [admin.user.id, 'member']);
    expect(await runTenantAction(invite, async () => contextOf(admin), {}, { pool: kit.appServer })).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    expect(ran).toBe(1);
  });

  it('maps a removed member to access_lost and a signed-out user to unauthenticated', async () => {
    const member = await addMember(kit, acme.owner, 'member');
    await kit.rpc(acme.owner, 'select public.remove_member($1)', [member.user.id]);
    expect(await runTenantAction(rename, async () => contextOf(member), { title: 'x' }, { pool: kit.appServer })).toMatchObject({
      ok: false,
      code: 'access_lost',
    });
    const user = await kit.signIn(await kit.createUser());
    await deleteSession(kit.admin, user.sessionId);
    const flow = { input: z.object({}), run: async () => null };
    expect(
      await runUserAction(flow, async () => accessTokenClaimsSchema.parse(user.claims), {}, { pool: kit.appServer }),
    ).toMatchObject({ ok: false, code: 'unauthenticated' });
  });

  it("shows a kit function's own message, and hides raw constraint details", async () => {
    const user = await kit.signIn(await kit.createUser());
    const claims = accessTokenClaimsSchema.parse(user.claims);
    const createTenant = {
      input: z.object({ slug: z.string() }),
      run: async ({ db, input }: { db: Parameters<Parameters<typeof withSession>[1]>[0]; input: { slug: string } }) => {
        await db.execute(sql`select public.create_tenant('Dup', ${input.slug})`);
        return null;
      },
    };
    const slug = `dup-${Date.now().toString(36)}`;
    expect(await runUserAction(createTenant, async () => claims, { slug }, { pool: kit.appServer })).toMatchObject({ ok: true });
    const again = await runUserAction(createTenant, async () => claims, { slug }, { pool: kit.appServer });
    expect(again).toMatchObject({ ok: false, code: 'conflict' });
    expect(again.ok ? '' : again.error).toContain(slug);
  });
});
