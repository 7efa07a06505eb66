import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../src/testing/index';

const cluster = inject('cluster');
let db: TestDatabase;
let admin: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase(cluster);
  admin = new pg.Client({ connectionString: db.superuserUrl });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await db?.drop();
});

async function role(name: string) {
  const { rows } = await admin.query(
    `select rolsuper, rolbypassrls, rolcanlogin, rolinherit, rolcreaterole, rolcreatedb
       from pg_roles where rolname = $1`,
    [name],
  );
  expect(rows, `role ${name} exists`).toHaveLength(1);
  return rows[0];
}

describe('Supabase roles', () => {
  it(`have Supabase's attributes (server ${cluster.serverVersion})`, async () => {
    expect(await role('supabase_admin')).toMatchObject({ rolsuper: true, rolcanlogin: true });
    expect(await role('postgres')).toEqual({
      rolsuper: false,
      rolbypassrls: true,
      rolcanlogin: true,
      rolinherit: true,
      rolcreaterole: true,
      rolcreatedb: true,
    });
    expect(await role('anon')).toMatchObject({ rolsuper: false, rolbypassrls: false, rolcanlogin: false });
    expect(await role('authenticated')).toMatchObject({ rolsuper: false, rolbypassrls: false, rolcanlogin: false });
    expect(await role('service_role')).toMatchObject({ rolsuper: false, rolbypassrls: true, rolcanlogin: false });
    expect(await role('authenticator')).toMatchObject({ rolbypassrls: false, rolcanlogin: true, rolinherit: false });
    expect(await role('supabase_auth_admin')).toMatchObject({
      rolsuper: false,
      rolbypassrls: false,
      rolcanlogin: true,
      rolinherit: false,
      rolcreaterole: false,
    });
  });

  it('lets authenticator switch to the API roles only', async () => {
    const { rows } = await admin.query(
      `select r.rolname from pg_auth_members m
         join pg_roles r on r.oid = m.roleid
         join pg_roles u on u.oid = m.member
        where u.rolname = 'authenticator' order by 1`,
    );
    expect(rows.map((r) => r.rolname)).toEqual(['anon', 'authenticated', 'service_role']);
  });

  it('owns the auth tables by supabase_auth_admin, with RLS on', async () => {
    const { rows } = await admin.query(
      `select c.relname, pg_get_userbyid(c.relowner) as owner, c.relrowsecurity
         from pg_class c where c.relnamespace = 'auth'::regnamespace and c.relkind = 'r' order by 1`,
    );
    const names = rows.map((r) => r.relname);
    expect(names).toEqual(expect.arrayContaining(['users', 'identities', 'sessions', 'refresh_tokens']));
    for (const row of rows) expect(row).toMatchObject({ owner: 'supabase_auth_admin', relrowsecurity: true });
  });
});

describe('postgres is not a superuser, as on a hosted project', () => {
  it('cannot declare a function LEAKPROOF', async () => {
    const client = new pg.Client({ connectionString: db.migrationUrl });
    await client.connect();
    try {
      // Positive control: the same function without LEAKPROOF is created.
      await client.query(
        'create function public.plain_eq(a int, b int) returns boolean language sql immutable as $$ select a = b $$',
      );
      await expect(
        client.query(
          'create function public.leaky_eq(a int, b int) returns boolean language sql immutable leakproof as $$ select a = b $$',
        ),
      ).rejects.toThrow(/only superuser can define a leakproof function/);
    } finally {
      await client.end();
    }
  });

  it('cannot alter Supabase-owned auth objects', async () => {
    const client = new pg.Client({ connectionString: db.migrationUrl });
    await client.connect();
    try {
      await expect(client.query('alter table auth.users add column nickname text')).rejects.toThrow(/must be owner/);
      await expect(client.query('create policy p on auth.sessions for select using (true)')).rejects.toThrow(/must be owner/);
      // Positive control: postgres can read auth rows (it has SELECT there).
      const { rows } = await client.query('select count(*)::int as n from auth.sessions');
      expect(rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });
});

describe("Supabase's default privileges in public", () => {
  it('give anon and authenticated ALL on a table postgres creates', async () => {
    const client = new pg.Client({ connectionString: db.migrationUrl });
    await client.connect();
    try {
      await client.query('create table public.careless (id int)');
      const { rows } = await client.query(
        `select has_table_privilege('anon', 'public.careless', 'select, insert, update, delete') as anon,
                has_table_privilege('authenticated', 'public.careless', 'select, insert, update, delete') as authed,
                has_table_privilege('service_role', 'public.careless', 'select') as service`,
      );
      expect(rows[0]).toEqual({ anon: true, authed: true, service: true });
    } finally {
      await client.end();
    }
  });
});

describe('auth.uid(), auth.jwt(), auth.role(), auth.email()', () => {
  const claims = {
    sub: '7b0c8f7e-94a4-4a39-9a53-0d1b2b8f6f11',
    role: 'authenticated',
    email: 'ada@example.com',
    app_metadata: { tenant_id: 'x' },
  };

  it('read transaction-local request.jwt.claims, and are NULL without them', async () => {
    const client = new pg.Client({ connectionString: db.migrationUrl });
    await client.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
      await client.query('set local role authenticated');
      const inside = await client.query(
        'select auth.uid() as uid, auth.jwt() as jwt, auth.role() as role, auth.email() as email',
      );
      expect(inside.rows[0]).toEqual({ uid: claims.sub, jwt: claims, role: 'authenticated', email: 'ada@example.com' });
      await client.query('commit');

      // The claims were transaction-local: the next transaction on this connection sees none.
      const after = await client.query('select auth.uid() as uid, auth.jwt() as jwt, auth.role() as role, auth.email() as email');
      expect(after.rows[0]).toEqual({ uid: null, jwt: null, role: null, email: null });
    } finally {
      await client.end();
    }
  });

  it('prefer the legacy per-claim setting, as Supabase does', async () => {
    const { rows } = await admin.query(
      `select set_config('request.jwt.claims', $1, true), set_config('request.jwt.claim.sub', $2, true), auth.uid() as uid`,
      [JSON.stringify(claims), '00000000-0000-0000-0000-000000000001'],
    );
    expect(rows[0].uid).toBe('00000000-0000-0000-0000-000000000001');
  });
});
