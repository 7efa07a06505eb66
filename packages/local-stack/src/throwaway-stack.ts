import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './ports';

/**
 * A whole local stack on its own data directory and free ports, driven through the same CLI a
 * developer uses, so it runs beside a developer's `pnpm dev`. The CLI test, the end-to-end
 * suite and the benchmarks all start their stacks this way.
 */
const run = promisify(execFile);
const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

export interface ThrowawayStack {
  dir: string;
  ports: { api: number; db: number; stripe: number };
  /** Runs `pnpm stack <args>`; resolves with its output and wall time, rejects on a non-zero exit. */
  cli(...args: string[]): Promise<{ stdout: string; stderr: string; ms: number }>;
  /** The variables `pnpm stack env` prints. */
  env(): Promise<Record<string, string>>;
  /** Stops the stack (if running) and deletes its data. */
  dispose(): Promise<void>;
}

/** `KEY=value` lines, as `pnpm stack env` prints them, to an object. */
export function parseStackEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

export interface ThrowawayStackOptions {
  /** Where the Stripe stand-in delivers webhooks (default: the web app on port 3000). */
  stripeWebhookUrl?: string;
}

export async function createThrowawayStack(options: ThrowawayStackOptions = {}): Promise<ThrowawayStack> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-stack-'));
  chmodSync(dir, 0o755); // the server may run as the OS user postgres
  const ports = { api: await freePort(), db: await freePort(), stripe: await freePort() };
  // Always the embedded server: a DATABASE_URL in the caller's environment must not leak in.
  const { DATABASE_URL: _external, ...callerEnv } = process.env;
  const env = {
    ...callerEnv,
    BULKHEAD_STACK_DIR: dir,
    BULKHEAD_API_PORT: String(ports.api),
    BULKHEAD_DB_PORT: String(ports.db),
    BULKHEAD_STRIPE_PORT: String(ports.stripe),
    ...(options.stripeWebhookUrl ? { BULKHEAD_STRIPE_WEBHOOK_URL: options.stripeWebhookUrl } : {}),
  };
  const cli = async (...args: string[]) => {
    const started = Date.now();
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: packageDir, env });
    return { stdout, stderr, ms: Date.now() - started };
  };
  return {
    dir,
    ports,
    cli,
    env: async () => parseStackEnv((await cli('env')).stdout),
    dispose: async () => {
      await cli('down').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
