import fc from 'fast-check';
import type { TenancyTestKit } from '../helpers';
import { type Catalog, discover, type FunctionTarget, gateOf, NO_POSITIVE_CONTROL } from './discover';
import { type Attack, attackArb, concretize, controlSamples, type Op, type Resolved } from './operations';
import { AttackRunner, installOracle, secretsOf, type Verdict } from './oracle';
import { type Replay, replayScript } from './replay';
import { buildWorld, standingOf, type World, worldPlanArb } from './world';

/**
 * The whole attack suite against one database, in three phases:
 *
 *   sweep     every token of the world × every discovered relation (select all, select the
 *             victim's rows, update, move rows in and out, delete, insert, upsert, RETURNING) and
 *             × every callable function with the victim's values. Deterministic, and cheap
 *             enough to leave no attacker/target pair untried.
 *   property  fast-check generates attacks (arbitrary filters, columns, values, functions,
 *             attackers with a history) and a positive control of the same shape in the
 *             attacker's own tenant; a finding is shrunk and printed as replayable SQL.
 *   controls  every operation the grants allow somewhere, and every callable function, must have
 *             succeeded at least once inside an attacker's own tenant; any that did not get a
 *             directed search, and fail the suite if that finds nothing either.
 */

export interface SuiteOptions {
  runs: number;
  seed: number;
  path?: string;
  /** Stop generating after this many findings (planted-regression tests need one). */
  maxFindings?: number;
  log?: (line: string) => void;
}

export interface SuiteReport {
  catalog: Catalog;
  world: World;
  callable: FunctionTarget[];
  gate: { unlistedFunctions: string[]; unscopedRelations: string[]; seedFailures: string[] };
  attacks: { sweep: number; property: number };
  controls: { attempted: number; succeeded: Record<string, number>; expected: string[]; missing: string[]; toppedUp: string[] };
  findings: Replay[];
  scripts: string[];
  property: { failed: boolean; numRuns: number; numShrinks: number; path?: string };
  ms: { world: number; sweep: number; property: number; controls: number };
}

/** Positive-control buckets the catalog says must be reachable: what authenticated is granted, and every callable function. */
export function expectedControls(catalog: Catalog, callable: FunctionTarget[]): string[] {
  const out: string[] = [];
  for (const r of catalog.relations) {
    if (!r.tenantColumn) continue;
    const p = r.privileges;
    if (p.select) out.push(`${r.name} select`);
    if (p.insert) out.push(`${r.name} insert`);
    if (p.update) out.push(`${r.name} update`);
    if (p.delete) out.push(`${r.name} delete`);
    if (
      p.insert &&
      p.update &&
      r.primaryKey.length > 0 &&
      r.columns.some((c) => c.canInsert && c.canUpdate && !r.primaryKey.includes(c.name))
    ) {
      out.push(`${r.name} upsert`);
    }
    if (p.select && (p.insert || p.update || p.delete)) out.push(`${r.name} returning`);
  }
  for (const fn of callable) if (!NO_POSITIVE_CONTROL[fn.key]) out.push(fn.key);
  return out;
}

function succeeded(resolved: Resolved, verdict: Verdict): string[] {
  const { outcome } = verdict;
  if (!outcome.ok) return [];
  const { statement } = resolved;
  if (statement.category.includes('(')) return [statement.category];
  const out: string[] = [];
  if (outcome.rowCount > 0) out.push(statement.category);
  if (statement.returning && outcome.rows.length > 0 && !statement.category.endsWith(' select')) {
    out.push(`${statement.target} returning`);
  }
  return out;
}

