#!/usr/bin/env node
// `pnpm test:attack [--runs N] [--seed S] [--path P] [vitest args…]`: the attack suite, the planted
// regressions and the load-and-leak test, with more generated attacks or a given seed (to replay
// a failure logged by CI). Flags become the environment variables env.ts reads; everything else
// goes to vitest unchanged.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const flags = { '--runs': 'ATTACK_RUNS', '--seed': 'ATTACK_SEED', '--path': 'ATTACK_PATH' };
const env = { ...process.env };
const passthrough = [];
const args = process.argv.slice(2).filter((arg) => arg !== '--');
for (let i = 0; i < args.length; i++) {
  const [name, inline] = args[i].split(/=(.*)/s);
  if (name in flags) {
    const value = inline ?? args[++i];
    if (value === undefined || value === '') {
      console.error(`test:attack: ${name} needs a value`);
      process.exit(2);
    }
    if (name !== '--path' && !/^-?\d+$/.test(value)) {
      console.error(`test:attack: ${name} must be an integer, got ${value}`);
      process.exit(2);
    }
    env[flags[name]] = value;
  } else {
    passthrough.push(args[i]);
  }
}

const tenancy = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const result = spawnSync('pnpm', ['exec', 'vitest', 'run', 'test/attack', ...passthrough], {
  cwd: tenancy,
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
