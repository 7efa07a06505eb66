import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attempt, createTwoTenants, INSUFFICIENT_PRIVILEGE, TenancyTestKit, type TwoTenants } from '../helpers';

/**
 * The structure that makes isolation hold, read from the catalogs: who owns what, FORCE on every
 * tenant table, what each role may touch, how helpers and policies are declared. Then the two
 * behaviours the role model exists for: app_server without the wrapper gets a permission error,
 * and tenancy_owner (the owner!) reads nothing without claims because FORCE binds it.
 */

const cluster = inject('cluster');
let kit: TenancyTestKit;
let world: TwoTenants;

const tenantTables = ['tenants', 'memberships', 'invitations', 'documents', 'audit_log'];
// Billing's tenant tables (written by billing_sync, empty in this world; packages/billing tests them).
const billingTables = [
  'billing_customers',
  'billing_subscriptions',
  'billing_subscription_items',
  'tenant_entitlements',
  'billing_reconciliation_runs',
  'billing_subscription_entitlements',
  'billing_credit_grants',
  'billing_credit_transactions',
];

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  world = await createTwoTenants(kit);
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

describe('kit roles', () => {
  it('have the attributes the role model needs', async () => {
    const rows = await kit.adminQuery(
      `select rolname, rolcanlogin, rolinherit, rolbypassrls, rolsuper, rolcreaterole, rolcreatedb
         from pg_roles where rolname in ('tenancy_owner', 'app_server', 'billing_sync') order by rolname`,
    );
    expect(rows).toEqual([
      {
        rolname: 'app_server',
        rolcanlogin: true,
        rolinherit: false,
        rolbypassrls: false,
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
      },
      {
        rolname: 'billing_sync',
        rolcanlogin: true,
        rolinherit: false,
        rolbypassrls: false,
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
      },
      {
        rolname: 'tenancy_owner',
        rolcanlogin: false,
        rolinherit: false,
        rolbypassrls: false,
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
      },
    ]);
  });

  it('app_server is a member of authenticated only, and tenancy_owner of nothing', async () => {
    const rows = await kit.adminQuery<{ member: string; role: string }>(
      `select m.rolname as member, r.rolname as role
         from pg_auth_members a join pg_roles r on r.oid = a.roleid join pg_roles m on m.oid = a.member
        where m.rolname in ('app_server', 'tenancy_owner', 'billing_sync') order by 1, 2`,
    );
    expect(rows).toEqual([{ member: 'app_server', role: 'authenticated' }]);
  });
});

