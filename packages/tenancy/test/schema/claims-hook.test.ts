import { loadSupabaseConfig } from '@bulkhead/local-stack';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  addMember,
  attempt,
  callClaimsHook,
  createTenant,
  gotrueInputClaims,
  INSUFFICIENT_PRIVILEGE,
  type Json,
  setUserMetadata,
  TenancyTestKit,
  type TestSession,
} from '../helpers';

/**
 * private.custom_access_token_hook, called exactly as Supabase Auth calls it: as
 * supabase_auth_admin, in its own transaction, with a 2 s statement timeout, on GoTrue-shaped input.
 */

const cluster = inject('cluster');
let kit: TenancyTestKit;

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

async function hookFor(session: TestSession, method: 'password' | 'token_refresh' = 'token_refresh') {
  const input = await gotrueInputClaims(kit.admin, session.user, session.sessionId, method);
  const output = await callClaimsHook(kit.authAdmin, { user_id: session.user.id, claims: input, authentication_method: method });
  return { input, output, claims: output.claims as Json & { app_metadata: Json } };
}

describe('claims hook output', () => {
  it('keeps every incoming claim and adds tenant_id and tenant_role to app_metadata', async () => {
    const tenant = await createTenant(kit, 'Hook');
    const { input, output, claims } = await hookFor(tenant.owner);
    expect(Object.keys(output)).toEqual(['claims']);
    const { app_metadata: inApp, ...inRest } = input;
    const { app_metadata: outApp, ...outRest } = claims;
    expect(outRest).toEqual(inRest);
    expect(outApp).toEqual({ ...inApp, tenant_id: tenant.id, tenant_role: 'owner' });
    for (const required of ['iss', 'aud', 'exp', 'iat', 'sub', 'role', 'aal', 'session_id', 'email', 'phone', 'is_anonymous']) {
      expect(claims, required).toHaveProperty(required);
    }
  });

  it('gives a user without memberships no tenant claims (and keeps the rest)', async () => {
    const loner = await kit.signIn(await kit.createUser());
    const { input, claims } = await hookFor(loner, 'password');
    expect(claims).toEqual(input);
    expect(claims.app_metadata).not.toHaveProperty('tenant_id');
    expect(claims.app_metadata).toHaveProperty('provider', 'email');
  });

  it('uses the selected tenant, else the oldest membership, and follows switch_tenant', async () => {
    const first = await createTenant(kit, 'First');
    const second = await createTenant(kit, 'Second');
    // A user who joins `first`, then `second` (joining selects the tenant joined).
    const user = await addMember(kit, first.owner, 'viewer');
    const joinedSecond = await addMember(kit, second.owner, 'admin', user);
    expect(joinedSecond.claims.app_metadata).toMatchObject({ tenant_id: second.id, tenant_role: 'admin' });

    await kit.rpc(joinedSecond, 'select public.switch_tenant($1)', [first.id]);
    expect((await kit.refresh(joinedSecond)).claims.app_metadata).toMatchObject({ tenant_id: first.id, tenant_role: 'viewer' });

    await kit.rpc(joinedSecond, 'select public.switch_tenant($1)', [second.id]);
    expect((await kit.refresh(joinedSecond)).claims.app_metadata).toMatchObject({ tenant_id: second.id, tenant_role: 'admin' });

    // Nothing selected any more (both selections cleared by an operator): the oldest membership wins.
    await kit.admin.query('update public.memberships set last_selected_at = null where user_id = $1', [user.user.id]);
    expect((await kit.refresh(joinedSecond)).claims.app_metadata).toMatchObject({ tenant_id: first.id, tenant_role: 'viewer' });
  });

  it('drops tenant claims that are not backed by a membership, wherever they come from', async () => {
    const mine = await createTenant(kit, 'Mine');
    const theirs = await createTenant(kit, 'Theirs');
    // user_metadata is the user's own to write: ignored.
    await setUserMetadata(kit.admin, mine.owner.user, { tenant_id: theirs.id, tenant_role: 'owner' });
    const viaMetadata = await hookFor(mine.owner);
    expect(viaMetadata.claims.app_metadata).toMatchObject({ tenant_id: mine.id, tenant_role: 'owner' });
    expect(viaMetadata.claims.user_metadata).toEqual({ tenant_id: theirs.id, tenant_role: 'owner' });

    // A stale or injected app_metadata.tenant_id on the way in (e.g. raw_app_meta_data) is replaced.
    const input = await gotrueInputClaims(kit.admin, mine.owner.user, mine.owner.sessionId);
    const forged = { ...input, app_metadata: { ...input.app_metadata, tenant_id: theirs.id, tenant_role: 'owner' } };
    const output = await callClaimsHook(kit.authAdmin, {
      user_id: mine.owner.user.id,
      claims: forged,
      authentication_method: 'token_refresh',
    });
    expect((output.claims as { app_metadata: Json }).app_metadata).toMatchObject({ tenant_id: mine.id, tenant_role: 'owner' });

    const loner = await kit.signIn(await kit.createUser());
    const lonerInput = await gotrueInputClaims(kit.admin, loner.user, loner.sessionId);
    const lonerOut = await callClaimsHook(kit.authAdmin, {
      user_id: loner.user.id,
      claims: { ...lonerInput, app_metadata: { provider: 'email', tenant_id: theirs.id, tenant_role: 'owner' } },
      authentication_method: 'password',
    });
    expect((lonerOut.claims as { app_metadata: Json }).app_metadata).toEqual({ provider: 'email' });
  });

  it('always returns an object with a claims object, never NULL, whatever the input', async () => {
    const weird: (Json | null)[] = [
      null,
      {},
      { user_id: null, claims: null },
      { user_id: 'not-a-uuid', claims: { sub: 'x' } },
      { user_id: '00000000-0000-0000-0000-000000000000', claims: [] as unknown as Json },
      { user_id: '00000000-0000-0000-0000-000000000000', claims: { app_metadata: null, role: 'authenticated' } },
      { user_id: '00000000-0000-0000-0000-000000000000', claims: { app_metadata: 'text', role: 'authenticated' } },
    ];
    for (const event of weird) {
      const output = await callClaimsHook(kit.authAdmin, event);
      const label = JSON.stringify(event);
      expect(output, label).toBeTypeOf('object');
      expect(output).not.toBeNull();
      const claims = output.claims as Json;
      expect(claims, label).toBeTypeOf('object');
      expect(Array.isArray(claims), label).toBe(false);
      expect(claims.app_metadata, label).toBeTypeOf('object');
      expect(claims.app_metadata, label).not.toBeNull();
    }
    const kept = await callClaimsHook(kit.authAdmin, {
      user_id: '00000000-0000-0000-0000-000000000000',
      claims: { role: 'authenticated', app_metadata: null },
    });
    expect(kept).toEqual({ claims: { role: 'authenticated', app_metadata: {} } });
  });

  it('answers well within Auth’s 2 s budget for a user with many memberships', async () => {
    const busy = await kit.signIn(await kit.createUser());
    await kit.admin.query(
      `with t as (insert into public.tenants (name, slug)
                  select 'Busy ' || g, 'busy-' || g || '-' || substr(md5(random()::text), 1, 6) from generate_series(1, 200) g
                  returning id)
       insert into public.memberships (tenant_id, user_id, role) select id, $1, 'member' from t`,
      [busy.user.id],
    );
    const started = performance.now();
    const { claims } = await hookFor(busy);
    expect(performance.now() - started).toBeLessThan(500);
    expect(claims.app_metadata).toHaveProperty('tenant_role', 'member');
  });
});

