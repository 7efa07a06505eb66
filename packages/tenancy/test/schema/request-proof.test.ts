import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addMember, attempt, createTenant, INSUFFICIENT_PRIVILEGE, TenancyTestKit, type TestSession } from '../helpers';

/**
 * The tenant context is checked in full once per transaction; later statements of the same
 * transaction trust `bulkhead.request_proof`, an HMAC over the answer, the backend, the
 * transaction's start and the claims (20260107000100_verified_request_context.sql). These tests pin
 * what that proof may and may not do. Every denial is preceded by the same read succeeding.
 */

const cluster = inject('cluster');
let kit: TenancyTestKit;
let home: { id: string; owner: TestSession };
let victim: { id: string; owner: TestSession };

const countDocuments = async (c: { query: (sql: string) => Promise<{ rows: { n: number }[] }> }) =>
  (await c.query('select count(*)::int as n from public.documents')).rows[0]?.n;
const proofOf = async (c: { query: (sql: string) => Promise<{ rows: { p: string }[] }> }) =>
  (await c.query(`select current_setting('bulkhead.request_proof', true) as p`)).rows[0]?.p ?? '';
const setProof = (c: { query: (sql: string, params: unknown[]) => Promise<unknown> }, proof: string) =>
  c.query(`select set_config('bulkhead.request_proof', $1, true)`, [proof]);

beforeAll(async () => {
  kit = await TenancyTestKit.open(cluster);
  home = await createTenant(kit, 'Proof home');
  victim = await createTenant(kit, 'Proof victim');
  await kit.rpc(home.owner, `insert into public.documents (title) values ('home plan')`);
  await kit.rpc(victim.owner, `insert into public.documents (title) values ('victim plan')`);
}, 120_000);

afterAll(async () => {
  await kit?.close();
});