describe('tenant tables', () => {
  it('are every table in public, owned by tenancy_owner, with row level security ENABLED and FORCED', async () => {
    const rows = await kit.adminQuery(
      `select c.relname as table, pg_get_userbyid(c.relowner) as owner, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
         from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') order by 1`,
    );
    expect(rows.map((r) => r.table).sort()).toEqual([...tenantTables, ...billingTables].sort());
    for (const row of rows) expect(row, row.table).toMatchObject({ owner: 'tenancy_owner', enabled: true, forced: true });
  });

  it('use UUID keys; tenant_id leads the primary key and an index of every table that has it', async () => {
    const rows = await kit.adminQuery<{ table: string; pk: string[]; pktypes: string[]; leading: string[] }>(
      `select c.relname as table,
              (select array_agg(a.attname::text order by k.ord)
                 from pg_index i cross join lateral unnest(i.indkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
                where i.indrelid = c.oid and i.indisprimary) as pk,
              (select array_agg(format_type(a.atttypid, a.atttypmod) order by k.ord)
                 from pg_index i cross join lateral unnest(i.indkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
                where i.indrelid = c.oid and i.indisprimary) as pktypes,
              (select array_agg(a.attname::text)
                 from pg_index i join pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0]
                where i.indrelid = c.oid) as leading
         from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' order by 1`,
    );
    for (const row of rows) {
      expect(
        row.pktypes.every((t) => t === 'uuid'),
        `${row.table} key types`,
      ).toBe(true);
      if (row.table === 'tenants') {
        expect(row.pk).toEqual(['id']);
      } else {
        expect(row.pk, `${row.table} primary key`).toEqual(['tenant_id', 'id']);
        expect(row.leading, `${row.table} indexes`).toContain('tenant_id');
      }
    }
  });

  it('carry tenant_id in every unique constraint and foreign key between tenant tables', async () => {
    const rows = await kit.adminQuery<{ table: string; name: string; type: string; cols: string[]; ref: string | null }>(
      `select c.conrelid::regclass::text as table, c.conname as name, c.contype as type,
              (select array_agg(a.attname::text) from unnest(c.conkey) k join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k) as cols,
              c.confrelid::regclass::text as ref
         from pg_constraint c join pg_class t on t.oid = c.conrelid
        where t.relnamespace = 'public'::regnamespace and c.contype in ('u', 'f', 'p') order by 1, 2`,
    );
    for (const row of rows) {
      if (row.table === 'tenants') {
        // The tenant row itself: its id is the tenant id; its slug is unique across tenants by design.
        continue;
      }
      if (row.type === 'f' && row.ref === 'tenants') {
        expect(row.cols, row.name).toEqual(['tenant_id']);
        continue;
      }
      expect(row.cols, row.name).toContain('tenant_id');
    }
    // No foreign key points outside public (auth.users is not referenced, see the migration).
    expect(rows.filter((r) => r.type === 'f' && r.ref?.startsWith('auth.'))).toEqual([]);
  });

  it('grant nothing to PUBLIC, anon or service_role, and to authenticated only the intended commands', async () => {
    const rows = await kit.adminQuery<{ table: string; grantee: string; privilege: string }>(
      `select table_name as table, grantee, privilege_type as privilege
         from information_schema.role_table_grants
        where table_schema = 'public' and grantee in ('PUBLIC', 'anon', 'authenticated', 'service_role', 'app_server', 'billing_sync')
        order by 1, 2, 3`,
    );
    const granted = rows.map((r) => `${r.table}:${r.grantee}:${r.privilege}`);
    // billing_sync (Stripe webhooks, reconciliation) writes the billing tables and nothing else.
    const billingSync = (table: string) => ['DELETE', 'INSERT', 'SELECT', 'UPDATE'].map((p) => `${table}:billing_sync:${p}`);
    expect(granted).toEqual([
      'audit_log:authenticated:SELECT',
      'billing_credit_grants:authenticated:SELECT',
      ...billingSync('billing_credit_grants'),
      'billing_credit_transactions:authenticated:SELECT',
      ...billingSync('billing_credit_transactions'),
      'billing_customers:authenticated:SELECT',
      ...billingSync('billing_customers'),
      'billing_reconciliation_runs:authenticated:SELECT',
      ...billingSync('billing_reconciliation_runs'),
      'billing_subscription_entitlements:authenticated:SELECT',
      ...billingSync('billing_subscription_entitlements'),
      'billing_subscription_items:authenticated:SELECT',
      ...billingSync('billing_subscription_items'),
      'billing_subscriptions:authenticated:SELECT',
      ...billingSync('billing_subscriptions'),
      'documents:authenticated:DELETE',
      'documents:authenticated:SELECT',
      'invitations:authenticated:DELETE',
      'invitations:authenticated:SELECT',
      'memberships:authenticated:DELETE',
      'memberships:authenticated:SELECT',
      'tenant_entitlements:authenticated:SELECT',
      ...billingSync('tenant_entitlements'),
      'tenants:authenticated:SELECT',
    ]);
    const columns = await kit.adminQuery<{ c: string }>(
      `select table_name || '.' || column_name || ':' || grantee || ':' || privilege_type as c
         from information_schema.column_privileges
        where table_schema = 'public' and privilege_type in ('INSERT', 'UPDATE')
          and grantee in ('PUBLIC', 'anon', 'authenticated', 'service_role', 'app_server', 'supabase_auth_admin')
        order by 1`,
    );
    expect(columns.map((r) => r.c)).toEqual([
      'documents.body:authenticated:INSERT',
      'documents.body:authenticated:UPDATE',
      'documents.id:authenticated:INSERT',
      'documents.tenant_id:authenticated:INSERT',
      'documents.title:authenticated:INSERT',
      'documents.title:authenticated:UPDATE',
      'invitations.email:authenticated:INSERT',
      'invitations.expires_at:authenticated:INSERT',
      'invitations.id:authenticated:INSERT',
      'invitations.role:authenticated:INSERT',
      'invitations.tenant_id:authenticated:INSERT',
      'invitations.token_hash:authenticated:INSERT',
      'memberships.role:authenticated:UPDATE',
      'tenants.name:authenticated:UPDATE',
      'tenants.slug:authenticated:UPDATE',
    ]);
  });
});

