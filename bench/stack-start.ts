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

/** Runs `fn` against a throwaway stack (own data directory and ports), then stops it. */
export async function withThrowawayStack<T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-bench-stack-'));
  chmodSync(dir, 0o755);
  const { DATABASE_URL: _external, ...callerEnv } = process.env;
  const env = {
    ...callerEnv,
    BULKHEAD_STACK_DIR: dir,
    BULKHEAD_API_PORT: String(await freePort()),
    BULKHEAD_DB_PORT: String(await freePort()),
  };
  const cli = (command: string) => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', command], { cwd: localStackDir, env });
  try {
    await cli('up');
    const { stdout } = await cli('env');
    const vars = Object.fromEntries(
      stdout
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    return await fn(vars);
  } finally {
    await cli('down').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `pnpm stack up` on an empty data directory (cold) and after `down` (warm), several times. */
export async function benchStackStart(rounds = 5) {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < rounds; i++) {
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
      await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', command], { cwd: localStackDir, env });
      return Date.now() - start;
    };
    try {
      cold.push(await cli('up'));
      await cli('down');
      warm.push(await cli('up'));
      await cli('down');
    } finally {
      rmSync(dir, { recursive: true, force: true });
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
