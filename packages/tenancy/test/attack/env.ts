/**
 * The attack suite's knobs, from the environment (`pnpm test:attack --runs N --seed S --path P`
 * sets them; see cli.mjs). Without them: 2,000 generated attacks and a fresh seed, logged, so
 * any CI failure can be replayed.
 */

function integer(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return value;
}

export const attackEnv = {
  /** Generated attacks in the property phase (each with its positive control). */
  runs: integer('ATTACK_RUNS', 2000),
  /** fast-check seed: the world and the attacks derive from it. */
  seed: integer('ATTACK_SEED', (Date.now() ^ (Math.random() * 0x7fffffff)) | 0),
  /** fast-check path of a counter-example, to replay just it. */
  path: process.env.ATTACK_PATH || undefined,
};