describe('policies', () => {
  it('are per command, for authenticated (or the two narrow service roles), never for PUBLIC', async () => {
    const rows = await kit.adminQuery<{ table: string; name: string; cmd: string; roles: string[]; permissive: string }>(
      `select tablename as table, policyname as name, cmd, roles::text[] as roles, permissive
         from pg_policies where schemaname = 'public' order by 1, 2`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.cmd, row.name).not.toBe('ALL');
      // One restrictive policy: suspension hides a suspended tenant's memberships from the helpers.
      if (row.name !== 'memberships_hidden_while_suspended') expect(row.permissive, row.name).toBe('PERMISSIVE');
      expect(row.roles, row.name).toHaveLength(1);
      expect(['authenticated', 'tenancy_owner', 'supabase_auth_admin', 'billing_sync'], row.name).toContain(row.roles[0]);
    }
    // At most one permissive policy per table, role and command (splinter 0006).
    const keys = rows.filter((r) => r.permissive === 'PERMISSIVE').map((r) => `${r.table}/${r.roles[0]}/${r.cmd}`);
    expect(new Set(keys).size).toBe(keys.length);
    // Every tenant table has a SELECT policy for authenticated.
    for (const table of [...tenantTables, ...billingTables]) expect(keys, table).toContain(`${table}/authenticated/SELECT`);
  });

  it('call the helpers wrapped in (select ...), never unwrapped, and never read user_metadata', async () => {
    const rows = await kit.adminQuery<{ name: string; expr: string }>(
      `select policyname as name, coalesce(qual, '') || ' ' || coalesce(with_check, '') as expr
         from pg_policies where schemaname = 'public'`,
    );
    for (const { name, expr } of rows) {
      const calls = expr.match(/(?:\bSELECT\s+)?private\.\w+\(\)/g) ?? [];
      for (const call of calls) expect(call, `${name}: ${expr}`).toMatch(/^SELECT\s/);
      expect(expr, name).not.toMatch(/user_metadata|auth\.jwt|current_setting/);
      if (name !== 'memberships_select_for_claims_hook') expect(expr.trim(), name).not.toBe('true');
    }
  });

  it('USING (true) exists only for the claims hook (memberships, staff) and the tables the helpers read (proof key, suspensions)', async () => {
    const rows = await kit.adminQuery(
      `select tablename, policyname, cmd, roles::text[] as roles from pg_policies where qual = 'true' order by 1, 2`,
    );
    expect(rows).toEqual([
      {
        tablename: 'memberships',
        policyname: 'memberships_select_for_claims_hook',
        cmd: 'SELECT',
        roles: ['supabase_auth_admin'],
      },
      {
        tablename: 'request_proof_keys',
        policyname: 'request_proof_keys_read_by_tenancy_owner',
        cmd: 'SELECT',
        roles: ['tenancy_owner'],
      },
      {
        tablename: 'staff_members',
        policyname: 'staff_members_select_for_claims_hook',
        cmd: 'SELECT',
        roles: ['supabase_auth_admin'],
      },
      {
        tablename: 'tenant_suspensions',
        policyname: 'tenant_suspensions_select_as_tenancy_owner',
        cmd: 'SELECT',
        roles: ['tenancy_owner'],
      },
    ]);
  });
});