export async function runAttackSuite(kit: TenancyTestKit, options: SuiteOptions): Promise<SuiteReport> {
  const log = options.log ?? (() => {});
  const maxFindings = options.maxFindings ?? 10;
  const started = Date.now();

  const catalog = await discover(kit.admin);
  const classified = catalog.classified;
  const callable = classified.filter((c) => c.class.callable).map((c) => c.fn);
  const gate = { ...gateOf(catalog), seedFailures: [] as string[] };

  const [plan] = fc.sample(worldPlanArb, { seed: options.seed, numRuns: 1 });
  if (!plan) throw new Error('no world plan');
  const world = await buildWorld(kit, catalog, plan);
  gate.seedFailures = world.seedFailures;
  await installOracle(kit, catalog);
  const worldMs = Date.now() - started;
  log(
    `world: ${world.tenants.length} tenants, ${world.users.length} users, ${world.tokens.length} tokens ` +
      `(${world.tokens.filter((t) => t.session.status !== 'live').length} on dead sessions), ${world.history.length} history steps, built in ${worldMs} ms`,
  );

  const runner = new AttackRunner(kit);
  await runner.open();
  const secretsCache = new Map<number, Map<string, string>>();
  const secrets = (resolved: Resolved) => {
    let s = secretsCache.get(resolved.token.index);
    if (!s) {
      s = secretsOf(world, resolved.standing);
      secretsCache.set(resolved.token.index, s);
    }
    return s;
  };
  const findings: Replay[] = [];
  const controls = { attempted: 0, succeeded: {} as Record<string, number> };
  const attacks = { sweep: 0, property: 0 };

  const attackOnce = async (attack: Attack) => {
    const resolved = concretize(world, catalog, callable, attack, 'attack');
    if (!resolved) return undefined;
    const verdict = await runner.run(world, resolved.standing, resolved.statement, secrets(resolved));
    return { resolved, verdict };
  };
  const controlOnce = async (attack: Attack) => {
    const resolved = concretize(world, catalog, callable, attack, 'control');
    if (!resolved) return undefined;
    controls.attempted += 1;
    const verdict = await runner.run(world, resolved.standing, resolved.statement, secrets(resolved));
    for (const bucket of succeeded(resolved, verdict)) controls.succeeded[bucket] = (controls.succeeded[bucket] ?? 0) + 1;
    return { resolved, verdict };
  };

  try {
    // Phase 1: the sweep.
    const sweepStarted = Date.now();
    sweep: for (const token of world.tokens) {
      const standing = standingOf(world, token);
      if (standing.foreign.length === 0) continue;
      for (const attack of sweepAttacks(catalog, callable, token.index)) {
        const result = await attackOnce(attack);
        if (!result) continue;
        attacks.sweep += 1;
        if (result.verdict.finding) {
          findings.push({
            ...result,
            outcome: result.verdict.outcome,
            finding: result.verdict.finding,
            seed: options.seed,
            runs: options.runs,
            phase: 'sweep',
          });
          if (findings.length >= maxFindings) break sweep;
        }
      }
    }
    const sweepMs = Date.now() - sweepStarted;
    log(`sweep: ${attacks.sweep} attacks in ${sweepMs} ms, ${findings.length} finding(s)`);

    // Phase 2: the property.
    const propertyStarted = Date.now();
    const details = await fc.check(
      fc.asyncProperty(attackArb(catalog, callable), async (attack) => {
        const result = await attackOnce(attack);
        if (result) {
          attacks.property += 1;
          if (result.verdict.finding) throw new Error(result.verdict.finding.evidence.join('; '));
        }
        const control = await controlOnce(controlOf(attack, result?.resolved));
        if (control?.verdict.finding) throw new Error(`positive control: ${control.verdict.finding.evidence.join('; ')}`);
      }),
      { seed: options.seed, numRuns: options.runs, path: options.path, endOnFailure: findings.length >= maxFindings },
    );
    const property = {
      failed: details.failed,
      numRuns: details.numRuns,
      numShrinks: details.numShrinks,
      path: details.counterexamplePath ?? undefined,
    };
    if (details.failed && details.counterexample) {
      const [attack] = details.counterexample;
      const asAttack = concretize(world, catalog, callable, attack, 'attack');
      for (const resolved of [asAttack, concretize(world, catalog, callable, controlOf(attack, asAttack), 'control')]) {
        if (!resolved) continue;
        const verdict = await runner.run(world, resolved.standing, resolved.statement, secrets(resolved));
        if (verdict.finding) {
          findings.push({
            resolved,
            outcome: verdict.outcome,
            finding: verdict.finding,
            seed: options.seed,
            path: property.path,
            runs: options.runs,
            phase: 'property',
          });
          break;
        }
      }
    } else if (details.failed) {
      throw new Error(`attack property did not complete: ${fc.defaultReportMessage(details)}`);
    }
    const propertyMs = Date.now() - propertyStarted;
    log(
      `property: ${attacks.property} attacks and ${controls.attempted} positive controls in ${propertyMs} ms` +
        (property.failed ? `, failed (${property.numShrinks} shrinks, path ${property.path})` : ''),
    );

    // Phase 3: controls nobody reached get a directed search.
    const controlsStarted = Date.now();
    const expected = expectedControls(catalog, callable);
    const toppedUp: string[] = [];
    for (const bucket of expected) {
      if (controls.succeeded[bucket]) continue;
      for (const attack of controlSamples(world, catalog, callable, bucket, options.seed)) {
        await controlOnce(attack);
        if (controls.succeeded[bucket]) {
          toppedUp.push(bucket);
          break;
        }
      }
    }
    const missing = expected.filter((b) => !controls.succeeded[b]);
    const controlsMs = Date.now() - controlsStarted;
    if (toppedUp.length > 0) log(`controls reached only by directed search: ${toppedUp.join(', ')}`);

    const scripts = findings.map((f) => replayScript(world, f));
    return {
      catalog,
      world,
      callable,
      gate,
      attacks,
      controls: { ...controls, expected, missing, toppedUp },
      findings,
      scripts,
      property,
      ms: { world: worldMs, sweep: sweepMs, property: propertyMs, controls: controlsMs },
    };
  } finally {
    await runner.close();
  }
}

