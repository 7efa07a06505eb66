import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTenant, TenancyTestKit, type TestSession } from '../helpers';

/**
 * RLS that scales: on 100,000 documents across 1,000 tenants, one tenant's document list is an
 * index scan on an index leading with tenant_id, and the tenant helper runs once per statement (an
 * InitPlan whose value feeds the index condition), not once per row.
 */

interface PlanNode {
  'Node Type': string;
  'Parent Relationship'?: string;
  'Subplan Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Filter?: string;
  'Actual Loops'?: number;
  'Actual Rows'?: number;
  Output?: string[];
  Plans?: PlanNode[];
}

const TENANTS = 1_000;
const DOCUMENTS_PER_TENANT = 100;
const documentList = 'select id, title, updated_at from public.documents order by updated_at desc limit 20';

const cluster = inject('cluster');
let kit: TenancyTestKit;
let mine: { id: string; owner: TestSession };
let tenantIndexes: Set<string>;

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

async function explain(sql: string): Promise<PlanNode> {
  return kit.as(
    mine.owner,
    async (c) => {
      const { rows } = await c.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`explain (analyze, verbose, format json) ${sql}`);
      const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
      if (!plan) throw new Error('no plan');
      return plan;
    },
    { rollback: true },
  );
}

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  mine = await createTenant(kit, 'Plan');
  await kit.admin.query(
    `insert into public.tenants (name, slug) select 'Tenant ' || g, 'plan-tenant-' || g from generate_series(1, $1::int - 1) g`,
    [TENANTS],
  );
  await kit.admin.query(
    `insert into public.documents (tenant_id, title, body, author_id, created_at, updated_at)
     select t.id, 'Document ' || g, 'body', $2::uuid, now() - make_interval(mins => g), now() - make_interval(mins => g)
       from public.tenants t cross join generate_series(1, $1::int) g`,
    [DOCUMENTS_PER_TENANT, mine.owner.user.id],
  );
  await kit.admin.query('analyze public.tenants, public.memberships, public.documents');
  const { rows } = await kit.admin.query<{ name: string }>(
    `select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid
       join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indrelid = 'public.documents'::regclass and a.attname = 'tenant_id'`,
  );
  tenantIndexes = new Set(rows.map((r) => r.name));
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

describe('one tenant’s document list on 100,000 rows', () => {
  it('has the data it claims to have', async () => {
    const [row] = await kit.adminQuery<{ tenants: number; documents: number }>(
      `select (select count(distinct tenant_id)::int from public.documents) as tenants, (select count(*)::int from public.documents) as documents`,
    );
    expect(row).toEqual({ tenants: TENANTS, documents: TENANTS * DOCUMENTS_PER_TENANT });
    expect(tenantIndexes.size).toBeGreaterThan(0);
  });

  it('is an index scan on an index leading with tenant_id, fed by the helper’s InitPlan', async () => {
    const plan = await explain(documentList);
    const all = nodes(plan);
    const scans = all.filter((n) => n['Index Name'] !== undefined);
    expect(scans.map((n) => n['Index Name'])).toEqual(expect.arrayContaining([expect.any(String)]));
    for (const scan of scans) {
      expect(tenantIndexes.has(scan['Index Name'] ?? ''), `${scan['Index Name']} leads with tenant_id`).toBe(true);
      expect(scan['Index Cond']).toMatch(/tenant_id = /);
    }
    expect(all.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false);

    const initPlans = all.filter((n) => n['Parent Relationship'] === 'InitPlan');
    // documents_select reads through readable_tenant_id() (the current tenant, or a break-glass
    // tenant during an audited staff read), which calls current_tenant_id() itself.
    const helper = initPlans.find((n) =>
      (n.Output ?? []).some((o) => o.includes('current_tenant_id()') || o.includes('readable_tenant_id()')),
    );
    expect(helper, JSON.stringify(initPlans)).toBeDefined();
    expect(helper?.['Actual Loops']).toBe(1);
    // Nowhere is the helper a per-row filter.
    for (const node of all) expect(node.Filter ?? '').not.toMatch(/current_tenant_id|readable_tenant_id/);

    const rows = all.find((n) => n['Node Type'] === 'Limit')?.['Actual Rows'];
    expect(rows).toBe(20);
  });

  it('calls the tenant helper once for a statement that returns 100 rows', async () => {
    await kit.admin.query('begin');
    try {
      await kit.admin.query(`set local track_functions = 'all'`);
      await kit.admin.query('set local role authenticated');
      await kit.admin.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(mine.owner.claims)]);
      const { rowCount } = await kit.admin.query('select id, title from public.documents');
      // documents_select calls readable_tenant_id(), which asks verified_request() (20260107000200).
      const { rows } = await kit.admin.query<{ policy: string; verified: string }>(
        `select pg_stat_get_xact_function_calls('private.readable_tenant_id()'::regprocedure) as policy,
                pg_stat_get_xact_function_calls('private.verified_request()'::regprocedure) as verified`,
      );
      expect(rowCount).toBe(DOCUMENTS_PER_TENANT);
      expect(Number(rows[0]?.policy)).toBe(1);
      expect(Number(rows[0]?.verified)).toBe(1);
    } finally {
      await kit.admin.query('rollback');
    }
  });
});
