import { describe, expect, it } from 'vitest';
import { auditSources } from '../src/audit';
import { defaultConfig } from '../src/config';
import type { AuditResult } from '../src/engine';
import { ensureParser, parseExpression, policyExpression } from '../src/sql';
import { staticCatalogFromSources } from '../src/static';

/** Static mode details that need no database. */

const table = `
create table public.documents (tenant_id uuid not null, id uuid not null, primary key (tenant_id, id));
alter table public.documents enable row level security;
alter table public.documents force row level security;
revoke all on public.documents from anon, authenticated;
`;

describe('static mode', () => {
  it('takes role attributes from DO blocks that create roles idempotently', async () => {
    const result = await auditSources(
      [
        {
          file: '1.sql',
          sql: `do $$ begin
                  if not exists (select from pg_roles where rolname = 'owner_with_bypass') then
                    create role owner_with_bypass nologin bypassrls;
                  end if;
                end $$;
                ${table}
                alter table public.documents owner to owner_with_bypass;`,
        },
      ],
      defaultConfig,
    );
    expect(result.findings.map((f) => [f.id, f.object])).toEqual([['BH003', 'public.documents']]);
  });

  it('reports a DO block it cannot model, with the reason, instead of guessing', async () => {
    const result = await auditSources(
      [{ file: '1.sql', sql: `do $$ begin for i in 1..3 loop perform 1; end loop; end $$;` }],
      defaultConfig,
    );
    expect(result.findings).toEqual([
      expect.objectContaining({
        id: 'BH022',
        object: 'DO',
        location: { file: '1.sql', line: 1 },
        message: expect.stringContaining('it contains a loop'),
      }),
    ]);
  });

  it('notes an owner role the migrations never create, and assumes it does not bypass RLS', async () => {
    const result = await auditSources(
      [{ file: '1.sql', sql: `${table}\nalter table public.documents owner to someone_else;` }],
      defaultConfig,
    );
    expect(result.findings.map((f) => [f.id, f.object])).toEqual([['BH022', 'someone_else']]);
  });

  it('keeps SET ROLE across files (one session) and SET LOCAL ROLE to the end of its file', async () => {
    const catalog = await staticCatalogFromSources([
      { file: '1.sql', sql: `create role a nologin; create role b nologin; set local role a; create table public.t1 (x int);` },
      { file: '2.sql', sql: `create table public.t2 (x int); set role b;` },
      { file: '3.sql', sql: `create table public.t3 (x int); reset role; create table public.t4 (x int);` },
    ]);
    const owners = [...catalog.relations.values()]
      .filter((r) => r.schema !== 'supabase_migrations')
      .map((r) => [r.name, r.owner]);
    expect(owners).toEqual([
      ['t1', 'a'],
      ['t2', 'postgres'],
      ['t3', 'b'],
      ['t4', 'postgres'],
    ]);
  });

  it('models Supabase’s default grants in public, which the migrations must revoke', async () => {
    const catalog = await staticCatalogFromSources([
      { file: '1.sql', sql: 'create table public.t (tenant_id uuid); create table private_t (x int);' },
    ]);
    const acl = catalog.relations.get('public.t')?.acl;
    expect([...(acl?.keys() ?? [])].sort()).toEqual(['anon', 'authenticated', 'postgres', 'service_role']);
    const result = await auditSources([{ file: '1.sql', sql: 'create table public.t (tenant_id uuid);' }], defaultConfig);
    expect(result.findings.map((f) => f.id)).toContain('BH018');
  });

  it('requires every OR branch of a permissive tenant policy to call the tenant helper', async () => {
    const helper = `create schema private;
      create function private.current_tenant_id() returns uuid language sql stable set search_path = '' as 'select null::uuid';`;
    const policy = (using: string) => ({
      file: '1.sql',
      sql: `${helper}${table}grant select on public.documents to authenticated;
            create policy documents_select on public.documents for select to authenticated using (${using});`,
    });
    const leaky = await auditSources(
      [policy(`tenant_id = (select private.current_tenant_id()) or id is not null`)],
      defaultConfig,
    );
    const bh005 = (r: AuditResult) => r.findings.filter((f) => f.id === 'BH005');
    expect(bh005(leaky)).toEqual([
      expect.objectContaining({
        object: 'public.documents.documents_select',
        message: expect.stringContaining('`id IS NOT NULL`'),
      }),
    ]);
    const gated = await auditSources(
      [policy(`tenant_id = (select private.current_tenant_id()) and (id is not null or true)`)],
      defaultConfig,
    );
    expect(bh005(gated)).toEqual([]);
  });

  it('allows a policy for a declared cross-tenant role alone, with that role’s justification', async () => {
    const sources = [
      {
        file: '1.sql',
        sql: `create role sync_login nologin;
          ${table}grant select on public.documents to authenticated, sync_login;
          create policy documents_select_as_sync on public.documents for select to sync_login using (true);
          create policy documents_select_mixed on public.documents for select to sync_login, authenticated using (id is not null);`,
      },
    ];
    const justification = 'The sync login reads every tenant by design, never through the Data API.';
    const config = { ...defaultConfig, crossTenantRoles: [{ role: 'sync_login', justification }] };
    const result = await auditSources(sources, config);
    // Alone, the role's policy is allowed and says why; shared with authenticated, it is still a finding.
    expect(result.suppressed.filter((f) => f.id === 'BH005')).toEqual([
      expect.objectContaining({
        object: 'public.documents.documents_select_as_sync',
        justification: expect.stringContaining(justification),
      }),
    ]);
    expect(result.findings.filter((f) => f.id === 'BH005').map((f) => f.object)).toEqual([
      'public.documents.documents_select_mixed',
    ]);
    // Without the declaration, both are findings; a declared role that does not exist is stale config.
    const undeclared = await auditSources(sources, defaultConfig);
    expect(undeclared.findings.filter((f) => f.id === 'BH005')).toHaveLength(2);
    const stale = await auditSources(sources, { ...config, crossTenantRoles: [{ role: 'no_such_role', justification }] });
    expect(stale.findings).toContainEqual(expect.objectContaining({ id: 'BH020', object: 'no_such_role' }));
  });

  it('reports a syntax error with its line', async () => {
    const result = await auditSources([{ file: 'bad.sql', sql: 'select 1;\n\ncreate tabel x ();' }], defaultConfig);
    expect(result.findings).toEqual([
      expect.objectContaining({ id: 'BH000', object: 'bad.sql', location: { file: 'bad.sql', line: 3 } }),
    ]);
  });
});

