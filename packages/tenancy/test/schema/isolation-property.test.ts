import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attempt, createTwoTenants, INSUFFICIENT_PRIVILEGE, TenancyTestKit, type TestSession, type TwoTenants } from '../helpers';

/**
 * The matrix tries fixed statements; this property tries the shapes real code writes: joins
 * between tenant tables, subqueries, unions, CTEs, aggregates, filters naming the other tenant,
 * no filter at all. Whatever the query, every tenant id it returns belongs to a tenant the caller
 * may read, and a count of the other tenant's rows is zero.
 */

type Table = 'tenants' | 'memberships' | 'invitations' | 'documents' | 'audit_log';

const tenantColumn: Record<Table, string> = {
  tenants: 'id',
  memberships: 'tenant_id',
  invitations: 'tenant_id',
  documents: 'tenant_id',
  audit_log: 'tenant_id',
};
const tables = Object.keys(tenantColumn) as Table[];

type Filter = { kind: 'none' } | { kind: 'tenant'; which: 'A' | 'B' } | { kind: 'not-null' } | { kind: 'any-of-both' };
type Shape =
  | { kind: 'plain'; table: Table; filter: Filter }
  | { kind: 'join'; left: Table; right: Table; filter: Filter }
  | { kind: 'in-subquery'; outer: Table; inner: Table; filter: Filter }
  | { kind: 'union'; left: Table; right: Table; filter: Filter }
  | { kind: 'cte'; table: Table; filter: Filter }
  | { kind: 'grouped'; table: Table; filter: Filter }
  | { kind: 'count-of-tenant'; table: Table; which: 'A' | 'B' };

const filterArb: fc.Arbitrary<Filter> = fc.oneof(
  fc.constant<Filter>({ kind: 'none' }),
  fc.constantFrom<'A' | 'B'>('A', 'B').map((which): Filter => ({ kind: 'tenant', which })),
  fc.constant<Filter>({ kind: 'not-null' }),
  fc.constant<Filter>({ kind: 'any-of-both' }),
);
const tableArb = fc.constantFrom(...tables);
const shapeArb: fc.Arbitrary<Shape> = fc.oneof(
  fc.record({ kind: fc.constant('plain' as const), table: tableArb, filter: filterArb }),
  fc.record({ kind: fc.constant('join' as const), left: tableArb, right: tableArb, filter: filterArb }),
  fc.record({ kind: fc.constant('in-subquery' as const), outer: tableArb, inner: tableArb, filter: filterArb }),
  fc.record({ kind: fc.constant('union' as const), left: tableArb, right: tableArb, filter: filterArb }),
  fc.record({ kind: fc.constant('cte' as const), table: tableArb, filter: filterArb }),
  fc.record({ kind: fc.constant('grouped' as const), table: tableArb, filter: filterArb }),
  fc.record({ kind: fc.constant('count-of-tenant' as const), table: tableArb, which: fc.constantFrom<'A' | 'B'>('A', 'B') }),
);

const cluster = inject('cluster');
let kit: TenancyTestKit;
let world: TwoTenants;

interface Caller {
  name: string;
  session: TestSession | TestSession['claims'];
  /** Tenants whose rows it may see at all. */
  readable: ('A' | 'B')[];
}
let callers: Caller[];

function tenantId(which: 'A' | 'B'): string {
  return which === 'A' ? world.a.id : world.b.id;
}

function where(column: string, filter: Filter): string {
  switch (filter.kind) {
    case 'none':
      return '';
    case 'tenant':
      return ` where ${column} = '${tenantId(filter.which)}'`;
    case 'not-null':
      return ` where ${column} is not null`;
    case 'any-of-both':
      return ` where ${column} in ('${world.a.id}', '${world.b.id}')`;
  }
}

