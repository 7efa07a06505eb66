import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSupabaseConfig, stackPorts } from './config';
import { stackEnv } from './env';
import { LOCAL_DB_PASSWORD } from './keys';
import { repoRoot, stackPaths } from './paths';
import { resetDatabase } from './reset';
import { clearState, isAlive, readState, type StackState } from './state';
import { resetStackStripe } from './stripe/stack';

const paths = stackPaths(stackEnv.stackDir);
// `pnpm stack env | head` closes the pipe early; that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});
const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

function runningState(): StackState | null {
  const state = readState(paths.state);
  return state && isAlive(state.pid) ? state : null;
}

function printEnv(env: Record<string, string>): void {
  for (const [key, value] of Object.entries(env)) console.log(`${key}=${value}`);
}

async function waitForDaemon(pid: number, timeoutMs: number): Promise<StackState> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = readState(paths.state);
    if (state?.pid === pid && (state.status === 'ready' || state.status === 'failed')) return state;
    if (!isAlive(pid)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const state = readState(paths.state);
  if (state?.pid === pid && state.status !== 'starting') return state;
  throw new Error(`the stack did not become ready; see ${paths.log}`);
}

async function up(): Promise<StackState> {
  const running = runningState();
  if (running?.status === 'ready') return running;
  mkdirSync(paths.root, { recursive: true });
  const log = openSync(paths.log, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(packageDir, 'src', 'daemon.ts')], {
    cwd: packageDir,
    detached: true,
    stdio: ['ignore', log, log],
    env: process.env,
  });
  child.unref();
  const state = await waitForDaemon(child.pid ?? -1, 60_000);
  if (state.status === 'failed') throw new Error(state.error ?? 'the stack failed to start');
  return state;
}

async function down(): Promise<void> {
  const state = runningState();
  if (!state) {
    clearState(paths.state);
    console.log('stack is not running');
    return;
  }
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (isAlive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(state.pid)) process.kill(state.pid, 'SIGKILL');
  clearState(paths.state);
  console.log('stack stopped');
}

function describe(state: StackState): void {
  const ports = stackPorts(loadSupabaseConfig(), stackEnv);
  console.log(`stack is running (pid ${state.pid}, ready in ${state.readyInMs} ms)`);
  console.log(
    `  postgres: ${state.postgres === 'embedded' ? `embedded PostgreSQL 17 on 127.0.0.1:${ports.db}` : 'external (DATABASE_URL)'}`,
  );
  console.log(`  database: ${state.database === 'supabase' ? 'already a Supabase database' : 'Supabase bootstrap applied'}`);
  console.log(
    `  auth:     ${state.database === 'supabase' ? 'served by that Supabase' : `local auth server on ${state.env?.API_URL}/auth/v1`}`,
  );
  if (state.env?.STRIPE_API_URL) console.log(`  stripe:   local Stripe stand-in on ${state.env.STRIPE_API_URL}`);
  console.log('');
  printEnv(state.env ?? {});
}

async function main(): Promise<void> {
  const [command = 'status', ...rest] = process.argv.slice(2);
  switch (command) {
    case 'up': {
      const started = Date.now();
      const state = await up();
      describe(state);
      console.log(`\nup in ${Date.now() - started} ms`);
      return;
    }
    case 'down':
      return down();
    case 'reset': {
      const state = await up();
      if (state.database === 'supabase') throw new Error('this database belongs to supabase start: use `supabase db reset`');
      const ports = stackPorts(loadSupabaseConfig(), stackEnv);
      const superuserUrl =
        stackEnv.databaseUrl ?? `postgresql://supabase_admin:${LOCAL_DB_PASSWORD}@127.0.0.1:${ports.db}/postgres`;
      await resetDatabase(superuserUrl, LOCAL_DB_PASSWORD);
      console.log('database reset: bootstrap, migrations and seed applied');
      if (await resetStackStripe(state.env)) console.log('local Stripe stand-in reset: empty account');
      return;
    }
    case 'status': {
      const state = runningState();
      if (state?.status !== 'ready') {
        console.log('stack is not running (start it with `pnpm stack up`)');
        process.exitCode = 1;
        return;
      }
      describe(state);
      return;
    }
    case 'env': {
      const state = runningState();
      if (!state?.env) throw new Error('stack is not running (start it with `pnpm stack up`)');
      printEnv(state.env);
      return;
    }
    case 'exec': {
      // Runs a command with the stack's variables in its environment: `pnpm stack exec -- cmd`.
      const state = runningState();
      if (!state?.env) throw new Error('stack is not running (start it with `pnpm stack up`)');
      const args = rest[0] === '--' ? rest.slice(1) : rest;
      if (!args[0]) throw new Error('usage: pnpm stack exec -- <command> [args]');
      // From the repository root, whichever package pnpm ran this script in.
      const result = spawnSync(args[0], args.slice(1), {
        stdio: 'inherit',
        cwd: repoRoot,
        env: { ...state.env, ...process.env },
      });
      process.exitCode = result.status ?? 1;
      return;
    }
    default:
      throw new Error(`unknown command "${command}". Commands: up, down, reset, status, env, exec`);
  }
}

main().catch((error: unknown) => {
  console.error(`stack: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