describe('functions', () => {
  it('all set search_path and none is executable by PUBLIC or anon; the tenancy core is declared as designed', async () => {
    const rows = await kit.adminQuery<{
      fn: string;
      owner: string;
      definer: boolean;
      volatility: string;
      config: string[] | null;
      anon: boolean;
      public: boolean;
      authenticated: boolean;
    }>(
      `select p.oid::regprocedure::text as fn, pg_get_userbyid(p.proowner) as owner, p.prosecdef as definer,
              p.provolatile as volatility, p.proconfig as config,
              has_function_privilege('anon', p.oid, 'execute') as anon,
              coalesce(p.proacl::text like '%,=X/%' or p.proacl::text like '{=X/%', p.proacl is null) as public,
              has_function_privilege('authenticated', p.oid, 'execute') as authenticated
         from pg_proc p where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace) order by 1`,
    );
    // Every function of the kit, including those later migrations add.
    for (const row of rows) {
      expect(row.config, row.fn).toContain('search_path=""');
      expect(row.anon, `${row.fn} executable by anon`).toBe(false);
      expect(row.public, `${row.fn} executable by PUBLIC`).toBe(false);
      expect(['tenancy_owner', 'postgres'], `${row.fn} owner`).toContain(row.owner);
    }
    const byName = new Map(rows.map((r) => [r.fn, r]));
    const declared = (fn: string) => {
      const row = byName.get(fn);
      if (!row) throw new Error(`missing function ${fn}`);
      return `${row.definer ? 'definer' : 'invoker'} ${row.owner}${row.authenticated ? ' +authenticated' : ''}`;
    };
    // The tenancy core, as the migrations of issue 4 declare it.
    expect(
      Object.fromEntries(
        [
          'private.live_session_user_id()',
          'private.verified_request()',
          'private.current_user_id()',
          'private.current_user_email()',
          'private.current_tenant_id()',
          'private.current_tenant_role()',
          'private.current_user_tenant_ids()',
          'private.request_claims()',
          'private.uuid_or_null(text)',
          'private.custom_access_token_hook(jsonb)',
          'private.memberships_maintain_owner_count()',
          'private.audit_tenant_change()',
          'private.audit_membership_change()',
          'private.audit_invitation_change()',
          'create_tenant(text,text)',
          'switch_tenant(uuid)',
          'accept_invitation(text)',
          'invite_member(text,text)',
          'change_member_role(uuid,text)',
          'remove_member(uuid)',
          'leave_tenant()',
        ].map((fn) => [fn, declared(fn)]),
      ),
    ).toEqual({
      'private.live_session_user_id()': 'definer postgres',
      'private.verified_request()': 'definer tenancy_owner',
      'private.current_user_id()': 'definer tenancy_owner +authenticated',
      'private.current_user_email()': 'definer tenancy_owner',
      'private.current_tenant_id()': 'definer tenancy_owner +authenticated',
      'private.current_tenant_role()': 'definer tenancy_owner +authenticated',
      'private.current_user_tenant_ids()': 'definer tenancy_owner +authenticated',
      'private.request_claims()': 'invoker tenancy_owner',
      'private.uuid_or_null(text)': 'invoker tenancy_owner',
      'private.custom_access_token_hook(jsonb)': 'invoker tenancy_owner',
      'private.memberships_maintain_owner_count()': 'definer postgres',
      'private.audit_tenant_change()': 'definer tenancy_owner',
      'private.audit_membership_change()': 'definer tenancy_owner',
      'private.audit_invitation_change()': 'definer tenancy_owner',
      'create_tenant(text,text)': 'definer tenancy_owner +authenticated',
      'switch_tenant(uuid)': 'definer tenancy_owner +authenticated',
      'accept_invitation(text)': 'definer tenancy_owner +authenticated',
      'invite_member(text,text)': 'invoker tenancy_owner +authenticated',
      'change_member_role(uuid,text)': 'invoker tenancy_owner +authenticated',
      'remove_member(uuid)': 'invoker tenancy_owner +authenticated',
      'leave_tenant()': 'invoker tenancy_owner +authenticated',
    });
    // The helpers are STABLE; in `private`, authenticated executes only what policies call (and
    // the billing limit triggers, which run as the inserting user).
    for (const row of rows.filter((r) =>
      /^private\.current_|live_session_user_id|verified_request|readable_tenant_id|custom_access_token_hook/.test(r.fn),
    )) {
      expect(row.volatility, row.fn).toBe('s');
    }
    expect(rows.filter((r) => r.fn.startsWith('private.') && r.authenticated).map((r) => r.fn)).toEqual([
      'private.billing_credit_balance(uuid,text)',
      'private.billing_credits_block(uuid)',
      'private.billing_has_paid_access(uuid)',
      'private.billing_subscription_is_live(billing_subscription_status,timestamp with time zone)',
      'private.billing_unbilled_usage(uuid)',
      'private.billing_usage_since(uuid,timestamp with time zone)',
      'private.claimed_tenant_suspended()',
      'private.current_tenant_id()',
      'private.current_tenant_role()',
      'private.current_user_id()',
      'private.current_user_tenant_ids()',
      'private.feature_limit(uuid,text)',
      'private.has_feature(uuid,text)',
      'private.readable_tenant_id()',
      'private.require_staff()',
      'private.staff_begin_read(uuid,text)',
      'private.staff_user_id()',
    ]);
  });

  it('live_session_user_id, the only reader of auth.sessions, is executable by tenancy_owner alone', async () => {
    const [row] = await kit.adminQuery(
      `select has_function_privilege('tenancy_owner', 'private.live_session_user_id()', 'execute') as owner,
              has_function_privilege('authenticated', 'private.live_session_user_id()', 'execute') as authenticated,
              has_function_privilege('app_server', 'private.live_session_user_id()', 'execute') as app_server,
              has_function_privilege('supabase_auth_admin', 'private.live_session_user_id()', 'execute') as auth_admin`,
    );
    expect(row).toEqual({ owner: true, authenticated: false, app_server: false, auth_admin: false });
  });

  it('the private schema is usable by authenticated and supabase_auth_admin only', async () => {
    const [row] = await kit.adminQuery(
      `select has_schema_privilege('anon', 'private', 'usage') as anon,
              has_schema_privilege('authenticated', 'private', 'usage') as authenticated,
              has_schema_privilege('service_role', 'private', 'usage') as service_role,
              has_schema_privilege('app_server', 'private', 'usage') as app_server,
              has_schema_privilege('supabase_auth_admin', 'private', 'usage') as auth_admin`,
    );
    expect(row).toEqual({ anon: false, authenticated: true, service_role: false, app_server: false, auth_admin: true });
  });
});

