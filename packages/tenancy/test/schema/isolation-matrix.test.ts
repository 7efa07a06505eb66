import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  attempt,
  createTwoTenants,
  INSUFFICIENT_PRIVILEGE,
  type Outcome,
  TenancyTestKit,
  type TenantRole,
  type TenantRows,
  type TwoTenants,
  tenantDataDigest,
} from '../helpers';
import { createStaff, READ_MARKER } from './staff-fixtures';

/**
 * The isolation matrix: every tenant table × {select, insert, update, delete, upsert, returning} ×
 * every kind of caller × both tenants' rows. Expected outcome of a cell: allowed only when the
 * target is the caller's own tenant, the caller's session and membership are live, and the role
 * may do it; otherwise denied (zero rows, or SQLSTATE 42501). Any other result fails the test.
 *
 * Positive controls, in the same test: for each tenant, the same statement run by someone who may
 * (its owner), or when nobody may, by the superuser, must affect or return that tenant's row. So a
 * denial can never come from a statement that was wrong to begin with.
 *
 * Every statement runs in a transaction that is rolled back, and the digest of all tenant data is
 * the same before and after the suite: nothing leaked into the database either.
 */

type Op = 'select' | 'insert' | 'update' | 'delete' | 'upsert' | 'returning';
type TableName =
  | 'tenants'
  | 'memberships'
  | 'invitations'
  | 'documents'
  | 'audit_log'
  | 'billing_customers'
  | 'billing_subscriptions'
  | 'billing_subscription_items'
  | 'tenant_entitlements'
  | 'billing_reconciliation_runs'
  | 'billing_subscription_entitlements'
  | 'billing_credit_grants'
  | 'billing_credit_transactions';
type TenantKey = 'A' | 'B';

/** How a statement's outcome is counted for a target tenant. */
type Measure = 'rowCount' | 'rowsOfTarget';

interface Statement {
  sql: string;
  params: unknown[];
  measure: Measure;
}

/** Which roles may do what, in their own tenant: the policies' intent, written down independently. */
const allowedRoles: Record<TableName, Record<Op, TenantRole[]>> = {
  tenants: {
    select: ['owner', 'admin', 'member', 'viewer'],
    insert: [],
    update: ['owner'],
    delete: [],
    upsert: [],
    returning: ['owner'],
  },
  memberships: {
    select: ['owner', 'admin', 'member', 'viewer'],
    insert: [],
    update: ['owner', 'admin'],
    delete: ['owner', 'admin'],
    upsert: [],
    returning: ['owner', 'admin'],
  },
  invitations: {
    select: ['owner', 'admin'],
    insert: ['owner', 'admin'],
    update: [],
    delete: ['owner', 'admin'],
    upsert: [],
    returning: ['owner', 'admin'],
  },
  documents: {
    select: ['owner', 'admin', 'member', 'viewer'],
    insert: ['owner', 'admin', 'member'],
    update: ['owner', 'admin', 'member'],
    delete: ['owner', 'admin'],
    upsert: ['owner', 'admin', 'member'],
    returning: ['owner', 'admin', 'member'],
  },
  audit_log: {
    select: ['owner', 'admin'],
    insert: [],
    update: [],
    delete: [],
    upsert: [],
    returning: [],
  },
  // Billing: every member reads the tenant's rows; only billing_sync (not a tenant user) writes.
  billing_customers: readOnly(),
  billing_subscriptions: readOnly(),
  billing_subscription_items: readOnly(),
  tenant_entitlements: readOnly(),
  billing_reconciliation_runs: readOnly(),
  billing_subscription_entitlements: readOnly(),
  billing_credit_grants: readOnly(),
  billing_credit_transactions: readOnly(),
};

function readOnly(): Record<Op, TenantRole[]> {
  return { select: ['owner', 'admin', 'member', 'viewer'], insert: [], update: [], delete: [], upsert: [], returning: [] };
}

const probe = `'probe-' || substr(md5(random()::text), 1, 10)`;

/**
 * The statements. `select` and `returning` have no WHERE clause at all (code that forgot it) and
 * count the returned rows of the target tenant; the others address one row of the target tenant
 * by its full key and count affected rows.
 */
