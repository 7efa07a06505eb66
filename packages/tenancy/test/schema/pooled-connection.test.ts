import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attempt, createTenant, INSUFFICIENT_PRIVILEGE, inRequest, TenancyTestKit, type TestSession } from '../helpers';

/**
 * A pooler in transaction mode (Supavisor, PgBouncer) hands the same server connection to request
 * after request. Tenant context is only ever set transaction-locally (`set local role`,
 * `set_config(..., true)`), so it must be gone when the transaction ends: committed, rolled back,
 * or failed. These tests interleave two tenants on ONE app_server connection.
 */

const cluster = inject('cluster');
let kit: TenancyTestKit;
let connection: pg.Client;
let a: { id: string; owner: TestSession };
let b: { id: string; owner: TestSession };

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  a = await createTenant(kit, 'Pool A');
  b = await createTenant(kit, 'Pool B');
  await kit.rpc(a.owner, `insert into public.documents (title) values ('a1'), ('a2')`);
  await kit.rpc(b.owner, `insert into public.documents (title) values ('b1')`);
  connection = new pg.Client({ connectionString: kit.db.loginUrl('app_server') });
  await connection.connect();
}, 120_000);

afterAll(async () => {
  await connection?.end();
  await kit?.close();
});

async function tenantsSeen(session: TestSession, options: { fail?: boolean } = {}) {
  return inRequest(connection, session.claims, async (c) => {
    const { rows } = await c.query<{ tenant_id: string }>('select tenant_id from public.documents');
    if (options.fail) await c.query('select 1 / 0');
    return [...new Set(rows.map((r) => r.tenant_id))].sort();
  });
}

/** What the bare connection looks like between requests. */
async function between() {
  const { rows } = await connection.query<{ user: string; claims: string | null }>(
    `select current_user as user, current_setting('request.jwt.claims', true) as claims`,
  );
  const read = await connection.query('begin').then(async () => {
    const outcome = await attempt(connection, 'select tenant_id from public.documents');
    await connection.query('rollback');
    return outcome;
  });
  return { user: rows[0]?.user, claims: rows[0]?.claims || null, read: read.ok ? 'rows' : read.code };
}

describe('one pooled connection, two tenants', () => {
  it('interleaves A, B, A, B: each request sees only its tenant, and nothing stays in between', async () => {
    const pid = async () => (await connection.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    const backend = await pid();
    for (const [session, expected] of [
      [a.owner, [a.id]],
      [b.owner, [b.id]],
      [a.owner, [a.id]],
      [b.owner, [b.id]],
    ] as const) {
      expect(await tenantsSeen(session)).toEqual(expected);
      expect(await between()).toEqual({ user: 'app_server', claims: null, read: INSUFFICIENT_PRIVILEGE });
    }
    expect(await pid()).toBe(backend);
  });

  it('a failed request leaves nothing behind either', async () => {
    await expect(tenantsSeen(a.owner, { fail: true })).rejects.toThrow(/division by zero/);
    expect(await between()).toEqual({ user: 'app_server', claims: null, read: INSUFFICIENT_PRIVILEGE });
    expect(await tenantsSeen(b.owner)).toEqual([b.id]);
  });

  it('a request with the role but no claims sees nothing (not the previous request’s tenant)', async () => {
    expect(await tenantsSeen(a.owner)).toEqual([a.id]);
    const rows = await inRequest(connection, null, async (c) => (await c.query('select 1 from public.documents')).rowCount);
    expect(rows).toBe(0);
  });

  it('holds for any interleaving (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('A', 'B', 'none'), { minLength: 1, maxLength: 12 }), async (sequence) => {
        for (const step of sequence) {
          if (step === 'none') {
            expect(await between()).toEqual({ user: 'app_server', claims: null, read: INSUFFICIENT_PRIVILEGE });
          } else {
            const tenant = step === 'A' ? a : b;
            expect(await tenantsSeen(tenant.owner)).toEqual([tenant.id]);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('the detector works: a session-level set_config WOULD leak into the next transaction', async () => {
    // Why the wrapper must use set_config(..., true): with false the claims outlive the transaction.
    await connection.query('begin');
    await connection.query(`select set_config('request.jwt.claims', $1, false)`, [JSON.stringify(a.owner.claims)]);
    await connection.query('commit');
    const leaked = await between();
    expect(leaked.claims).not.toBeNull();
    await connection.query(`reset "request.jwt.claims"`);
    expect(await between()).toMatchObject({ claims: null });
  });
});
