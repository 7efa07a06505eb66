import type pg from 'pg';

/**
 * The benchmark world: many tenants with the same number of documents each, and one measured
 * tenant whose member has a real session and claims from the real claims hook. Rows are created
 * in bulk as the superuser (fixture data, not the path under test).
 */
export const DOCS_PER_TENANT = 100;

export interface MeasuredTenant {
  tenantId: string;
  userId: string;
  sessionId: string;
  claims: Record<string, unknown>;
  documentId: string;
}

/** Grows the documents table to `tenants` × DOCS_PER_TENANT rows (adding tenants as needed). */
export async function growTo(admin: pg.Client, tenants: number): Promise<void> {
  const { rows } = await admin.query<{ n: number }>('select count(*)::int as n from public.tenants');
  const have = rows[0]?.n ?? 0;
  if (have >= tenants) return;
  // Batches keep each statement's memory and WAL modest on a small machine.
  const batch = 2_000;
  for (let from = have; from < tenants; from += batch) {
    const to = Math.min(tenants, from + batch);
    await admin.query(
      `with t as (
         insert into public.tenants (name, slug)
         select 'Tenant ' || g, 'tenant-' || g from generate_series($1::int, $2::int) g
         returning id
       )
       insert into public.documents (tenant_id, title, body, author_id, created_at, updated_at)
       select t.id, 'Document ' || d, repeat('lorem ipsum ', 20), gen_random_uuid(),
              now() - (d || ' minutes')::interval, now() - (d || ' minutes')::interval
         from t cross join generate_series(1, ${DOCS_PER_TENANT}) d`,
      [from + 1, to],
    );
  }
  await admin.query('analyze public.tenants');
  await admin.query('analyze public.documents');
}

/** A member of one tenant, signed in: user, session, membership, and the hook's claims. */
export async function measuredTenant(admin: pg.Client, authAdmin: pg.Client): Promise<MeasuredTenant> {
  const { rows: tenant } = await admin.query<{ id: string }>(`select id from public.tenants where slug = 'tenant-1'`);
  const tenantId = tenant[0]?.id as string;
  const { rows: user } = await admin.query<{ id: string }>(
    `insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, email_confirmed_at)
     values (gen_random_uuid(), 'authenticated', 'authenticated', 'bench@example.test', '{"provider":"email"}', '{}', now(), now(), now())
     returning id`,
  );
  const userId = user[0]?.id as string;
  const { rows: session } = await admin.query<{ id: string }>(
    `insert into auth.sessions (id, user_id, created_at, updated_at, aal) values (gen_random_uuid(), $1, now(), now(), 'aal1') returning id`,
    [userId],
  );
  const sessionId = session[0]?.id as string;
  await admin.query(`insert into public.memberships (tenant_id, user_id, role) values ($1, $2, 'member')`, [tenantId, userId]);
  const now = Math.floor(Date.now() / 1000);
  const input = {
    aud: 'authenticated',
    exp: now + 3600,
    iat: now,
    iss: 'http://127.0.0.1:54321/auth/v1',
    sub: userId,
    email: 'bench@example.test',
    phone: '',
    role: 'authenticated',
    aal: 'aal1',
    amr: [{ method: 'password', timestamp: now }],
    session_id: sessionId,
    is_anonymous: false,
    app_metadata: { provider: 'email', providers: ['email'] },
    user_metadata: {},
  };
  const { rows: hook } = await authAdmin.query<{ out: { claims: Record<string, unknown> } }>(
    'select private.custom_access_token_hook($1::jsonb) as out',
    [JSON.stringify({ user_id: userId, claims: input, authentication_method: 'password' })],
  );
  const claims = hook[0]?.out.claims as Record<string, unknown>;
  const { rows: doc } = await admin.query<{ id: string }>(
    'select id from public.documents where tenant_id = $1 order by updated_at desc offset 50 limit 1',
    [tenantId],
  );
  return { tenantId, userId, sessionId, claims, documentId: doc[0]?.id as string };
}