describe('the proof of a verified request', () => {
  it('is textbook HMAC-SHA256 over answer, backend pid, transaction start and claims', async () => {
    const [pads] = await kit.adminQuery<{ inner_pad: Buffer }>('select inner_pad from private.request_proof_keys');
    if (!pads) throw new Error('no proof key');
    // The key is the first 32 bytes of the inner pad XOR 0x36 (the rest is padding).
    const key = Buffer.from(pads.inner_pad.subarray(0, 32).map((byte) => byte ^ 0x36));
    await kit.as(home.owner, async (c) => {
      expect(await countDocuments(c)).toBe(1);
      const { rows } = await c.query<{ pid: number; started: string; claims: string }>(
        `select pg_backend_pid() as pid, extract(epoch from now())::text as started,
                current_setting('request.jwt.claims') as claims`,
      );
      const { pid, started, claims } = rows[0] as { pid: number; started: string; claims: string };
      const proof = await proofOf(c);
      const answer = `${home.id}|owner|${home.owner.user.id}`;
      expect(proof.slice(65)).toBe(answer);
      expect(proof.slice(0, 64)).toBe(createHmac('sha256', key).update(`${answer}|${pid}|${started}|${claims}`).digest('hex'));
    });
  });

  it('cannot be rewritten: a proof naming another tenant is ignored and the claims are checked again', async () => {
    await kit.as(home.owner, async (c) => {
      expect(await countDocuments(c)).toBe(1); // positive control, and the proof is minted
      const genuine = await proofOf(c);
      expect(genuine).toMatch(/^[0-9a-f]{64}\./);
      // The genuine MAC with the victim's tenant in the answer, and a made-up MAC.
      for (const forged of [
        `${genuine.slice(0, 64)}.${victim.id}|owner|${home.owner.user.id}`,
        `${'0'.repeat(64)}.${victim.id}|owner|${victim.owner.user.id}`,
      ]) {
        await setProof(c, forged);
        expect((await c.query('select title from public.documents')).rows).toEqual([{ title: 'home plan' }]);
        expect((await c.query('select private.current_tenant_id() as id')).rows[0]?.id).toBe(home.id);
        const write = await attempt(c, 'insert into public.documents (tenant_id, title) values ($1, $2)', [victim.id, 'planted']);
        expect(write).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
      }
    });
    const [planted] = await kit.adminQuery<{ n: number }>(
      `select count(*)::int as n from public.documents where title = 'planted'`,
    );
    expect(planted?.n).toBe(0);
  });

  it('cannot be stretched: an answer carrying the minting transaction inside it does not move a MAC elsewhere', async () => {
    // The MAC covers 'answer|pid|start|claims'. A caller who chooses their claims could mint with
    // claims = J + '|<pid>|<start>|' + C and present answer' = answer + '|<own pid>|<own start>|' + J
    // with claims C in the target transaction: the same bytes, so the same MAC, unless the answer's
    // shape is checked first. The target here is a transaction whose session has since ended.
    const member = await addMember(kit, home.owner, 'member');
    const target = await kit.appServer.connect();
    try {
      await target.query('begin; set local role authenticated');
      const { rows } = await target.query<{ pid: number; started: string }>(
        'select pg_backend_pid() as pid, extract(epoch from now())::text as started',
      );
      const { pid, started } = rows[0] as { pid: number; started: string };
      const tail = '"}';
      const opened = `${JSON.stringify({ ...member.claims, padding: '' }).slice(0, -2)}`; // ends inside the padding string
      const mintingClaims = `${opened}|${pid}|${started}|${tail}`;
      const stretched = await kit.as(member, async (c) => {
        await c.query(`select set_config('request.jwt.claims', $1, true)`, [mintingClaims]);
        expect(await countDocuments(c)).toBe(1); // the minting claims are a live member's, padded
        const own = (
          await c.query<{ pid: number; started: string }>(
            'select pg_backend_pid() as pid, extract(epoch from now())::text as started',
          )
        ).rows[0] as { pid: number; started: string };
        const proof = await proofOf(c);
        return `${proof}|${own.pid}|${own.started}|${opened}`;
      });
      await kit.signOut(member);
      await target.query(`select set_config('request.jwt.claims', $1, true)`, [tail]);
      await setProof(target, stretched);
      // Not accepted as a proof, so the claims ('"}', not JSON) are checked and refused loudly.
      expect(await attempt(target, 'select private.current_tenant_id() as id')).toMatchObject({ ok: false, code: '22P02' });
      expect(await attempt(target, 'select count(*)::int as n from public.documents')).toMatchObject({
        ok: false,
        code: '22P02',
      });
    } finally {
      await target.query('rollback').catch(() => undefined);
      target.release();
    }
  });

  it('is void in another transaction: a replayed proof does not outlive a signed-out session', async () => {
    const member = await addMember(kit, home.owner, 'member');
    const proof = await kit.as(member, async (c) => {
      expect(await countDocuments(c)).toBe(1);
      return proofOf(c);
    });
    // Positive control: replayed while the session is live, the proof is void and the full check passes.
    await kit.as(member, async (c) => {
      await setProof(c, proof);
      expect(await countDocuments(c)).toBe(1);
      expect(await proofOf(c)).not.toBe(proof);
    });
    await kit.signOut(member);
    await kit.as(member, async (c) => {
      await setProof(c, proof);
      expect(await countDocuments(c)).toBe(0);
      expect((await c.query('select private.current_tenant_id() as id')).rows[0]?.id).toBeNull();
    });
  });

  it('is void once the claims change within the transaction', async () => {
    const member = await addMember(kit, home.owner, 'member');
    const outsider = await kit.signIn(await kit.createUser());
    await kit.as(member, async (c) => {
      expect(await countDocuments(c)).toBe(1);
      // Same transaction, another user's claims with this tenant written in: checked afresh.
      const claims = {
        ...outsider.claims,
        app_metadata: { ...outsider.claims.app_metadata, tenant_id: home.id, tenant_role: 'owner' },
      };
      await c.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
      expect(await countDocuments(c)).toBe(0);
      expect((await c.query('select private.current_user_id() as id')).rows[0]?.id).toBe(outsider.user.id);
    });
  });
});