describe('app_server without SET ROLE', () => {
  it('gets a permission error, not rows, on every tenant table, flow and helper — while the wrapper works', async () => {
    const claims = world.a.member.claims;
    const statements = [
      ...tenantTables.map((t) => `select * from public.${t}`),
      `select public.create_tenant('X', 'x-app-server')`,
      `select public.switch_tenant('${world.a.id}')`,
      `select public.invite_member('x@example.test', 'member')`,
      `select public.accept_invitation('token')`,
      `select public.change_member_role('${world.a.bystanderUserId}', 'viewer')`,
      `select public.remove_member('${world.a.bystanderUserId}')`,
      'select public.leave_tenant()',
      'select private.current_tenant_id()',
    ];
    const outcomes = await kit.withoutRole(claims, async (c) => {
      const results = [];
      for (const sql of statements) results.push({ sql, outcome: await attempt(c, sql) });
      return results;
    });
    for (const { sql, outcome } of outcomes) {
      expect(outcome.ok ? 'rows' : outcome.code, sql).toBe(INSUFFICIENT_PRIVILEGE);
    }
    // Positive control: the same claims through the wrapper read tenant A's documents.
    const rows = await kit.as(claims, async (c) => (await c.query('select tenant_id from public.documents')).rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set([world.a.id]));
  });
});

describe('tenancy_owner, the owner of every tenant table', () => {
  it('reads nothing without claims: FORCE binds it', async () => {
    for (const table of tenantTables) {
      const total = await kit.adminQuery<{ n: number }>(`select count(*)::int as n from public.${table}`);
      expect(total[0]?.n, `${table} has rows (as superuser)`).toBeGreaterThan(0);
      await kit.admin.query('begin');
      try {
        await kit.admin.query('set local role tenancy_owner');
        const { rows } = await kit.admin.query<{ n: number }>(`select count(*)::int as n from public.${table}`);
        expect(rows[0]?.n, `${table} as tenancy_owner`).toBe(0);
        const writes = await attempt(kit.admin, `delete from public.${table}`);
        // audit_log rejects DELETE outright; elsewhere no policy lets tenancy_owner delete anything.
        expect(writes.ok ? writes.rowCount : writes.code, `${table}: delete as tenancy_owner`).toBe(
          table === 'audit_log' ? '42501' : 0,
        );
      } finally {
        await kit.admin.query('rollback');
      }
    }
  });

  it("with a member's claims, sees only that member's own memberships and no tenant data", async () => {
    await kit.admin.query('begin');
    try {
      await kit.admin.query('set local role tenancy_owner');
      await kit.admin.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(world.a.member.claims)]);
      const memberships = await kit.admin.query('select user_id from public.memberships');
      expect(memberships.rows).toEqual([{ user_id: world.a.member.user.id }]);
      const documents = await kit.admin.query('select 1 from public.documents');
      expect(documents.rowCount).toBe(0);
    } finally {
      await kit.admin.query('rollback');
    }
  });

  it('postgres (BYPASSRLS, migrations and break-glass only) sees every tenant: why the apps never use it', async () => {
    const client = new pg.Client({ connectionString: kit.db.migrationUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>('select count(distinct tenant_id)::int as n from public.documents');
      expect(rows[0]?.n).toBe(2);
    } finally {
      await client.end();
    }
  });
});
