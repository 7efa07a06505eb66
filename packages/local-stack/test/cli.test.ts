import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createThrowawayStack } from '../src/throwaway-stack';

/**
 * Drives `pnpm stack` the way a developer does, on its own data directory and ports, so it can
 * run beside a developer's stack. Start-up times are printed (benchmarks own the numbers).
 */
const throwaway = await createThrowawayStack();
const { ports } = throwaway;
const stack = throwaway.cli;

afterAll(() => throwaway.dispose());

describe('pnpm stack', () => {
  it('up, status, env, reset, down, and a warm restart', async () => {
    const cold = await stack('up');
    console.log(`stack up on an empty data directory: ${cold.ms} ms`);
    expect(cold.stdout).toMatch(/stack is running/);

    const status = await stack('status');
    expect(status.stdout).toContain(`embedded PostgreSQL 17 on 127.0.0.1:${ports.db}`);

    const vars = await throwaway.env();
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
