import type pg from 'pg';
import { type AdoptionRecord, readRecords, readTable, STEPS, type Step } from './catalog';
import { dependsOn, type Mapping, type TableMapping } from './mapping';
import type { GeneratedMigration } from './migration-files';
import { shadowReport } from './report';
import { display, slug } from './sql';
import { backfillStep, undoBackfill } from './steps/backfill';
import { bookkeepingSql } from './steps/bookkeeping';
import { columnStep, undoColumn } from './steps/column';
import { constrainStep, undoConstrain } from './steps/constrain';
import { header, type StepContext, same } from './steps/context';
import { enforceStep, undoEnforce } from './steps/enforce';
import { shadowStep, undoShadow } from './steps/shadow';
import { validateStep } from './steps/validate';

/**
 * Which migrations to write next, read from the database's catalog and bulkhead_adopt.tables:
 *   prepare    step 1 (nullable tenant_id, insert trigger) and step 2 (backfill machinery)
 *   constrain  step 3 (validation gate) and step 4 (NOT NULL, tenant keys)
 *   shadow     step 5
 *   enforce    step 6, refused while shadow findings are unexplained unless forced with a reason
 * and `rollback` to any earlier step (or `none`: the table as it was). Each table moves on its
 * own; a step for a table whose previous step is not applied yet is refused.
 */

export type Action = 'prepare' | 'constrain' | 'shadow' | 'enforce';
export const ACTIONS: Action[] = ['prepare', 'constrain', 'shadow', 'enforce'];

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

const required: Record<Action, Step | null> = { prepare: null, constrain: 'backfill', shadow: 'constrain', enforce: 'shadow' };

export interface PlanOptions {
  action: Action;
  /** Tables to move (schema.name); all tables of the mapping when empty. */
  tables: string[];
  /** enforce over unexplained shadow findings: the reason is written into the migration and the log. */
  force?: { reason: string };
}

function selected(mapping: Mapping, tables: string[]): TableMapping[] {
  if (tables.length === 0) return mapping.tables;
  const wanted = tables.map((t) => (t.includes('.') ? t : `public.${t}`));
  for (const w of wanted) {
    if (!mapping.tables.some((t) => display(t.table) === w)) throw new PlanError(`${w} is not in the mapping file`);
  }
  return mapping.tables.filter((t) => wanted.includes(display(t.table)));
}

/** Tables this one must follow in step 4: the end of its path and every adopted table its foreign keys reference. */
function references(t: TableMapping, ctx: StepContext, mapping: Mapping): TableMapping[] {
  const out = new Set<TableMapping>();
  const parent = dependsOn(t, mapping.tables);
  if (parent) out.add(parent);
  for (const fk of ctx.original.foreignKeys) {
    const target = mapping.tables.find((m) => same(m.table, fk.refTable) && !same(m.table, t.table));
    if (target) out.add(target);
  }
  return [...out];
}

function migrationName(t: TableMapping, step: string): string {
  return `adopt_${slug(t.table)}_${step}`;
}

