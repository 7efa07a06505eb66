import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@bulkhead/local-stack/cluster';
import { percentile } from './stats';

const run = promisify(execFile);
const localStackDir = join(dirname(fileURLToPath(import.meta.url)), '../packages/local-stack');

/**
 * A throwaway stack: its own data directory and ports (so it runs beside a developer's), driven
 * through the same CLI a developer uses. `cli` resolves to the command's wall time in ms.
 */
async function throwawayStack() {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-bench-stack-'));
  chmodSync(dir, 0o755);
  const { DATABASE_URL: _external, ...callerEnv } = process.env;
  const env = {
    ...callerEnv,
    BULKHEAD_STACK_DIR: dir,
    BULKHEAD_API_PORT: String(await freePort()),
    BULKHEAD_DB_PORT: String(await freePort()),
  };
  const cli = async (command: string) => {
    const start = Date.now();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', command], { cwd: localStackDir, env });
    return { ms: Date.now() - start, stdout };
  };
  const dispose = async () => {
    await cli('down').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  return { cli, dispose };
}

/** Runs `fn` against a throwaway stack, with the variables `pnpm stack env` prints. */
export async function withThrowawayStack<T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const stack = await throwawayStack();
  try {
    await stack.cli('up');
    const { stdout } = await stack.cli('env');
    const vars = Object.fromEntries(
      stdout
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    return await fn(vars);
  } finally {
    await stack.dispose();
  }
}

/** `pnpm stack up` on an empty data directory (cold) and after `down` (warm), several times. */
export async function benchStackStart(rounds = 5) {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const stack = await throwawayStack();
    try {
      cold.push((await stack.cli('up')).ms);
      await stack.cli('down');
      warm.push((await stack.cli('up')).ms);
    } finally {
      await stack.dispose();
    }
  }
  return {
    rounds,
    coldP50: percentile(cold, 50),
    coldMax: Math.max(...cold),
    warmP50: percentile(warm, 50),
    warmMax: Math.max(...warm),
  };
}
