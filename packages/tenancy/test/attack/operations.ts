import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Catalog, Column, FunctionTarget, Relation, ValueKind } from './discover';
import {
  claimedForeign,
  homePool,
  type PoolEntry,
  type Standing,
  standingOf,
  suspiciousTokens,
  type Token,
  type World,
} from './world';

/**
 * Attacks as fast-check values. An attack is abstract, made of indices into whatever the world
 * and the catalog hold (which token attacks, which foreign tenant, which relation or function,
 * which row, which value), so it shrinks well and means the same thing against any world. It
 * becomes SQL only in `concretize`, aimed either at a foreign tenant (the attack) or at the
 * attacker's own tenant (the positive control, same shape).
 */

/** Where a value comes from: the targeted tenant's data, the attacker's own, made up, or a variant of the target's. */
export interface Pick {
  from: 'target' | 'home' | 'random' | 'mutated';
  /** Prefer values from a column (or role) of the same name as the column/argument being filled. */
  named: boolean;
  index: number;
  text: string;
}

export type Cond =
  | { c: 'row'; row: number }
  | { c: 'tenant' }
  | { c: 'eq'; column: number; value: Pick }
  | { c: 'notnull'; column: number }
  | { c: 'all' }
  | { c: 'both' }
  | { c: 'not-home' };

export interface Where {
  conds: Cond[];
  or: boolean;
}

export type Op =
  | { op: 'select'; where: Where; limit: boolean; lock: boolean }
  | { op: 'insert'; template: number; fromHome: boolean; freshKeys: boolean; allColumns: boolean; returning: boolean }
  | { op: 'update'; column: number; value: Pick; where: Where; move: 'none' | 'steal' | 'push'; returning: boolean }
  | { op: 'delete'; where: Where; returning: boolean }
  | { op: 'upsert'; template: number; column: number; nothing: boolean; returning: boolean };

export type Target = { kind: 'table'; relation: number; op: Op } | { kind: 'function'; fn: number; args: Pick[] };

export interface Attack {
  attacker: { suspicious: boolean; index: number };
  victim: { claimed: boolean; index: number };
  target: Target;
}

const pickArb: fc.Arbitrary<Pick> = fc.record({
  from: fc.constantFrom<Pick['from']>('target', 'target', 'target', 'home', 'random', 'mutated'),
  named: fc.constantFrom(true, true, true, false),
  index: fc.nat({ max: 1000 }),
  text: fc.string({ maxLength: 8 }),
});

const condArb: fc.Arbitrary<Cond> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ c: fc.constant('row' as const), row: fc.nat({ max: 100 }) }) },
  { weight: 3, arbitrary: fc.constant<Cond>({ c: 'tenant' }) },
  { weight: 3, arbitrary: fc.record({ c: fc.constant('eq' as const), column: fc.nat({ max: 100 }), value: pickArb }) },
  { weight: 1, arbitrary: fc.record({ c: fc.constant('notnull' as const), column: fc.nat({ max: 100 }) }) },
  { weight: 1, arbitrary: fc.constant<Cond>({ c: 'all' }) },
  { weight: 1, arbitrary: fc.constant<Cond>({ c: 'both' }) },
  { weight: 1, arbitrary: fc.constant<Cond>({ c: 'not-home' }) },
);

// No WHERE at all is its own case: an UPDATE that reads no column is not subject to the SELECT
// policy, so it is the only way to exercise a weak WITH CHECK on its own.
const whereArb: fc.Arbitrary<Where> = fc.record({
  conds: fc.oneof(
    { weight: 1, arbitrary: fc.constant<Cond[]>([]) },
    { weight: 3, arbitrary: fc.array(condArb, { minLength: 1, maxLength: 3 }) },
  ),
  or: fc.boolean(),
});

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('select' as const),
    where: whereArb,
    limit: fc.boolean(),
    lock: fc.constantFrom(false, false, false, true),
  }),
  fc.record({
    op: fc.constant('insert' as const),
    template: fc.nat({ max: 100 }),
    fromHome: fc.boolean(),
    freshKeys: fc.constantFrom(true, true, false),
    allColumns: fc.constantFrom(false, false, true),
    returning: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('update' as const),
    column: fc.nat({ max: 100 }),
    value: pickArb,
    where: whereArb,
    move: fc.constantFrom<'none' | 'steal' | 'push'>('none', 'none', 'steal', 'push'),
    returning: fc.boolean(),
  }),
  fc.record({ op: fc.constant('delete' as const), where: whereArb, returning: fc.boolean() }),
  fc.record({
    op: fc.constant('upsert' as const),
    template: fc.nat({ max: 100 }),
    column: fc.nat({ max: 100 }),
    nothing: fc.constantFrom(false, false, true),
    returning: fc.boolean(),
  }),
);

