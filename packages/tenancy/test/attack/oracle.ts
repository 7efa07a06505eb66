import type pg from 'pg';
import type { TenancyTestKit } from '../helpers';
import type { Catalog } from './discover';
import type { Statement } from './operations';
import type { Standing, World, WorldTenant } from './world';

/**
 * The oracle. For every statement an attacker sends it asks two questions, neither of which
 * trusts the policies under test:
 *
 *   leaked?   Does anything in the result rows or in the error (message, detail, hint, context)
 *             belong to a tenant the attacker may not see: its canary, an id of one of its rows,
 *             an e-mail or session of a user outside the attacker's tenants, an invitation token?
 *             Values the attacker itself sent are struck out first: echoing input back is not
 *             a leak (the slug-taken message of create_tenant, a RETURNING of what was written).
 *   changed?  Is every foreign tenant's data, and every other user's auth rows, byte for byte what
 *             it was? A digest taken by a superuser-owned function inside the attack's own
 *             transaction (so it sees the uncommitted effect) is compared with the baseline.
 *
 * Attacks run many to a transaction on one app_server connection, each inside a savepoint that
 * is rolled back, so the world never changes and no database is rebuilt.
 */

const BATCH = 100;

export interface Outcome {
  ok: boolean;
  rows: Record<string, unknown>[];
  rowCount: number;
  code?: string;
  error?: string;
}

export interface Finding {
  kind: 'leak' | 'change';
  /** What was found where: "t2 canary in result", "public.documents rows of t1 changed". */
  evidence: string[];
}

export interface Verdict {
  outcome: Outcome;
  finding?: Finding;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Installs attack_oracle.snapshot(): per relation and tenant, and per user for auth rows, an md5 of the rows. */
export async function installOracle(kit: TenancyTestKit, catalog: Catalog): Promise<void> {
  const parts = catalog.relations
    .filter((r) => r.kind === 'table' && r.tenantColumn)
    .map(
      (r) =>
        `select ${literal(r.name)} || ' ' || t.${quote(r.tenantColumn as string)}::text as k,
                md5(string_agg(t::text, '|' order by t::text)) as d
           from ${r.sql} t group by t.${quote(r.tenantColumn as string)}`,
    );
  parts.push(
    `select 'auth.users ' || u.id::text, md5(u::text) from auth.users u`,
    `select 'auth.sessions ' || s.user_id::text, md5(string_agg(s::text, '|' order by s::text)) from auth.sessions s group by s.user_id`,
    `select 'auth.refresh_tokens ' || r.user_id::text, md5(string_agg(r::text, '|' order by r::text)) from auth.refresh_tokens r group by r.user_id`,
  );
  await kit.adminQuery(`
    create schema if not exists attack_oracle;
    revoke all on schema attack_oracle from public;
    grant usage on schema attack_oracle to app_server;
    create or replace function attack_oracle.snapshot() returns jsonb
    language sql stable security definer set search_path = '' as $fn$
      select coalesce(jsonb_object_agg(k, d), '{}'::jsonb) from (${parts.join('\n union all ')}) x(k, d)
    $fn$;
    revoke all on function attack_oracle.snapshot() from public;
    grant execute on function attack_oracle.snapshot() to app_server;
  `);
}

/** Strings that would betray a foreign tenant or another user, mapped to what they are. */
export function secretsOf(world: World, standing: Standing): Map<string, string> {
  const { user } = standing.token;
  const allowed = new Set<string>([user.user.id, user.user.email, ...user.sessions.map((s) => s.id)]);
  for (const t of standing.memberOf) {
    for (const rows of world.rows.get(t)?.values() ?? []) for (const row of rows) collect(row, allowed);
    for (const m of world.memberships.filter((m) => m.tenant === t)) {
      const member = world.users[m.user];
      if (member) allowed.add(member.user.id).add(member.user.email);
    }
  }
  for (const t of standing.invitedTo) allowed.add((world.tenants[t] as WorldTenant).id);

  const secrets = new Map<string, string>();
  const add = (value: string, what: string) => {
    const v = value.toLowerCase();
    if (v.length >= 8 && !allowed.has(value) && !allowed.has(v) && !secrets.has(v)) secrets.set(v, what);
  };
  for (const t of standing.foreign) {
    const tenant = world.tenants[t] as WorldTenant;
    add(tenant.canary, `${tenant.label}'s canary`);
    add(tenant.id, `${tenant.label}'s id`);
    for (const [relation, rows] of world.rows.get(t) ?? []) {
      for (const row of rows) {
        const values = new Set<string>();
        collect(row, values);
        for (const v of values)
          if (/^[0-9a-f-]{36}$/.test(v) || v.includes('@')) add(v, `a value of ${tenant.label}'s ${relation} row`);
      }
    }
    for (const invitation of world.invitations.filter((i) => i.tenant === t))
      add(invitation.token, `${tenant.label}'s invitation token`);
  }
  for (const other of world.users) {
    if (other === user) continue;
    add(other.user.id, `${other.label}'s user id`);
    add(other.user.email, `${other.label}'s e-mail`);
    for (const s of other.sessions) add(s.id, `${other.label}'s session id`);
  }
  return secrets;
}

function collect(value: unknown, into: Set<string>): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'object') {
    for (const inner of Object.values(value as Record<string, unknown>)) collect(inner, into);
    return;
  }
  into.add(String(value));
}