const statements: Record<TableName, Record<Op, (t: TenantRows) => Statement>> = {
  tenants: {
    select: () => ({ sql: 'select id as tenant_id from public.tenants', params: [], measure: 'rowsOfTarget' }),
    insert: () => ({
      sql: `insert into public.tenants (name, slug) values ('Probe', ${probe})`,
      params: [],
      measure: 'rowCount',
    }),
    update: (t) => ({ sql: 'update public.tenants set name = name where id = $1', params: [t.id], measure: 'rowCount' }),
    delete: (t) => ({ sql: 'delete from public.tenants where id = $1', params: [t.id], measure: 'rowCount' }),
    upsert: (t) => ({
      sql: `insert into public.tenants (id, name, slug) values ($1, 'Probe', ${probe})
            on conflict (id) do update set name = excluded.name`,
      params: [t.id],
      measure: 'rowCount',
    }),
    returning: () => ({
      sql: 'update public.tenants set name = name returning id as tenant_id',
      params: [],
      measure: 'rowsOfTarget',
    }),
  },
  memberships: {
    select: () => ({ sql: 'select tenant_id from public.memberships', params: [], measure: 'rowsOfTarget' }),
    insert: (t) => ({
      sql: `insert into public.memberships (tenant_id, user_id, role) values ($1, gen_random_uuid(), 'member')`,
      params: [t.id],
      measure: 'rowCount',
    }),
    update: (t) => ({
      sql: `update public.memberships set role = 'viewer' where tenant_id = $1 and user_id = $2`,
      params: [t.id, t.bystanderUserId],
      measure: 'rowCount',
    }),
    delete: (t) => ({
      sql: 'delete from public.memberships where tenant_id = $1 and user_id = $2',
      params: [t.id, t.bystanderUserId],
      measure: 'rowCount',
    }),
    upsert: (t) => ({
      sql: `insert into public.memberships (tenant_id, user_id, role) values ($1, $2, 'viewer')
            on conflict (tenant_id, user_id) do update set role = excluded.role`,
      params: [t.id, t.bystanderUserId],
      measure: 'rowCount',
    }),
    returning: () => ({
      sql: `update public.memberships set role = role returning tenant_id`,
      params: [],
      measure: 'rowsOfTarget',
    }),
  },
  invitations: {
    select: () => ({ sql: 'select tenant_id from public.invitations', params: [], measure: 'rowsOfTarget' }),
    insert: (t) => ({
      sql: `insert into public.invitations (tenant_id, email, role, token_hash)
            values ($1, ${probe} || '@example.test', 'member', sha256(gen_random_uuid()::text::bytea))`,
      params: [t.id],
      measure: 'rowCount',
    }),
    update: (t) => ({
      sql: `update public.invitations set role = 'viewer' where tenant_id = $1 and id = $2`,
      params: [t.id, t.invitationId],
      measure: 'rowCount',
    }),
    delete: (t) => ({
      sql: 'delete from public.invitations where tenant_id = $1 and id = $2',
      params: [t.id, t.invitationId],
      measure: 'rowCount',
    }),
    upsert: (t) => ({
      sql: `insert into public.invitations (tenant_id, id, email, role, token_hash)
            values ($1, $2, 'probe@example.test', 'viewer', sha256(gen_random_uuid()::text::bytea))
            on conflict (tenant_id, id) do update set role = excluded.role`,
      params: [t.id, t.invitationId],
      measure: 'rowCount',
    }),
    returning: () => ({ sql: 'delete from public.invitations returning tenant_id', params: [], measure: 'rowsOfTarget' }),
  },
  documents: {
    select: () => ({ sql: 'select tenant_id from public.documents', params: [], measure: 'rowsOfTarget' }),
    insert: (t) => ({
      sql: `insert into public.documents (tenant_id, title) values ($1, 'probe')`,
      params: [t.id],
      measure: 'rowCount',
    }),
    update: (t) => ({
      sql: `update public.documents set title = 'changed' where tenant_id = $1 and id = $2`,
      params: [t.id, t.documentId],
      measure: 'rowCount',
    }),
    delete: (t) => ({
      sql: 'delete from public.documents where tenant_id = $1 and id = $2',
      params: [t.id, t.documentId],
      measure: 'rowCount',
    }),
    upsert: (t) => ({
      sql: `insert into public.documents (tenant_id, id, title) values ($1, $2, 'upserted')
            on conflict (tenant_id, id) do update set title = excluded.title`,
      params: [t.id, t.documentId],
      measure: 'rowCount',
    }),
    returning: () => ({
      sql: `update public.documents set title = title returning tenant_id`,
      params: [],
      measure: 'rowsOfTarget',
    }),
  },
  audit_log: {
    select: () => ({ sql: 'select tenant_id from public.audit_log', params: [], measure: 'rowsOfTarget' }),
    insert: (t) => ({
      sql: `insert into public.audit_log (tenant_id, action) values ($1, 'probe.inserted')`,
      params: [t.id],
      measure: 'rowCount',
    }),
    update: (t) => ({
      sql: `update public.audit_log set action = 'probe.changed' where tenant_id = $1 and id = $2`,
      params: [t.id, t.auditEntryId],
      measure: 'rowCount',
    }),
    delete: (t) => ({
      sql: 'delete from public.audit_log where tenant_id = $1 and id = $2',
      params: [t.id, t.auditEntryId],
      measure: 'rowCount',
    }),
    upsert: (t) => ({
      sql: `insert into public.audit_log (tenant_id, id, action) values ($1, $2, 'probe.upserted')
            on conflict (tenant_id, id) do update set action = excluded.action`,
      params: [t.id, t.auditEntryId],
      measure: 'rowCount',
    }),
    returning: () => ({ sql: 'delete from public.audit_log returning tenant_id', params: [], measure: 'rowsOfTarget' }),
  },
  billing_customers: billingStatements(
    'billing_customers',
    (t) => t.billing.customerId,
    // One customer per tenant (unique tenant_id): the insert probe replaces the tenant's row.
    (t) => ({
      sql: `insert into public.billing_customers (tenant_id, stripe_customer_id, livemode) values ($1, 'cus_probe' || substr(md5(random()::text), 1, 10), false)
            on conflict (tenant_id) do update set stripe_customer_id = excluded.stripe_customer_id`,
      params: [t.id],
      measure: 'rowCount',
    }),
    'livemode = true',
    `(tenant_id, id, stripe_customer_id, livemode) values ($1, $2, 'cus_probe', true)`,
  ),
  billing_subscriptions: billingStatements(
    'billing_subscriptions',
    (t) => t.billing.subscriptionId,
    (t) => ({
      sql: `insert into public.billing_subscriptions (tenant_id, stripe_subscription_id, stripe_customer_id, status, livemode, stripe_created)
            values ($1, 'sub_probe' || substr(md5(random()::text), 1, 10), 'cus_probe', 'active', false, now())`,
      params: [t.id],
      measure: 'rowCount',
    }),
    `status = 'canceled'`,
    `(tenant_id, id, stripe_subscription_id, stripe_customer_id, status, livemode, stripe_created)
     values ($1, $2, 'sub_probe_upsert', 'cus_probe', 'active', false, now())`,
  ),
  billing_subscription_items: billingStatements(
    'billing_subscription_items',
    (t) => t.billing.itemId,
    (t) => ({
      sql: `insert into public.billing_subscription_items (tenant_id, stripe_item_id, stripe_subscription_id, stripe_price_id)
            values ($1, 'si_probe' || substr(md5(random()::text), 1, 10), $2, 'price_probe')`,
      params: [t.id, t.billing.stripeSubscriptionId],
      measure: 'rowCount',
    }),
    'quantity = 101',
    `(tenant_id, id, stripe_item_id, stripe_subscription_id, stripe_price_id) values ($1, $2, 'si_probe_upsert', 'sub_probe', 'price_probe')`,
  ),
  tenant_entitlements: billingStatements(
    'tenant_entitlements',
    (t) => t.billing.entitlementId,
    (t) => ({
      sql: `insert into public.tenant_entitlements (tenant_id, feature) values ($1, 'probe_' || substr(md5(random()::text), 1, 10))`,
      params: [t.id],
      measure: 'rowCount',
    }),
    'limit_value = null',
    `(tenant_id, id, feature) values ($1, $2, 'probe_upsert')`,
  ),
  billing_reconciliation_runs: billingStatements(
    'billing_reconciliation_runs',
    (t) => t.billing.reconciliationId,
    (t) => ({
      sql: `insert into public.billing_reconciliation_runs (tenant_id, run_id, dry_run, differences, repaired)
            values ($1, gen_random_uuid(), true, '[]', false)`,
      params: [t.id],
      measure: 'rowCount',
    }),
    'repaired = false',
    `(tenant_id, id, run_id, dry_run, differences, repaired) values ($1, $2, gen_random_uuid(), true, '[]', false)`,
  ),
  billing_subscription_entitlements: billingStatements(
    'billing_subscription_entitlements',
    (t) => t.billing.subscriptionEntitlementId,
    (t) => ({
      sql: `insert into public.billing_subscription_entitlements (tenant_id, stripe_subscription_id, feature, stripe_feature_id)
            values ($1, $2, 'probe', 'feat_probe' || substr(md5(random()::text), 1, 10))`,
      params: [t.id, t.billing.stripeSubscriptionId],
      measure: 'rowCount',
    }),
    'limit_value = null',
    `(tenant_id, id, stripe_subscription_id, feature, stripe_feature_id) values ($1, $2, 'sub_probe', 'probe', 'feat_probe_upsert')`,
  ),
  billing_credit_grants: billingStatements(
    'billing_credit_grants',
    (t) => t.billing.creditGrantId,
    (t) => ({
      sql: `insert into public.billing_credit_grants (tenant_id, stripe_credit_grant_id, category, amount, currency, stripe_created)
            values ($1, 'credgr_probe' || substr(md5(random()::text), 1, 10), 'promotional', 1, 'usd', now())`,
      params: [t.id],
      measure: 'rowCount',
    }),
    'amount = 999999',
    `(tenant_id, id, stripe_credit_grant_id, category, amount, currency, stripe_created) values ($1, $2, 'credgr_probe_upsert', 'paid', 1, 'usd', now())`,
  ),
  billing_credit_transactions: billingStatements(
    'billing_credit_transactions',
    (t) => t.billing.creditTransactionId,
    (t) => ({
      sql: `insert into public.billing_credit_transactions (tenant_id, stripe_transaction_id, stripe_credit_grant_id, type, reason, amount, currency, effective_at)
            values ($1, 'cbtxn_probe' || substr(md5(random()::text), 1, 10), $2, 'credit', 'credits_granted', 999999, 'usd', now())`,
      params: [t.id, t.billing.stripeCreditGrantId],
      measure: 'rowCount',
    }),
    'amount = 999999',
    `(tenant_id, id, stripe_transaction_id, stripe_credit_grant_id, type, reason, amount, currency, effective_at)
     values ($1, $2, 'cbtxn_probe_upsert', 'credgr_probe', 'credit', 'credits_granted', 1, 'usd', now())`,
  ),
};