export function attackArb(catalog: Catalog, callable: FunctionTarget[]): fc.Arbitrary<Attack> {
  const maxArgs = Math.max(0, ...callable.map((f) => f.args.length));
  const targets: fc.Arbitrary<Target>[] = [
    fc.record({
      kind: fc.constant('table' as const),
      relation: fc.nat({ max: Math.max(0, catalog.relations.length - 1) }),
      op: opArb,
    }),
  ];
  if (callable.length > 0) {
    targets.push(
      fc.record({
        kind: fc.constant('function' as const),
        fn: fc.nat({ max: callable.length - 1 }),
        args: fc.array(pickArb, { minLength: maxArgs, maxLength: maxArgs }),
      }),
    );
  }
  return fc.record({
    // One attack in three comes from a token with a history (stale, dead, spoofed, removed).
    attacker: fc.record({ suspicious: fc.constantFrom(false, false, true), index: fc.nat({ max: 1000 }) }),
    victim: fc.record({ claimed: fc.boolean(), index: fc.nat({ max: 1000 }) }),
    target: fc.oneof(...targets),
  });
}

export interface Param {
  value: string | null;
  type: string;
}

export interface Statement {
  sql: string;
  params: Param[];
  /** What it aims at: a relation name or a function key. */
  target: string;
  /** Positive-control bucket: "<relation> <op>" or the function key. */
  category: string;
  returning: boolean;
}

export interface Resolved {
  token: Token;
  standing: Standing;
  /** The targeted tenant (a foreign one for an attack, the home tenant for a control). */
  target: number;
  statement: Statement;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Picks the token an attack names and the foreign tenant it aims at. An attack skips ahead to the
 * next token that has a foreign tenant; a control takes the token as named (a member of every
 * tenant can still show that an operation works at home).
 */
export function chooseAttacker(
  world: World,
  attack: Attack,
  mode: 'attack' | 'control',
): { token: Token; standing: Standing; victim: number } | undefined {
  const suspicious = suspiciousTokens(world);
  const pool = attack.attacker.suspicious && suspicious.length > 0 ? suspicious : world.tokens;
  for (let offset = 0; offset < pool.length; offset++) {
    const token = pool[(attack.attacker.index + offset) % pool.length] as Token;
    const standing = standingOf(world, token);
    if (mode === 'control') return { token, standing, victim: -1 };
    if (standing.foreign.length === 0) continue;
    const claimed = claimedForeign(world, standing);
    const victims = attack.victim.claimed && claimed.length > 0 ? claimed : standing.foreign;
    return { token, standing, victim: victims[attack.victim.index % victims.length] as number };
  }
  return undefined;
}

class Builder {
  readonly params: Param[] = [];
  constructor(
    readonly world: World,
    readonly targetTenant: number,
    readonly homeTenant: number | undefined,
    readonly targetPool: PoolEntry[],
    readonly homeValues: PoolEntry[],
  ) {}

  param(value: string | null, type: string): string {
    this.params.push({ value, type });
    return `$${this.params.length}::${type}`;
  }

  tenantId(which: 'target' | 'home'): string {
    const index = which === 'target' ? this.targetTenant : this.homeTenant;
    // No home tenant: an id no tenant has, so the statement still runs.
    return (index === undefined ? undefined : this.world.tenants[index]?.id) ?? '00000000-0000-4000-8000-000000000000';
  }

  rows(relation: Relation, which: 'target' | 'home'): Record<string, unknown>[] {
    const index = which === 'target' ? this.targetTenant : this.homeTenant;
    return index === undefined ? [] : (this.world.rows.get(index)?.get(relation.name) ?? []);
  }