describe('claims hook privileges', () => {
  it('is executable by supabase_auth_admin only', async () => {
    const event = JSON.stringify({ user_id: '00000000-0000-0000-0000-000000000000', claims: {} });
    const tenant = await createTenant(kit, 'Hook privileges');
    const asAuthenticated = await kit.as(tenant.owner, (c) =>
      attempt(c, 'select private.custom_access_token_hook($1::jsonb)', [event]),
    );
    const asAnon = await kit.asAnon((c) => attempt(c, 'select private.custom_access_token_hook($1::jsonb)', [event]));
    const asAppServer = await kit.withoutRole(null, (c) =>
      attempt(c, 'select private.custom_access_token_hook($1::jsonb)', [event]),
    );
    for (const outcome of [asAuthenticated, asAnon, asAppServer])
      expect(outcome).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    const [row] = await kit.adminQuery(
      `select has_function_privilege('supabase_auth_admin', 'private.custom_access_token_hook(jsonb)', 'execute') as auth_admin,
              has_function_privilege('service_role', 'private.custom_access_token_hook(jsonb)', 'execute') as service_role,
              p.prosecdef as definer, p.provolatile as volatility
         from pg_proc p where p.oid = 'private.custom_access_token_hook(jsonb)'::regprocedure`,
    );
    expect(row).toEqual({ auth_admin: true, service_role: false, definer: false, volatility: 's' });
  });

  it('gives supabase_auth_admin exactly what the hook reads: five membership columns, nothing else', async () => {
    const tenant = await createTenant(kit, 'Auth admin reach');
    await kit.rpc(tenant.owner, `insert into public.documents (title) values ('not for auth')`);
    const authAdmin = new pg.Client({ connectionString: kit.db.loginUrl('supabase_auth_admin') });
    await authAdmin.connect();
    try {
      await authAdmin.query('begin');
      const allowed = await attempt(
        authAdmin,
        'select tenant_id, user_id, role, last_selected_at, created_at from public.memberships',
      );
      expect(allowed.ok && allowed.rowCount).toBeGreaterThan(0);
      for (const sql of [
        'select id from public.memberships',
        'select * from public.documents',
        'select * from public.tenants',
        'select * from public.invitations',
        'select * from public.audit_log',
        `update public.memberships set role = 'owner'`,
        'select private.current_tenant_id()',
      ]) {
        expect(await attempt(authAdmin, sql), sql).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
      }
      await authAdmin.query('rollback');
    } finally {
      await authAdmin.end();
    }
  });

  it('is enabled in supabase/config.toml, pointing at this function', async () => {
    const hook = loadSupabaseConfig().auth.hook.custom_access_token;
    expect(hook?.enabled).toBe(true);
    const match = /^pg-functions:\/\/postgres\/([^/]+)\/([^/]+)$/.exec(hook?.uri ?? '');
    expect(match?.slice(1)).toEqual(['private', 'custom_access_token_hook']);
    const [row] = await kit.adminQuery(`select to_regprocedure('private.custom_access_token_hook(jsonb)') is not null as exists`);
    expect(row?.exists).toBe(true);
  });
});
