import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root: the nearest folder above this package holding pnpm-workspace.yaml. */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('local-stack: cannot find the repository root (pnpm-workspace.yaml)');
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot();
export const supabaseDir = join(repoRoot, 'supabase');
export const migrationsDir = join(supabaseDir, 'migrations');
export const configTomlPath = join(supabaseDir, 'config.toml');
export const seedPath = join(supabaseDir, 'seed.sql');
export const bootstrapDir = resolve(dirname(fileURLToPath(import.meta.url)), 'bootstrap');

/** Everything the stack keeps on disk for one stack directory (default `.bulkhead/`). */
export function stackPaths(stackDir: string) {
  return {
    root: stackDir,
    pgData: join(stackDir, 'pg17'),
    state: join(stackDir, 'state.json'),
    log: join(stackDir, 'stack.log'),
    signingKeys: join(stackDir, 'signing-keys.json'),
    stripeState: join(stackDir, 'stripe.json'),
  };
}
