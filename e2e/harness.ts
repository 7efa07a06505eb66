import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@bulkhead/local-stack/cluster';
import { createThrowawayStack } from '@bulkhead/local-stack/throwaway-stack';

/**
 * The end-to-end world: one throwaway local stack (its own data directory and ports, so it runs
 * beside a developer's `pnpm dev`) and both apps from their production builds (`next start`),
 * shared by every spec. The global setup writes where everything is to world.json.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const worldFile = join(dirname(fileURLToPath(import.meta.url)), '.world.json');

export interface World {
  env: Record<string, string>;
  web: string;
  admin: string;
}

export function readWorld(): World {
  return JSON.parse(readFileSync(worldFile, 'utf8')) as World;
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

/**
 * Starts the stack and both apps, writes world.json for the specs, and returns the function that
 * stops it all (Playwright's global teardown).
 */
export async function startWorld(): Promise<() => Promise<void>> {
  const stack = await createThrowawayStack();
  await stack.cli('up');
  const env = await stack.env();
  const [web, admin] = await Promise.all([startApp('web', env), startApp('admin', env)]);
  const world: World = { env, web: web.url, admin: admin.url };
  writeFileSync(worldFile, JSON.stringify(world, null, 2));
  return async () => {
    for (const pid of [web.pid, admin.pid]) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await stack.dispose();
    rmSync(worldFile, { force: true });
  };
}
