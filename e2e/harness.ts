import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The end-to-end world: one throwaway local stack (its own data directory and ports, so it runs
 * beside a developer's `pnpm dev`) and both apps from their production builds (`next start`),
 * shared by every spec. The global setup writes where everything is to world.json.
 */
const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const worldFile = join(dirname(fileURLToPath(import.meta.url)), '.world.json');

export interface World {
  stackDir: string;
  env: Record<string, string>;
  web: string;
  admin: string;
  pids: number[];
}

export function readWorld(): World {
  return JSON.parse(readFileSync(worldFile, 'utf8')) as World;
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

function stackCli(env: NodeJS.ProcessEnv, ...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: join(root, 'packages/local-stack'), env });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
      last = `${res.status} ${await res.text()}`;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} was not healthy within ${timeoutMs} ms (last: ${last})`);
}

async function startApp(app: 'web' | 'admin', env: Record<string, string>): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const appDir = join(root, 'apps', app);
  const child = spawn(join(appDir, 'node_modules/.bin/next'), ['start', '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: appDir,
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  child.unref();
  await waitForHttp(`${url}/api/health`, child);
  return { url, pid: child.pid ?? -1 };
}

export async function startWorld(): Promise<World> {
  const stackDir = mkdtempSync(join(tmpdir(), 'bulkhead-e2e-'));
  chmodSync(stackDir, 0o755);
  const { DATABASE_URL: _external, ...callerEnv } = process.env;
  const stackEnv = {
    ...callerEnv,
    BULKHEAD_STACK_DIR: stackDir,
    BULKHEAD_API_PORT: String(await freePort()),
    BULKHEAD_DB_PORT: String(await freePort()),
  };
  await stackCli(stackEnv, 'up');
  const { stdout } = await stackCli(stackEnv, 'env');
  const env = Object.fromEntries(
    stdout
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const [web, admin] = await Promise.all([startApp('web', env), startApp('admin', env)]);
  const world: World = {
    stackDir,
    env: { ...env, BULKHEAD_STACK_DIR: stackDir },
    web: web.url,
    admin: admin.url,
    pids: [web.pid, admin.pid],
  };
  writeFileSync(worldFile, JSON.stringify(world, null, 2));
  return world;
}

export async function stopWorld(): Promise<void> {
  const world = readWorld();
  for (const pid of world.pids) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const { DATABASE_URL: _external, ...callerEnv } = process.env;
  await stackCli({ ...callerEnv, BULKHEAD_STACK_DIR: world.stackDir }, 'down').catch(() => undefined);
  rmSync(world.stackDir, { recursive: true, force: true });
  rmSync(worldFile, { force: true });
}