  /** A value for a column or argument of `kind`, named `name`. */
  value(pick: Pick, name: string, kind: ValueKind, enumValues: string[]): string | null {
    if (kind === 'enum') {
      const fromPool = this.fromPool(pick, name, 'text').filter((v) => enumValues.includes(v));
      return fromPool.length > 0
        ? (fromPool[pick.index % fromPool.length] as string)
        : (enumValues[pick.index % enumValues.length] ?? null);
    }
    if (kind === 'uuid[]' || kind === 'text[]') {
      const items = this.fromPool(pick, name.replace(/s$/, ''), kind === 'uuid[]' ? 'uuid' : 'text');
      const chosen = items.length > 0 ? [items[pick.index % items.length], items[(pick.index + 1) % items.length]] : [];
      return `{${chosen.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
    }
    if (pick.from === 'random') return randomValue(kind, pick);
    const candidates = this.fromPool(pick, name, kind);
    if (candidates.length === 0) return randomValue(kind, pick);
    const chosen = candidates[pick.index % candidates.length] as string;
    return pick.from === 'mutated' ? mutate(chosen, kind, pick) : chosen;
  }

  private fromPool(pick: Pick, name: string, kind: PoolEntry['kind'] | ValueKind): string[] {
    const pool = pick.from === 'home' ? this.homeValues : this.targetPool;
    const fits = (e: PoolEntry) =>
      e.kind === kind || (kind === 'text' && e.kind !== 'json' && e.kind !== 'bytea') || (kind === 'numeric' && e.kind === 'int');
    const typed = pool.filter(fits);
    if (pick.named && name) {
      const named = typed.filter((e) => sameName(e.name, name));
      if (named.length > 0) return unique(named.map((e) => e.value));
    }
    return unique(typed.map((e) => e.value));
  }
}

/** Does a pool entry's column name fit an argument or column name? `p_tenant_id`, `tenant` and `tenant_id` all want tenant ids. */
function sameName(entry: string, wanted: string): boolean {
  const a = entry.split('.').pop() as string;
  const w = wanted.replace(/^(p_|in_|arg_|_+)/, '');
  return a === w || a === `${w}_id` || a.endsWith(`_${w}`) || (a !== 'id' && w.endsWith(`_${a}`));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function randomValue(kind: ValueKind, pick: Pick): string | null {
  switch (kind) {
    case 'uuid':
      // Deterministic for a given pick, and no row has it.
      return `00000000-0000-4000-8000-${pick.index.toString(16).padStart(12, '0')}`;
    case 'text':
      return pick.text;
    case 'int':
    case 'numeric':
      return String(pick.index);
    case 'bool':
      return pick.index % 2 === 0 ? 'true' : 'false';
    case 'time':
      return new Date(Date.now() + (pick.index - 500) * 3_600_000).toISOString();
    case 'json':
      return JSON.stringify({ text: pick.text });
    case 'bytea':
      return `\\x${Buffer.from(pick.text).toString('hex')}`;
    default:
      return null;
  }
}

function mutate(value: string, kind: ValueKind, pick: Pick): string | null {
  if (kind === 'text') return `${value}-${pick.index.toString(36)}`.slice(0, 48).replace(/-+$/, '');
  if (kind === 'uuid') return randomUUID();
  if (kind === 'int' || kind === 'numeric') return String(Number(value) + 1);
  return value;
}

/** A JSON value from to_jsonb(row) as a parameter of the column's type. */
function columnValue(column: Column, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return `{${value.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
  if (typeof value === 'object') return JSON.stringify(value);
  if (column.kind === 'json') return JSON.stringify(value);
  return String(value);
}

function whereSql(b: Builder, relation: Relation, where: Where, side: 'target' | 'home'): string {
  const tenant = relation.tenantColumn ? `t.${ident(relation.tenantColumn)}` : null;
  const parts = where.conds.map((cond) => condSql(b, relation, cond, side, tenant));
  return parts.length === 0 ? '' : ` where ${parts.join(where.or ? ' or ' : ' and ')}`;
}

function condSql(b: Builder, relation: Relation, cond: Cond, side: 'target' | 'home', tenant: string | null): string {
  switch (cond.c) {
    case 'row': {
      const rows = b.rows(relation, side);
      const row = rows[cond.row % Math.max(1, rows.length)];
      const keys =
        relation.primaryKey.length > 0
          ? relation.primaryKey
          : relation.columns.filter((c) => c.kind === 'uuid').map((c) => c.name);
      if (!row || keys.length === 0) return 'false';
      return `(${keys
        .map((k) => {
          const column = relation.columns.find((c) => c.name === k) as Column;
          return `t.${ident(k)} = ${b.param(columnValue(column, row[k]), column.type)}`;
        })
        .join(' and ')})`;
    }
    case 'tenant':
      return tenant ? `${tenant} = ${b.param(b.tenantId(side), 'uuid')}` : 'true';
    case 'eq': {
      const columns = relation.columns.filter((c) => c.kind !== null && c.kind !== 'json');
      const column = columns[cond.column % Math.max(1, columns.length)];
      if (!column?.kind) return 'true';
      const pick = side === 'home' && cond.value.from === 'target' ? { ...cond.value, from: 'home' as const } : cond.value;
      return `t.${ident(column.name)} = ${b.param(b.value(pick, column.name, column.kind, column.enumValues), column.type)}`;
    }
    case 'notnull': {
      const column = relation.columns[cond.column % relation.columns.length] as Column;
      return `t.${ident(column.name)} is not null`;
    }
    case 'all':
      return 'true';
    case 'both':
      return tenant ? `${tenant} in (${b.param(b.tenantId('target'), 'uuid')}, ${b.param(b.tenantId('home'), 'uuid')})` : 'true';
    case 'not-home':
      return tenant ? `${tenant} is distinct from ${b.param(b.tenantId('home'), 'uuid')}` : 'true';
  }
}

function tableStatement(b: Builder, relation: Relation, op: Op): { sql: string; returning: boolean } {
  const table = `${relation.sql} t`;
  const returning = (flag: boolean) => (flag ? ' returning *' : '');
  const insertable = relation.columns.filter((c) => !c.generated);
  switch (op.op) {
    case 'select':
      return {
        sql: `select t.* from ${table}${whereSql(b, relation, op.where, 'target')}${op.limit ? ' limit 20' : ''}${op.lock ? ' for update' : ''}`,
        returning: false,
      };
    case 'delete':
      return {
        sql: `delete from ${table}${whereSql(b, relation, op.where, 'target')}${returning(op.returning)}`,
        returning: op.returning,
      };
    case 'update': {
      const updatable = insertable.filter((c) => c.canUpdate);
      const candidates = updatable.length > 0 ? updatable : insertable;
      const tenantColumn = relation.columns.find((c) => c.name === relation.tenantColumn);
      if (op.move !== 'none' && tenantColumn) {
        // steal: pull the target's rows into the home tenant; push: move home rows into the target.
        const to = op.move === 'steal' ? 'home' : 'target';
        const from = op.move === 'steal' ? 'target' : 'home';
        const set = `${ident(tenantColumn.name)} = ${b.param(b.tenantId(to), tenantColumn.type)}`;
        return {
          sql: `update ${table} set ${set}${whereSql(b, relation, op.where, from)}${returning(op.returning)}`,
          returning: op.returning,
        };
      }
      const column = candidates[op.column % Math.max(1, candidates.length)];
      if (!column?.kind) return { sql: 'select 1 where false', returning: false };
      const set = `${ident(column.name)} = ${b.param(b.value(op.value, column.name, column.kind, column.enumValues), column.type)}`;
      return {
        sql: `update ${table} set ${set}${whereSql(b, relation, op.where, 'target')}${returning(op.returning)}`,
        returning: op.returning,
      };
    }
    case 'insert':
    case 'upsert': {
      const fromHome = op.op === 'insert' && op.fromHome;
      const rows = b.rows(relation, fromHome ? 'home' : 'target');
      const template = rows[op.template % Math.max(1, rows.length)] ?? {};
      const columns =
        op.op === 'insert' && op.allColumns
          ? insertable
          : insertable.filter((c) => c.canInsert || c.name === relation.tenantColumn);
      const values = columns.map((column) => {
        if (column.name === relation.tenantColumn) return b.param(b.tenantId('target'), column.type);
        const fresh = op.op === 'insert' && op.freshKeys && relation.primaryKey.includes(column.name);
        const value = fresh
          ? mutate(columnValue(column, template[column.name]) ?? '', column.kind ?? 'text', {
              from: 'mutated',
              named: false,
              index: op.template,
              text: '',
            })
          : columnValue(column, template[column.name]);
        return b.param(value, column.type);
      });
      let sql = `insert into ${relation.sql} as t (${columns.map((c) => ident(c.name)).join(', ')}) values (${values.join(', ')})`;
      if (op.op === 'upsert' && relation.primaryKey.length > 0) {
        const settable = columns.filter((c) => c.canUpdate && !relation.primaryKey.includes(c.name));
        const column = settable[op.column % Math.max(1, settable.length)];
        sql +=
          op.nothing || !column
            ? ` on conflict (${relation.primaryKey.map(ident).join(', ')}) do nothing`
            : ` on conflict (${relation.primaryKey.map(ident).join(', ')}) do update set ${ident(column.name)} = excluded.${ident(column.name)}`;
      }
      return { sql: sql + returning(op.returning), returning: op.returning };
    }
  }
}

function functionStatement(b: Builder, fn: FunctionTarget, picks: Pick[]): string {
  const args = fn.args.map((arg, i) => {
    const pick = picks[i] ?? { from: 'target', named: true, index: i, text: '' };
    return b.param(b.value(pick, arg.name, arg.kind as ValueKind, arg.enumValues), arg.type);
  });
  return fn.kind === 'procedure' ? `call ${fn.sql}(${args.join(', ')})` : `select * from ${fn.sql}(${args.join(', ')}) as r`;
}

/** The SQL of an attack: aimed at the victim ('attack') or, same shape, at the attacker's own tenant ('control'). */
export function concretize(
  world: World,
  catalog: Catalog,
  callable: FunctionTarget[],
  attack: Attack,
  mode: 'attack' | 'control',
): Resolved | undefined {
  const chosen = chooseAttacker(world, attack, mode);
  if (!chosen) return undefined;
  const { token, standing } = chosen;
  // A table control needs a home tenant to aim at; a function control can run on identity alone.
  if (mode === 'control' && standing.home === undefined && attack.target.kind === 'table') return undefined;
  const target = mode === 'attack' ? chosen.victim : (standing.home ?? -1);
  const home = homePool(world, standing);
  const targetPool = mode === 'attack' ? (world.pools.get(target) ?? []) : home;
  const b = new Builder(world, target, standing.home, targetPool, home);

  if (attack.target.kind === 'table') {
    const relation = catalog.relations[attack.target.relation % catalog.relations.length] as Relation;
    const { sql, returning } = tableStatement(b, relation, attack.target.op);
    return {
      token,
      standing,
      target,
      statement: { sql, params: b.params, target: relation.name, category: `${relation.name} ${attack.target.op.op}`, returning },
    };
  }
  const fn = callable[attack.target.fn % callable.length] as FunctionTarget;
  return {
    token,
    standing,
    target,
    statement: {
      sql: functionStatement(b, fn, attack.target.args),
      params: b.params,
      target: fn.key,
      category: fn.key,
      returning: true,
    },
  };
}

const roleRank: Record<string, number> = { owner: 0, admin: 1, member: 2, viewer: 3 };

/**
 * Directed positive controls for a bucket no generated attack reached: the same generators,
 * restricted to the bucket, run by live members in their own tenant, owners first.
 */
export function controlSamples(
  world: World,
  catalog: Catalog,
  callable: FunctionTarget[],
  bucket: string,
  seed: number,
): Attack[] {
  // Every live token, members in their claimed tenant first, owners first.
  const members = world.tokens
    .map((token) => standingOf(world, token))
    .filter((s) => s.live)
    .map((s) => ({
      s,
      rank:
        s.home !== undefined && s.memberOf.has(s.home)
          ? (roleRank[world.memberships.find((m) => m.tenant === s.home && m.user === s.token.user.index)?.role ?? ''] ?? 9)
          : 10,
    }))
    .sort((a, b) => a.rank - b.rank)
    .map(({ s }) => s.token.index);
  const attempts = 400;
  const attacker = (i: number) => ({ suspicious: false, index: members[i % members.length] as number });
  const victim = { claimed: false, index: 0 };
  const fnIndex = callable.findIndex((f) => f.key === bucket);
  if (members.length === 0) return [];
  if (fnIndex >= 0) {
    const arity = (callable[fnIndex] as FunctionTarget).args.length;
    return fc
      .sample(fc.array(pickArb, { minLength: arity, maxLength: arity }), { seed, numRuns: attempts })
      .map((args, i): Attack => ({ attacker: attacker(i), victim, target: { kind: 'function', fn: fnIndex, args } }));
  }
  const [relationName, kind] = bucket.split(' ') as [string, string];
  const relation = catalog.relations.findIndex((r) => r.name === relationName);
  return fc
    .sample(
      opArb.filter((o) => (kind === 'returning' ? o.op !== 'select' && o.returning : o.op === kind)),
      { seed, numRuns: attempts },
    )
    .map((op, i): Attack => ({ attacker: attacker(i), victim, target: { kind: 'table', relation, op } }));
}