/** The positive control of an attack: the same shape, by the same token, aimed at its own tenant. */
function controlOf(attack: Attack, resolved: Resolved | undefined): Attack {
  return resolved ? { ...attack, attacker: { suspicious: false, index: resolved.token.index } } : attack;
}

/** The sweep's attacks for one token, as ordinary Attack values (so they replay like any other). */
function sweepAttacks(catalog: Catalog, callable: FunctionTarget[], token: number): Attack[] {
  const attacker = { suspicious: false, index: token };
  const pick = (index: number) => ({ from: 'target' as const, named: true, index, text: '' });
  const out: Attack[] = [];
  catalog.relations.forEach((_, relation) => {
    const victim = { claimed: false, index: token + relation };
    const table = (op: Op): Attack => ({
      attacker,
      victim,
      target: { kind: 'table', relation, op },
    });
    const tenant = { conds: [{ c: 'tenant' as const }], or: false };
    out.push(
      table({ op: 'select', where: { conds: [], or: false }, limit: false, lock: false }),
      table({ op: 'select', where: tenant, limit: false, lock: false }),
      table({ op: 'update', column: 0, value: pick(0), where: tenant, move: 'none', returning: true }),
      // Without RETURNING: RETURNING makes the moved row pass the SELECT policy too, which would hide a weak WITH CHECK.
      // A move with no WHERE and no RETURNING reads no column, so only the UPDATE policy's WITH CHECK stands in its way.
      table({ op: 'update', column: 0, value: pick(0), where: { conds: [], or: false }, move: 'push', returning: false }),
      table({
        op: 'update',
        column: 0,
        value: pick(0),
        where: { conds: [{ c: 'row', row: 0 }], or: false },
        move: 'push',
        returning: false,
      }),
      table({ op: 'update', column: 0, value: pick(0), where: tenant, move: 'steal', returning: false }),
      table({ op: 'delete', where: tenant, returning: true }),
      table({ op: 'insert', template: 0, fromHome: true, freshKeys: true, allColumns: false, returning: true }),
      table({ op: 'upsert', template: 0, column: 0, nothing: false, returning: true }),
    );
  });
  callable.forEach((fn, index) => {
    const victim = { claimed: false, index: token + index };
    out.push({ attacker, victim, target: { kind: 'function', fn: index, args: fn.args.map((_, i) => pick(i)) } });
    // Empty strings and made-up ids: a search that matches everything, a lookup that should find nothing.
    if (fn.args.length > 0) {
      out.push({
        attacker,
        victim,
        target: {
          kind: 'function',
          fn: index,
          args: fn.args.map((_, i) => ({ from: 'random' as const, named: false, index: i, text: '' })),
        },
      });
    }
  });
  return out;
}
