import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { accessTokenClaimsSchema, type TenantContext, tenantContextFromClaims } from '../../src/claims';
import { withTenant } from '../../src/with-tenant';
import { addMember, createTenant, TenancyTestKit, type TenantRole } from '../helpers';
import { attackEnv } from './env';

/**
 * Load and leak (issue 7): many simulated users of many tenants hammer a small app_server pool
 * through withTenant(), the wrapper the apps use, with reads, writes, writes that are rolled back
 * by an exception, and statements that fail mid-transaction. Every row of every tenant carries
 * that tenant's canary, so a foreign canary in any response is a leak, whatever the query. And
 * between transactions, a pooled connection must be bare app_server again: no role, no claims.
 */

const TENANTS = 8;
const USERS_PER_TENANT = 5;
const TRANSACTIONS = 2000;
const POOL_SIZE = 4;
const memberRoles: TenantRole[] = ['admin', 'member', 'member', 'viewer'];

const cluster = inject('cluster');
let kit: TenancyTestKit;
let pool: pg.Pool;

interface SimUser {
  tenant: number;
  role: TenantRole;
  context: TenantContext;
}
let canaries: string[];
let tenantIds: string[];
let users: SimUser[];

beforeAll(async () => {
  console.log(`[load-and-leak] seed ${attackEnv.seed} — replay: pnpm test:attack --seed ${attackEnv.seed}`);
  kit = await TenancyTestKit.open(cluster);
  // A few thousand writes across a handful of tenants outgrow the free tier's document limit;
  // this test is about isolation under load, not plan limits, so documents are unlimited here.
  await kit.adminQuery(`update private.billing_free_features set limit_value = null where feature = 'documents'`);
  canaries = Array.from({ length: TENANTS }, (_, i) => `ldcnry${i}${randomBytes(4).toString('hex')}`);
  tenantIds = [];
  users = [];
  for (let t = 0; t < TENANTS; t++) {
    const canary = canaries[t] as string;
    const tenant = await createTenant(kit, `Load ${canary}`);
    tenantIds.push(tenant.id);
    await kit.rpc(tenant.owner, 'insert into public.documents (title, body) select $1 || n, $1 from generate_series(1, 5) n', [
      `${canary} doc `,
    ]);
    const sessions = [{ role: 'owner' as TenantRole, session: tenant.owner }];
    for (const role of memberRoles.slice(0, USERS_PER_TENANT - 1))
      sessions.push({ role, session: await addMember(kit, tenant.owner, role) });
    for (const { role, session } of sessions) {
      users.push({ tenant: t, role, context: tenantContextFromClaims(accessTokenClaimsSchema.parse(session.claims)) });
    }
  }
  // No idle timeout: the same few backends serve the whole run, as in a busy app.
  pool = new pg.Pool({ connectionString: kit.db.loginUrl('app_server'), max: POOL_SIZE, idleTimeoutMillis: 0 });
}, 300_000);

afterAll(async () => {
  await pool?.end();
  await kit?.close();
});

type Kind = 'read' | 'write' | 'rolled-back write' | 'failing statement' | 'bare connection';

/** A foreign canary anywhere in a response, or a row of another tenant. */
function foreign(user: SimUser, response: unknown): string[] {
  const text = JSON.stringify(response);
  const found = canaries.filter((c, t) => t !== user.tenant && text.includes(c));
  const ids = tenantIds.filter((id, t) => t !== user.tenant && text.includes(id));
  return [...found.map((c) => `canary ${c}`), ...ids.map((id) => `tenant id ${id}`)];
}