/** The six statements for a billing table: rows addressed by (tenant_id, id), like every tenant table. */
function billingStatements(
  table: string,
  rowId: (t: TenantRows) => string,
  insert: (t: TenantRows) => Statement,
  change: string,
  upsertValues: string,
): Record<Op, (t: TenantRows) => Statement> {
  return {
    select: () => ({ sql: `select tenant_id from public.${table}`, params: [], measure: 'rowsOfTarget' }),
    insert,
    update: (t) => ({
      sql: `update public.${table} set ${change} where tenant_id = $1 and id = $2`,
      params: [t.id, rowId(t)],
      measure: 'rowCount',
    }),
    delete: (t) => ({
      sql: `delete from public.${table} where tenant_id = $1 and id = $2`,
      params: [t.id, rowId(t)],
      measure: 'rowCount',
    }),
    upsert: (t) => ({
      sql: `insert into public.${table} ${upsertValues} on conflict (tenant_id, id) do update set ${change}`,
      params: [t.id, rowId(t)],
      measure: 'rowCount',
    }),
    returning: () => ({ sql: `delete from public.${table} returning tenant_id`, params: [], measure: 'rowsOfTarget' }),
  };
}

/** A caller: how its request transaction is opened, and what it may expect in its own tenant. */
interface Persona {
  name: string;
  /** The tenant whose rows it may touch at all; null: none. */
  home: TenantKey | null;
  role: TenantRole | null;
  /** Staff under a live break-glass grant: SELECT (only) of these tables of this tenant is allowed. */
  reads?: { key: TenantKey; tables: TableName[] };
  run: <T>(fn: (client: pg.ClientBase) => Promise<T>) => Promise<T>;
}