/** Secrets found in `text` once the attacker's own input is struck out. */
export function scan(text: string, secrets: Map<string, string>, sent: Statement['params']): string[] {
  let haystack = text.toLowerCase();
  for (const p of sent) {
    if (p.value && p.value.length >= 4) haystack = haystack.split(p.value.toLowerCase()).join('·');
  }
  const found: string[] = [];
  for (const [secret, what] of secrets) if (haystack.includes(secret)) found.push(`${what} (${secret})`);
  return found;
}

/** Digest entries that differ for tenants the token may not change, or for other users' auth rows. */
export function changes(
  world: World,
  standing: Standing,
  before: Record<string, string>,
  after: Record<string, string>,
): string[] {
  const protectedTenants = new Map(
    standing.foreign.map((t) => [(world.tenants[t] as WorldTenant).id, (world.tenants[t] as WorldTenant).label]),
  );
  const others = new Map(world.users.filter((u) => u !== standing.token.user).map((u) => [u.user.id, u.label]));
  const out: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[key] === after[key]) continue;
    const [relation, owner] = key.split(' ') as [string, string];
    const tenant = protectedTenants.get(owner);
    if (tenant) out.push(`${relation} rows of ${tenant} changed`);
    else if (relation.startsWith('auth.') && others.has(owner)) out.push(`${relation} rows of ${others.get(owner)} changed`);
  }
  return out;
}

/** One app_server connection running attacks in batched, rolled-back transactions. */
export class AttackRunner {
  private client: pg.PoolClient | undefined;
  private inBatch = 0;
  baseline: Record<string, string> = {};
  statements = 0;

  constructor(private readonly kit: TenancyTestKit) {}

  async open(): Promise<void> {
    this.client = await this.kit.appServer.connect();
    const { rows } = await this.client.query<{ s: Record<string, string> }>('select attack_oracle.snapshot() as s');
    this.baseline = rows[0]?.s ?? {};
  }

  async close(): Promise<void> {
    if (!this.client) return;
    await this.client.query('rollback').catch(() => undefined);
    this.client.release();
    this.client = undefined;
  }

  private async batch(): Promise<pg.PoolClient> {
    const client = this.client;
    if (!client) throw new Error('runner not open');
    if (this.inBatch === 0) {
      await client.query(`begin; set local statement_timeout = '10s'; set local lock_timeout = '2s'`);
    }
    this.inBatch = (this.inBatch + 1) % BATCH;
    return client;
  }

  /** Runs one statement as the token's user and judges it. */
  async run(world: World, standing: Standing, statement: Statement, secrets: Map<string, string>): Promise<Verdict> {
    const client = await this.batch();
    this.statements += 1;
    await client.query(
      `savepoint attack; set local role authenticated;
       select set_config('request.jwt.claims', ${client.escapeLiteral(JSON.stringify(standing.token.claims))}, true)`,
    );
    for (const [name, value] of Object.entries(standing.token.settings ?? {})) {
      await client.query('select set_config($1, $2, true)', [name, value]);
    }
    let outcome: Outcome;
    try {
      const result = await client.query(
        statement.sql,
        statement.params.map((p) => p.value),
      );
      outcome = { ok: true, rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
    } catch (error) {
      const e = error as {
        code?: string;
        message?: string;
        detail?: string;
        hint?: string;
        where?: string;
        internalQuery?: string;
      };
      if (!e.code) {
        await this.close();
        throw error;
      }
      outcome = {
        ok: false,
        rows: [],
        rowCount: 0,
        code: e.code,
        error: [e.message, e.detail, e.hint, e.where, e.internalQuery].filter(Boolean).join(' | '),
      };
    }
    const evidence: string[] = [];
    for (const found of scan(JSON.stringify(outcome.rows), secrets, statement.params)) evidence.push(`${found} in the result`);
    for (const found of scan(outcome.error ?? '', secrets, statement.params)) evidence.push(`${found} in the error`);
    let changed: string[] = [];
    if (outcome.ok) {
      // Back to app_server, then the superuser's view of this transaction, attack included.
      const results = (await client.query('reset role; select attack_oracle.snapshot() as s')) as unknown as pg.QueryResult<{
        s: Record<string, string>;
      }>[];
      changed = changes(world, standing, this.baseline, results.at(-1)?.rows[0]?.s ?? {});
    }
    await client.query('rollback to savepoint attack; release savepoint attack');
    if (this.inBatch === 0) await client.query('rollback');
    if (evidence.length > 0) return { outcome, finding: { kind: 'leak', evidence } };
    if (changed.length > 0) return { outcome, finding: { kind: 'change', evidence: changed } };
    return { outcome };
  }
}
