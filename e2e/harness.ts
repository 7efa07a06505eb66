import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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

async function startApp(app: 'web' | 'admin', env: Record<string, string>, port: number): Promise<{ url: string; pid: number }> {
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

/** Puts the billing catalog (plans, prices, features) into the stack's Stripe stand-in. */
async function syncBillingCatalog(env: Record<string, string>): Promise<void> {
  await promisify(execFile)('pnpm', ['billing:sync-catalog'], { cwd: root, env: { ...process.env, ...env } });
}

/**
 * Starts the stack and both apps, writes world.json for the specs, and returns the function that
 * stops it all (Playwright's global teardown).
 */
export async function startWorld(): Promise<() => Promise<void>> {
  // The web app's port is chosen first: the stack's Stripe stand-in delivers webhooks to it.
  const [webPort, adminPort] = [await freePort(), await freePort()];
  process.env.BULKHEAD_STRIPE_WEBHOOK_URL = `http://127.0.0.1:${webPort}/api/stripe/webhook`;
  const stack = await createThrowawayStack();
  await stack.cli('up');
  const env = await stack.env();
  await syncBillingCatalog(env);
  const [web, admin] = await Promise.all([startApp('web', env, webPort), startApp('admin', env, adminPort)]);
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