const cluster = inject('cluster');
let kit: TenancyTestKit;
let world: TwoTenants;
let personas: Persona[];
let digestBefore: Record<string, string>;
const tally = { cells: 0, allowed: 0, denied: 0, controls: 0 };

function target(key: TenantKey): TenantRows {
  return key === 'A' ? world.a : world.b;
}

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  world = await createTwoTenants(kit);
  const as = (claims: Parameters<TenancyTestKit['as']>[0]) => (fn: (c: pg.ClientBase) => Promise<unknown>) =>
    kit.as(claims, fn, { rollback: true });
  personas = [
    { name: 'anon', home: null, role: null, run: (fn) => kit.asAnon(fn, { rollback: true }) },
    { name: 'owner of A', home: 'A', role: 'owner', run: as(world.a.owner) as Persona['run'] },
    { name: 'admin of A', home: 'A', role: 'admin', run: as(world.a.admin) as Persona['run'] },
    { name: 'member of A', home: 'A', role: 'member', run: as(world.a.member) as Persona['run'] },
    { name: 'viewer of A', home: 'A', role: 'viewer', run: as(world.a.viewer) as Persona['run'] },
    { name: 'member of B', home: 'B', role: 'member', run: as(world.b.member) as Persona['run'] },
    { name: 'member removed from A (token still valid)', home: null, role: null, run: as(world.a.removed) as Persona['run'] },
    { name: 'revoked session of A (token still valid)', home: null, role: null, run: as(world.a.revoked) as Persona['run'] },
    {
      name: "member of A with B's tenant_id in user_metadata",
      home: 'A',
      role: 'member',
      run: as(world.a.spoofer) as Persona['run'],
    },
    {
      name: 'app_server without SET ROLE (member of A claims)',
      home: null,
      role: null,
      run: (fn) => kit.withoutRole(world.a.member.claims, fn, { rollback: true }),
    },
  ];
  // Staff, each asking to read B the way an audited staff read does, so that only the grant and
  // the assurance level can be what denies: at aal2 through private.staff_begin_read() (which
  // logs the read), at aal1 (where that refuses) by setting its marker directly. Only the last one
  // may read B's documents.
  const staffReadingB = async (aal: 'aal1' | 'aal2', state: 'none' | 'live' | 'expired' | 'ended') => {
    const { claims } = await createStaff(kit, { aal, grant: { tenantId: world.b.id, state } });
    return <T>(fn: (c: pg.ClientBase) => Promise<T>) =>
      kit.as(
        claims,
        async (c) => {
          if (aal === 'aal2') await c.query(`select private.staff_begin_read($1, 'isolation matrix')`, [world.b.id]);
          else await c.query('select set_config($1, $2, true)', [READ_MARKER, world.b.id]);
          return fn(c);
        },
        { rollback: true },
      );
  };
  personas.push(
    { name: 'staff at aal2 without a grant', home: null, role: null, run: await staffReadingB('aal2', 'none') },
    { name: 'staff at aal2 with an expired grant on B', home: null, role: null, run: await staffReadingB('aal2', 'expired') },
    { name: 'staff at aal2 with an ended grant on B', home: null, role: null, run: await staffReadingB('aal2', 'ended') },
    { name: 'staff at aal1 with a live grant on B', home: null, role: null, run: await staffReadingB('aal1', 'live') },
    {
      name: 'staff at aal2 with a live grant on B',
      home: null,
      role: null,
      reads: { key: 'B', tables: ['documents'] },
      run: await staffReadingB('aal2', 'live'),
    },
  );
  digestBefore = await tenantDataDigest(kit);
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