describe('load and leak', () => {
  it(`${TRANSACTIONS} concurrent transactions of ${TENANTS * USERS_PER_TENANT} users on a pool of ${POOL_SIZE}: no foreign canary, no surviving context`, async () => {
    // The mix and who does what derive from the logged seed.
    const plan = fc.sample(
      fc.record({
        user: fc.nat({ max: users.length - 1 }),
        kind: fc.constantFrom<Kind>(
          'read',
          'read',
          'read',
          'read',
          'write',
          'write',
          'rolled-back write',
          'failing statement',
          'bare connection',
        ),
      }),
      { seed: attackEnv.seed, numRuns: TRANSACTIONS },
    );
    const counts: Record<string, number> = {};
    const leaks: string[] = [];
    const dirty: string[] = [];
    const backends = new Set<number>();
    const rolledBack: string[] = [];
    let responses = 0;
    const started = Date.now();

    const run = async (step: { user: number; kind: Kind }, n: number) => {
      const user = users[step.user] as SimUser;
      const tag = `${canaries[user.tenant]} load ${n}`;
      counts[step.kind] = (counts[step.kind] ?? 0) + 1;
      switch (step.kind) {
        case 'read': {
          const response = await withTenant(
            user.context,
            async (db) => {
              const docs = await db.execute(sql`select * from public.documents order by updated_at desc limit 50`);
              const tenants = await db.execute(sql`select * from public.tenants`);
              const members = await db.execute(sql`select * from public.memberships`);
              const pid = await db.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
              backends.add(pid.rows[0]?.pid as number);
              return { docs: docs.rows, tenants: tenants.rows, members: members.rows };
            },
            { pool },
          );
          responses += 1;
          const found = foreign(user, response);
          if (found.length > 0) leaks.push(`read by a ${user.role} of tenant ${user.tenant}: ${found.join(', ')}`);
          if (response.docs.length === 0)
            leaks.push(`read by a ${user.role} of tenant ${user.tenant} saw no documents (positive control)`);
          return;
        }
        case 'write': {
          if (user.role === 'viewer') return run({ ...step, kind: 'read' }, n);
          const response = await withTenant(
            user.context,
            async (db) =>
              (
                await db.execute(
                  sql`insert into public.documents (tenant_id, title, body) values (${user.context.tenantId}, ${tag}, ${tag}) returning *`,
                )
              ).rows,
            { pool },
          );
          responses += 1;
          const found = foreign(user, response);
          if (found.length > 0) leaks.push(`write by tenant ${user.tenant}: ${found.join(', ')}`);
          return;
        }
        case 'rolled-back write': {
          if (user.role === 'viewer') return run({ ...step, kind: 'failing statement' }, n);
          const marker = `${tag} rolled back`;
          rolledBack.push(marker);
          await expect(
            withTenant(
              user.context,
              async (db) => {
                await db.execute(
                  sql`insert into public.documents (tenant_id, title) values (${user.context.tenantId}, ${marker})`,
                );
                throw new Error('handler failed after writing');
              },
              { pool },
            ),
          ).rejects.toThrow('handler failed after writing');
          return;
        }
        case 'failing statement': {
          const error = await withTenant(
            user.context,
            async (db) => {
              await db.execute(sql`select * from public.documents`);
              await db.execute(sql`select 1 / 0`);
            },
            { pool },
          ).then(
            () => undefined,
            (e: unknown) => e as Error & { cause?: { message?: string } },
          );
          const message = `${error?.message ?? ''} ${error?.cause?.message ?? ''}`;
          if (!/division by zero/.test(message)) leaks.push(`failing statement did not fail as expected: ${message}`);
          const found = foreign(user, message);
          if (found.length > 0) leaks.push(`error of tenant ${user.tenant}: ${found.join(', ')}`);
          return;
        }
        case 'bare connection': {
          // A connection as the next request gets it: must be app_server with no claims, and useless without the wrapper.
          const client = await pool.connect();
          try {
            const { rows } = await client.query<{ who: string; claims: string | null; role: string; pid: number }>(
              `select current_user as who, current_setting('request.jwt.claims', true) as claims,
                      current_setting('role') as role, pg_backend_pid() as pid`,
            );
            const row = rows[0];
            backends.add(row?.pid as number);
            if (row?.who !== 'app_server' || (row.claims ?? '') !== '' || row.role !== 'none') dirty.push(JSON.stringify(row));
            const read = await client.query('select count(*) from public.documents').then(
              () => 'rows',
              (e: { code?: string }) => e.code,
            );
            if (read !== '42501') dirty.push(`bare app_server read documents: ${read}`);
          } finally {
            client.release();
          }
          return;
        }
      }
    };

    // Every simulated user is its own client issuing its share of the plan; all of them at once.
    const queues = users.map((_, u) => plan.map((step, n) => ({ step, n })).filter(({ step }) => step.user === u));
    await Promise.all(
      queues.map(async (queue) => {
        for (const { step, n } of queue) await run(step, n);
      }),
    );
    const ms = Date.now() - started;

    // Afterwards: hold every pooled connection at once and look at each.
    const clients = await Promise.all(Array.from({ length: POOL_SIZE }, () => pool.connect()));
    const after: { who: string; claims: string | null; role: string; pid: number }[] = [];
    try {
      for (const client of clients) {
        const { rows } = await client.query(
          `select current_user as who, current_setting('request.jwt.claims', true) as claims, current_setting('role') as role, pg_backend_pid() as pid`,
        );
        after.push(rows[0]);
      }
    } finally {
      for (const client of clients) client.release();
    }
    const survivors = await kit.adminQuery<{ title: string }>('select title from public.documents where title = any($1)', [
      rolledBack,
    ]);

    console.log(
      `[load-and-leak] seed ${attackEnv.seed}: ${TRANSACTIONS} transactions (${JSON.stringify(counts)}) by ${users.length} users of ${TENANTS} tenants ` +
        `on ${POOL_SIZE} app_server connections (${backends.size} backends seen) in ${ms} ms; ${responses} responses checked, ` +
        `${leaks.length} foreign canaries, ${dirty.length} dirty connections, ${survivors.length} rolled-back writes surviving`,
    );
    expect(leaks).toEqual([]);
    expect(dirty).toEqual([]);
    expect(survivors).toEqual([]);
    expect(after).toHaveLength(POOL_SIZE);
    for (const row of after)
      expect({ ...row, pid: 0, claims: row.claims ?? '' }).toEqual({ who: 'app_server', claims: '', role: 'none', pid: 0 });
    expect(new Set(after.map((r) => r.pid)).size).toBe(POOL_SIZE);
    // The pool really was shared: a handful of backends served every user of every tenant.
    expect(backends.size).toBeLessThanOrEqual(POOL_SIZE);
    expect(responses).toBeGreaterThan(TRANSACTIONS / 2);
  }, 300_000);
});