export async function plan(client: pg.ClientBase, mapping: Mapping, options: PlanOptions): Promise<GeneratedMigration[]> {
  const records = await readRecords(client);
  const tables = selected(mapping, options.tables);
  const need = required[options.action];
  const problems: string[] = [];
  for (const t of tables) {
    const record = records.get(display(t.table));
    const step = record?.step ?? null;
    if (step !== need) {
      problems.push(
        `${display(t.table)} is at step ${step ?? 'none'}; ${options.action} needs ${need ?? 'a table not yet adopted'}` +
          ` (pnpm tenancy:adopt status)`,
      );
    }
  }
  if (problems.length > 0) throw new PlanError(problems.join('\n'));

  const contexts = new Map<TableMapping, StepContext>();
  for (const t of tables) {
    const record = records.get(display(t.table));
    contexts.set(t, { mapping: t, all: mapping, original: record ? record.original : await readTable(client, t.table) });
  }

  const out: GeneratedMigration[] = [];
  if (options.action === 'prepare') {
    const { rows } = await client.query<{ ok: boolean }>(`select to_regnamespace('bulkhead_adopt') is not null as ok`);
    if (!rows[0]?.ok) out.push({ name: 'adopt_bookkeeping', sql: bookkeepingSql() });
    for (const t of tables) {
      const ctx = contexts.get(t) as StepContext;
      out.push({ name: migrationName(t, 'add_tenant_id'), sql: columnStep(ctx) });
      out.push({ name: migrationName(t, 'backfill_tenant_id'), sql: backfillStep(ctx) });
    }
    return out;
  }

  if (options.action === 'constrain') {
    // Referenced tables get their (tenant_id, key) first: the composite foreign keys point at it.
    const done = new Set<TableMapping>();
    const atLeastConstrained = (t: TableMapping) => {
      const step = records.get(display(t.table))?.step;
      return step !== undefined && STEPS.indexOf(step) >= STEPS.indexOf('constrain');
    };
    const pending = [...tables];
    while (pending.length > 0) {
      const next = pending.find((t) =>
        references(t, contexts.get(t) as StepContext, mapping).every((r) => done.has(r) || atLeastConstrained(r)),
      );
      if (!next) {
        const blocked = pending.map(
          (t) =>
            `${display(t.table)} (waits for ${references(t, contexts.get(t) as StepContext, mapping)
              .filter((r) => !done.has(r) && !atLeastConstrained(r))
              .map((r) => display(r.table))
              .join(', ')})`,
        );
        throw new PlanError(`constrain the referenced tables first, or together: ${blocked.join('; ')}`);
      }
      const ctx = contexts.get(next) as StepContext;
      out.push({ name: migrationName(next, 'validate_tenant_id'), sql: validateStep(ctx) });
      out.push({ name: migrationName(next, 'constrain_tenant_id'), sql: constrainStep(ctx) });
      done.add(next);
      pending.splice(pending.indexOf(next), 1);
    }
    return out;
  }

  if (options.action === 'shadow') {
    for (const t of tables) out.push({ name: migrationName(t, 'shadow_mode'), sql: shadowStep(contexts.get(t) as StepContext) });
    return out;
  }

  // enforce: the report gate.
  const refusals: string[] = [];
  for (const t of tables) {
    const open = (await shadowReport(client, display(t.table))).filter((f) => f.unexplained > 0);
    if (open.length > 0) {
      refusals.push(
        `${display(t.table)}: ${open.map((f) => `${f.caller} (${f.unexplained} unexplained finding(s) on ${f.rows} row(s))`).join(', ')}`,
      );
    }
  }
  if (refusals.length > 0 && !options.force) {
    throw new PlanError(
      `refusing to enforce with unexplained shadow findings:\n  ${refusals.join('\n  ')}\n` +
        'Explain each caller (pnpm tenancy:adopt explain --table T --caller C --reason "…") or fix the queries, ' +
        'or enforce anyway with --force --reason "…".',
    );
  }
  if (options.force && options.force.reason.trim().length < 10) {
    throw new PlanError('--force needs --reason "…" saying why enforcing over these findings is right (at least 10 characters)');
  }
  for (const t of tables) {
    const reason = refusals.some((r) => r.startsWith(`${display(t.table)}:`)) ? (options.force?.reason.trim() ?? null) : null;
    out.push({ name: migrationName(t, 'enforce'), sql: enforceStep(contexts.get(t) as StepContext, reason) });
  }
  return out;
}

export type RollbackTarget = Step | 'none';

const undo: Record<Step, (ctx: StepContext) => string> = {
  enforce: undoEnforce,
  shadow: undoShadow,
  constrain: undoConstrain,
  backfill: undoBackfill,
  column: undoColumn,
};

/** One migration per table that undoes its steps above `to`, newest first. */
export async function planRollback(
  client: pg.ClientBase,
  mapping: Mapping,
  tables: string[],
  to: RollbackTarget,
): Promise<GeneratedMigration[]> {
  const records = await readRecords(client);
  const chosen = selected(mapping, tables);
  const target = to === 'none' ? -1 : STEPS.indexOf(to);
  const out: GeneratedMigration[] = [];
  const rolledBack = new Set<string>();
  // Children first: a table's tenant key can only go once nothing references it.
  for (const t of [...chosen].reverse()) {
    const record: AdoptionRecord | undefined = records.get(display(t.table));
    if (!record) throw new PlanError(`${display(t.table)} is not being adopted (nothing to roll back)`);
    const at = STEPS.indexOf(record.step);
    if (at <= target) throw new PlanError(`${display(t.table)} is at step ${record.step}, not above ${to}`);
    const ctx: StepContext = { mapping: t, all: mapping, original: record.original };
    if (at >= STEPS.indexOf('constrain') && target < STEPS.indexOf('constrain')) {
      for (const [name, other] of records) {
        if (name === display(t.table) || rolledBack.has(name)) continue;
        const pointsHere = other.original.foreignKeys.some((fk) => same(fk.refTable, t.table));
        if (pointsHere && STEPS.indexOf(other.step) >= STEPS.indexOf('constrain')) {
          throw new PlanError(
            `${name} references ${display(t.table)} through its tenant key: roll it back below constrain first (or together)`,
          );
        }
      }
    }
    const parts: string[] = [];
    for (let i = at; i > target; i--) parts.push(`-- undo ${STEPS[i]}\n${undo[STEPS[i] as Step](ctx)}`);
    out.push({
      name: migrationName(t, `rollback_to_${to}`),
      sql: `${header(`Adoption rollback of ${display(t.table)}: from ${record.step} back to ${to}`, [
        'Undoes the adoption steps newest first, restoring what bulkhead_adopt.tables recorded before step 1.',
        ...(to === 'none' ? ['Afterwards the table is exactly as it was, and no longer in bulkhead_adopt.tables.'] : []),
      ])}\n${parts.join('\n\n')}\n`,
    });
    rolledBack.add(display(t.table));
  }
  return out;
}