function measured(outcome: Outcome, statement: Statement, t: TenantRows): number | null {
  if (!outcome.ok) return null;
  if (statement.measure === 'rowCount') return outcome.rowCount;
  return outcome.rows.filter((row) => row.tenant_id === t.id).length;
}

function describeOutcome(outcome: Outcome, count: number | null): string {
  return outcome.ok ? `${count} row(s)` : `error ${outcome.code}: ${outcome.message}`;
}

/** The positive control: the target tenant's owner, or the superuser when no role may. */
async function control(table: TableName, op: Op, key: TenantKey): Promise<string | null> {
  const t = target(key);
  const statement = statements[table][op](t);
  const allowed = allowedRoles[table][op].length > 0;
  const outcome = allowed
    ? await kit.as(t.owner, (c) => attempt(c, statement.sql, statement.params), { rollback: true })
    : await superuserAttempt(statement, t);
  const count = measured(outcome, statement, t);
  tally.controls += 1;
  if (count === null || count < 1) {
    return `control (${allowed ? `owner of ${key}` : 'superuser'}) on ${key}: expected ≥1 row, got ${describeOutcome(outcome, count)}`;
  }
  return null;
}

/**
 * The superuser, with triggers off (append-only and last-owner guards), proves the statement itself
 * works. It carries the target owner's claims so that column defaults (invited_by, ...) resolve.
 */
