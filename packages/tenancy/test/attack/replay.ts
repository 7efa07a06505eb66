import type { Param, Resolved } from './operations';
import type { Finding, Outcome } from './oracle';
import type { World } from './world';

/**
 * Counter-examples a person can act on: the world (tenants, users, sessions, memberships) and the
 * attack as a SQL script to paste into psql on the suite's database, plus the seed and path that
 * make `pnpm test:attack` generate the same world and replay the same shrunk attack.
 */

export function literal(p: Param): string {
  return p.value === null ? `null::${p.type}` : `'${p.value.replaceAll("'", "''")}'::${p.type}`;
}

/** The statement with its parameters written in, highest number first so $1 never eats $10. */
export function inline(sql: string, params: Param[]): string {
  let out = sql;
  for (let i = params.length; i >= 1; i--) {
    out = out.replaceAll(`$${i}::${params[i - 1]?.type}`, literal(params[i - 1] as Param));
  }
  return out;
}

export function describeWorld(world: World): string {
  const lines = ['-- world:'];
  for (const t of world.tenants) lines.push(`--   ${t.label} ${t.id} slug ${t.slug} canary ${t.canary}`);
  for (const u of world.users) {
    const sessions = u.sessions.map((s) => `${s.id} ${s.status}`).join(', ') || 'none';
    const member = world.memberships
      .filter((m) => m.user === u.index)
      .map((m) => `${world.tenants[m.tenant]?.label}:${m.role}`)
      .join(' ');
    lines.push(`--   ${u.label} ${u.user.id} ${u.user.email} member of [${member}] sessions [${sessions}]`);
  }
  lines.push('-- history:', ...world.history.map((h) => `--   ${h}`));
  return lines.join('\n');
}

export interface Replay {
  resolved: Resolved;
  outcome: Outcome;
  finding: Finding;
  seed: number;
  path?: string;
  runs: number;
  phase: 'sweep' | 'property';
}

export function replayScript(world: World, replay: Replay): string {
  const { resolved, outcome, finding } = replay;
  const { token, standing, statement } = resolved;
  const victim = world.tenants[resolved.target];
  const command =
    replay.phase === 'property'
      ? `pnpm test:attack --runs ${replay.runs} --seed ${replay.seed}${replay.path ? ` --path ${replay.path}` : ''}`
      : `pnpm test:attack --seed ${replay.seed}  (found by the sweep, which runs before the property)`;
  return [
    `-- Bulkhead attack suite: ${finding.kind === 'leak' ? 'LEAK' : 'FOREIGN DATA CHANGED'} through ${statement.target}`,
    ...finding.evidence.map((e) => `--   ${e}`),
    `-- seed ${replay.seed}${replay.path ? ` path ${replay.path}` : ''}; replay: ${command}`,
    `-- attacker: ${token.label} (${token.user.user.email}), session ${standing.live ? 'live' : token.session.status}, ` +
      `member of [${[...standing.memberOf].map((t) => world.tenants[t]?.label).join(' ')}], aiming at ${victim?.label}`,
    `-- outcome: ${outcome.ok ? `${outcome.rowCount} row(s)` : `${outcome.code} ${outcome.error}`}`,
    describeWorld(world),
    'begin;',
    `select set_config('request.jwt.claims', '${JSON.stringify(token.claims).replaceAll("'", "''")}', true);`,
    ...Object.entries(token.settings ?? {}).map(
      ([name, value]) => `select set_config('${name}', '${value.replaceAll("'", "''")}', true);`,
    ),
    'set local role authenticated;',
    `${inline(statement.sql, statement.params)};`,
    'rollback;',
  ].join('\n');
}