describe('policy expressions in normal form', () => {
  const ctx = { table: 'documents', resolveFunction: () => undefined, resolveRelation: () => undefined };
  const same = async (written: string, printed: string) => {
    await ensureParser();
    expect(policyExpression(parseExpression(written), ctx).text).toBe(policyExpression(parseExpression(printed), ctx).text);
  };

  it('reads a migration’s policy and pg_get_expr’s rendering of it the same way', async () => {
    await same(
      `tenant_id = (select private.current_tenant_id())`,
      `(tenant_id = ( SELECT private.current_tenant_id() AS current_tenant_id))`,
    );
    await same(`role in ('owner', 'admin')`, `(role = ANY (ARRAY['owner'::text, 'admin'::text]))`);
    await same(`role not in ('owner')`, `(role <> 'owner'::text)`);
    await same(`a is not distinct from b`, `(NOT (a IS DISTINCT FROM b))`);
    await same(`a is not distinct from null`, `(a IS NULL)`);
    await same(`title like 'x%'`, `(title ~~ 'x%'::text)`);
    await same(`n between 1 and 2`, `((n >= 1) AND (n <= 2))`);
    await same(`documents.tenant_id = -1`, `(tenant_id = '-1'::integer)`);
    await same(`a and (b and c)`, `((a AND b) AND c)`);
  });
});
