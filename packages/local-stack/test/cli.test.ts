import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/ports';

/**
 * Drives `pnpm stack` the way a developer does, on its own data directory and ports, so it can
 * run beside a developer's stack. Start-up times are printed (benchmarks own the numbers).
 */
const run = promisify(execFile);
const stackDir = mkdtempSync(join(tmpdir(), 'bulkhead-stack-'));
chmodSync(stackDir, 0o755);
const ports = { api: await freePort(), db: await freePort() };
// Always the embedded server: a DATABASE_URL in the caller's environment must not leak in.
const { DATABASE_URL: _ignored, ...callerEnv } = process.env;
const env = {
  ...callerEnv,
  BULKHEAD_STACK_DIR: stackDir,
  BULKHEAD_API_PORT: String(ports.api),
  BULKHEAD_DB_PORT: String(ports.db),
};

async function stack(...args: string[]) {
  const started = Date.now();
  const result = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env, cwd: join(__dirname, '..') });
  return { ...result, ms: Date.now() - started };
}

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

afterAll(async () => {
  await stack('down').catch(() => undefined);
  rmSync(stackDir, { recursive: true, force: true });
});

describe('pnpm stack', () => {
  it('up, status, env, reset, down, and a warm restart', async () => {
    const cold = await stack('up');
    console.log(`stack up on an empty data directory: ${cold.ms} ms`);
    expect(cold.stdout).toMatch(/stack is running/);

    const status = await stack('status');
    expect(status.stdout).toContain(`embedded PostgreSQL 17 on 127.0.0.1:${ports.db}`);

    const vars = parseEnv((await stack('env')).stdout);
    expect(Object.keys(vars)).toEqual(
      expect.arrayContaining([
        'API_URL',
        'DB_URL',
        'ANON_KEY',
        'SERVICE_ROLE_KEY',
        'JWT_SECRET',
        'PUBLISHABLE_KEY',
        'SECRET_KEY',
      ]),
    );
    expect(vars.API_URL).toBe(`http://127.0.0.1:${ports.api}`);
    const health = await fetch(`${vars.API_URL}/auth/v1/health`);
    expect(health.status).toBe(200);

    // DB_URL is the postgres login, as `supabase status` prints it, and it is not a superuser.
    const client = new pg.Client({ connectionString: vars.DB_URL });
    await client.connect();
    const who = await client.query(`select current_user, (select rolsuper from pg_roles where rolname = current_user) as super`);
    expect(who.rows[0]).toEqual({ current_user: 'postgres', super: false });
    await client.query('create table public.scratch (id int)');
    await client.end();

    await stack('reset');
    const afterReset = new pg.Client({ connectionString: vars.DB_URL });
    await afterReset.connect();
    const scratch = await afterReset.query(`select to_regclass('public.scratch') as t`);
    expect(scratch.rows[0].t).toBeNull();
    const migrations = await afterReset.query('select count(*)::int as n from supabase_migrations.schema_migrations');
    expect(migrations.rows[0].n).toBeGreaterThanOrEqual(0);
    await afterReset.end();

    expect((await stack('down')).stdout).toMatch(/stack stopped/);
    await expect(stack('status')).rejects.toMatchObject({ code: 1 });

    const warm = await stack('up');
    console.log(`stack up, warm restart: ${warm.ms} ms`);
    expect(warm.stdout).toMatch(/stack is running/);
    await stack('down');
  });

  it('reports a port that is taken instead of hanging', async () => {
    const net = await import('node:net');
    const blocker = net.createServer().listen(ports.db, '127.0.0.1');
    try {
      await expect(stack('up')).rejects.toMatchObject({ stderr: expect.stringMatching(/port \d+ is already in use/) });
    } finally {
      blocker.close();
    }
  });
});