describe('checked once per transaction', () => {
  it('a transaction in flight keeps its verified context after another connection signs the session out; the next one has none', async () => {
    const member = await addMember(kit, home.owner, 'member');
    await kit.as(member, async (c) => {
      expect(await countDocuments(c)).toBe(1);
      await kit.signOut(member); // committed by another connection, as Auth does
      expect(await countDocuments(c)).toBe(1);
    });
    expect(await kit.as(member, async (c) => countDocuments(c))).toBe(0);
  });

  it('a transaction that changes its own membership sees the change on its next statement', async () => {
    const member = await addMember(kit, home.owner, 'member');
    await kit.as(member, async (c) => {
      expect(await countDocuments(c)).toBe(1);
      await c.query('select public.leave_tenant()');
      expect(await proofOf(c)).toBe('');
      expect(await countDocuments(c)).toBe(0);
      expect((await c.query('select private.current_tenant_id() as id')).rows[0]?.id).toBeNull();
    });
  });

  it('any membership change drops the proof; a demoted member is checked afresh on their next request', async () => {
    const admin = await addMember(kit, home.owner, 'admin');
    await kit.as(home.owner, async (c) => {
      expect((await c.query('select private.current_tenant_role() as r')).rows[0]?.r).toBe('owner');
      expect(await proofOf(c)).not.toBe('');
      await c.query('select public.change_member_role($1, $2)', [admin.user.id, 'viewer']);
      expect(await proofOf(c)).toBe('');
      // Checked again on the next statement; the owner's own row did not change.
      expect((await c.query('select private.current_tenant_role() as r')).rows[0]?.r).toBe('owner');
    });
    await kit.as(admin, async (c) => {
      expect((await c.query('select private.current_tenant_role() as r')).rows[0]?.r).toBe('viewer');
      const write = await attempt(c, `insert into public.documents (title) values ('viewer wrote')`);
      expect(write).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    });
  });
});

describe('the key', () => {
  it('is out of reach of every request role, and so is the function that uses it', async () => {
    const [row] = await kit.adminQuery<Record<string, boolean>>(
      `select has_table_privilege('authenticated', 'private.request_proof_keys', 'select') as authenticated_reads,
              has_table_privilege('anon', 'private.request_proof_keys', 'select') as anon_reads,
              has_table_privilege('app_server', 'private.request_proof_keys', 'select') as app_server_reads,
              has_table_privilege('service_role', 'private.request_proof_keys', 'select') as service_role_reads,
              has_function_privilege('authenticated', 'private.verified_request()', 'execute') as authenticated_calls,
              has_function_privilege('tenancy_owner', 'private.verified_request()', 'execute') as tenancy_owner_calls,
              (select count(*)::int from private.request_proof_keys) = 1 as one_key`,
    );
    expect(row).toEqual({
      authenticated_reads: false,
      anon_reads: false,
      app_server_reads: false,
      service_role_reads: false,
      authenticated_calls: false,
      tenancy_owner_calls: true,
      one_key: true,
    });
    await kit.as(home.owner, async (c) => {
      expect(await countDocuments(c)).toBe(1);
      expect(await attempt(c, 'select * from private.request_proof_keys')).toMatchObject({
        ok: false,
        code: INSUFFICIENT_PRIVILEGE,
      });
      expect(await attempt(c, 'select private.verified_request()')).toMatchObject({ ok: false, code: INSUFFICIENT_PRIVILEGE });
      expect(await attempt(c, 'select private.rotate_request_proof_key()')).toMatchObject({
        ok: false,
        code: INSUFFICIENT_PRIVILEGE,
      });
    });
  });

  it('rotates: proofs issued before are void and simply re-checked, nothing fails', async () => {
    await kit.as(home.owner, async (c) => {
      expect(await countDocuments(c)).toBe(1);
      const before = await proofOf(c);
      // Rotated by the operator while this transaction is in flight.
      await kit.adminQuery('select private.rotate_request_proof_key()');
      expect(await countDocuments(c)).toBe(1);
      const after = await proofOf(c);
      expect(after).not.toBe(before);
      expect(after.slice(65)).toBe(before.slice(65));
    });
    const [keys] = await kit.adminQuery<{ n: number }>('select count(*)::int as n from private.request_proof_keys');
    expect(keys?.n).toBe(1);
  });
});