/** SQL returning a `tenant_id` column (or, for count-of-tenant, a single `n`). */
function toSql(shape: Shape): string {
  switch (shape.kind) {
    case 'plain':
      return `select ${tenantColumn[shape.table]} as tenant_id from public.${shape.table}${where(tenantColumn[shape.table], shape.filter)}`;
    case 'join':
      return `select l.${tenantColumn[shape.left]} as tenant_id from public.${shape.left} l
              join public.${shape.right} r on r.${tenantColumn[shape.right]} = l.${tenantColumn[shape.left]}
              ${where(`l.${tenantColumn[shape.left]}`, shape.filter)}`;
    case 'in-subquery':
      return `select ${tenantColumn[shape.outer]} as tenant_id from public.${shape.outer}
              where ${tenantColumn[shape.outer]} in (select ${tenantColumn[shape.inner]} from public.${shape.inner}${where(tenantColumn[shape.inner], shape.filter)})`;
    case 'union':
      return `select ${tenantColumn[shape.left]} as tenant_id from public.${shape.left}${where(tenantColumn[shape.left], shape.filter)}
              union all
              select ${tenantColumn[shape.right]} from public.${shape.right}${where(tenantColumn[shape.right], shape.filter)}`;
    case 'cte':
      return `with rows as (select * from public.${shape.table}) select ${tenantColumn[shape.table]} as tenant_id from rows${where(tenantColumn[shape.table], shape.filter)}`;
    case 'grouped':
      return `select ${tenantColumn[shape.table]} as tenant_id, count(*) from public.${shape.table}${where(tenantColumn[shape.table], shape.filter)} group by 1`;
    case 'count-of-tenant':
      return `select count(*)::int as n from public.${shape.table} where ${tenantColumn[shape.table]} = '${tenantId(shape.which)}'`;
  }
}

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  world = await createTwoTenants(kit);
  callers = [
    { name: 'owner of A', session: world.a.owner, readable: ['A'] },
    { name: 'admin of A', session: world.a.admin, readable: ['A'] },
    { name: 'viewer of A', session: world.a.viewer, readable: ['A'] },
    { name: 'member of B', session: world.b.member, readable: ['B'] },
    { name: 'removed member of A', session: world.a.removed, readable: [] },
    { name: 'revoked session of A', session: world.a.revoked, readable: [] },
    { name: 'user_metadata spoofer in A', session: world.a.spoofer, readable: ['A'] },
  ];
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

describe('isolation, for any query shape (property)', () => {
  it('returns only rows of tenants the caller may read', async () => {
    const seen = { rows: 0, ownRows: 0 };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...callers.keys()), shapeArb, async (index, shape) => {
        const caller = callers[index];
        if (!caller) throw new Error('no caller');
        const sql = toSql(shape);
        const outcome = await kit.as(caller.session, (c) => attempt(c, sql), { rollback: true });
        if (!outcome.ok) throw new Error(`${caller.name}: ${sql}\n→ ${outcome.code} ${outcome.message}`);
        const allowed = new Set(caller.readable.map(tenantId));
        if (shape.kind === 'count-of-tenant') {
          if (!allowed.has(tenantId(shape.which))) expect(outcome.rows[0]?.n, `${caller.name}: ${sql}`).toBe(0);
          return;
        }
        for (const row of outcome.rows) {
          expect(allowed.has(row.tenant_id), `${caller.name}: ${sql}\n→ returned ${row.tenant_id}`).toBe(true);
        }
        seen.rows += outcome.rows.length;
        if (caller.readable.length > 0) seen.ownRows += outcome.rows.length;
      }),
      { numRuns: 300 },
    );
    // Positive control: the property saw real rows, not only empty results.
    expect(seen.ownRows).toBeGreaterThan(100);
  });

  it('gives anon and app_server without SET ROLE a permission error for any query shape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), shapeArb, async (anon, shape) => {
        const sql = toSql(shape);
        const outcome = anon
          ? await kit.asAnon((c) => attempt(c, sql), { rollback: true })
          : await kit.withoutRole(world.a.owner.claims, (c) => attempt(c, sql), { rollback: true });
        expect(outcome.ok ? 'rows' : outcome.code, sql).toBe(INSUFFICIENT_PRIVILEGE);
      }),
      { numRuns: 60 },
    );
    // Positive control: the same claims through the wrapper do read.
    const rows = await kit.as(world.a.owner, (c) => attempt(c, 'select tenant_id from public.documents'), { rollback: true });
    expect(rows.ok && rows.rowCount).toBeGreaterThan(0);
  });
});