async function superuserAttempt(statement: Statement, t: TenantRows): Promise<Outcome> {
  await kit.admin.query('begin');
  try {
    await kit.admin.query(`set local session_replication_role = replica`);
    await kit.admin.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(t.owner.claims)]);
    return await attempt(kit.admin, statement.sql, statement.params);
  } finally {
    await kit.admin.query('rollback');
  }
}

async function cell(persona: Persona, table: TableName, op: Op, key: TenantKey): Promise<string | null> {
  const t = target(key);
  const statement = statements[table][op](t);
  const expectAllowed =
    (persona.home === key && persona.role !== null && allowedRoles[table][op].includes(persona.role)) ||
    (persona.reads?.key === key && op === 'select' && persona.reads.tables.includes(table));
  const outcome = await persona.run((c) => attempt(c, statement.sql, statement.params));
  const count = measured(outcome, statement, t);
  tally.cells += 1;
  if (expectAllowed) {
    tally.allowed += 1;
    return count !== null && count >= 1
      ? null
      : `${persona.name} on ${key}: expected allowed, got ${describeOutcome(outcome, count)}`;
  }
  tally.denied += 1;
  const deniedProperly = outcome.ok ? count === 0 : outcome.code === INSUFFICIENT_PRIVILEGE;
  return deniedProperly ? null : `${persona.name} on ${key}: expected denied, got ${describeOutcome(outcome, count)}`;
}

describe('isolation matrix', () => {
  it('starts from a fixture whose stale tokens still claim tenant A', () => {
    // The removed member and the revoked session hold tokens that a JWT check alone would accept.
    expect(world.a.removed.app_metadata.tenant_id).toBe(world.a.id);
    expect(world.a.revoked.app_metadata.tenant_id).toBe(world.a.id);
    // The spoofer's token carries B in user_metadata (written by the user) and A in app_metadata.
    expect(world.a.spoofer.claims.user_metadata.tenant_id).toBe(world.b.id);
    expect(world.a.spoofer.claims.app_metadata.tenant_id).toBe(world.a.id);
    expect(world.b.member.claims.app_metadata.tenant_id).toBe(world.b.id);
  });

  const tables = Object.keys(statements) as TableName[];
  const ops: Op[] = ['select', 'insert', 'update', 'delete', 'upsert', 'returning'];
  for (const table of tables) {
    for (const op of ops) {
      it(`${table} × ${op}`, async () => {
        const failures: string[] = [];
        for (const key of ['A', 'B'] as const) {
          const failure = await control(table, op, key);
          if (failure) failures.push(failure);
        }
        for (const persona of personas) {
          for (const key of ['A', 'B'] as const) {
            const failure = await cell(persona, table, op, key);
            if (failure) failures.push(failure);
          }
        }
        expect(failures).toEqual([]);
      });
    }
  }

  it('left every tenant table exactly as it was', async () => {
    expect(tally.cells).toBe(tables.length * ops.length * personas.length * 2);
    expect(tally.controls).toBe(tables.length * ops.length * 2);
    expect(await tenantDataDigest(kit)).toEqual(digestBefore);
  });
});
