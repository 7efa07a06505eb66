import { AuthSessionMissingError, type SupabaseClient } from '@supabase/supabase-js';
import { describe, expect, it } from 'vitest';
import { totpCode } from '../../src/auth/totp';
import { type AuthTarget, claimsOf, type TestUser, useAuthTarget } from './harness';

/**
 * TOTP multi-factor authentication through supabase-js `auth.mfa.*`, as the staff console uses
 * it: enrol, challenge, verify (aal1 → aal2 on the same session), list, unenrol. Assertions stay
 * with documented behaviour so the suite also holds against a real Supabase Auth with TOTP
 * enabled (`[auth.mfa.totp] enroll_enabled = verify_enabled = true`).
 */

const target = useAuthTarget();

async function enrolled(t: AuthTarget, user?: TestUser) {
  const who = user ?? (await t.createUser());
  const { client, session } = await t.signIn(who);
  const { data, error } = await client.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'phone' });
  if (error || !data) throw error ?? new Error('enroll returned nothing');
  if (data.type !== 'totp') throw new Error('expected a TOTP factor');
  return { user: who, client, session, factorId: data.id, secret: data.totp.secret, enrolment: data };
}

async function verifyNow(client: SupabaseClient, factorId: string, secret: string) {
  const challenge = await client.auth.mfa.challenge({ factorId });
  if (challenge.error || !challenge.data) throw challenge.error ?? new Error('challenge returned nothing');
  return client.auth.mfa.verify({ factorId, challengeId: challenge.data.id, code: totpCode(secret, new Date()) });
}

/** A code that is certainly wrong now: the right one with its last digit changed. */
function wrongCode(secret: string): string {
  const right = totpCode(secret, new Date());
  return `${right.slice(0, 5)}${(Number(right[5]) + 5) % 10}`;
}

describe('enrolment', () => {
  it('answers a secret, an otpauth URI and an SVG QR code, and lists the factor as unverified', async () => {
    const t = target();
    const { client, session, factorId, enrolment } = await enrolled(t);
    expect(enrolment.friendly_name).toBe('phone');
    expect(enrolment.totp.secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(enrolment.totp.uri).toMatch(/^otpauth:\/\/totp\//);
    expect(enrolment.totp.uri).toContain(`secret=${enrolment.totp.secret}`);
    expect(enrolment.totp.qr_code).toMatch(/^data:image\/svg\+xml;utf-8,<svg/);

    const { data: user } = await client.auth.getUser();
    expect(user.user?.factors).toEqual([expect.objectContaining({ id: factorId, factor_type: 'totp', status: 'unverified' })]);
    // An unverified factor raises nothing: the token is still aal1 and nothing more is asked.
    expect(claimsOf(session.access_token).aal).toBe('aal1');
    const listed = await client.auth.mfa.listFactors();
    expect(listed.data?.totp).toEqual([]);
    expect(listed.data?.all.map((f) => f.id)).toEqual([factorId]);
  });

  it('refuses a second factor with the same friendly name', async () => {
    const t = target();
    const { client } = await enrolled(t);
    const again = await client.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'phone' });
    expect(again.error?.code).toBe('mfa_factor_name_conflict');
    // Positive control: another name is accepted.
    const other = await client.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'laptop' });
    expect(other.error).toBeNull();
  });
});

describe('challenge and verify', () => {
  it('lifts the same session to aal2 with a totp amr entry and a new refresh token', async () => {
    const t = target();
    const { client, session, factorId, secret } = await enrolled(t);
    const challenge = await client.auth.mfa.challenge({ factorId });
    expect(challenge.error).toBeNull();
    expect(challenge.data?.expires_at).toBeGreaterThan(Math.floor(Date.now() / 1000));

    const verified = await client.auth.mfa.verify({
      factorId,
      challengeId: challenge.data?.id ?? '',
      code: totpCode(secret, new Date()),
    });
    expect(verified.error).toBeNull();
    const upgraded = verified.data;
    const claims = claimsOf(upgraded?.access_token ?? '');
    expect(claims.aal).toBe('aal2');
    expect(claims.session_id).toBe(claimsOf(session.access_token).session_id);
    expect((claims.amr as Array<{ method: string }>).map((entry) => entry.method).sort()).toEqual(['password', 'totp']);
    expect(upgraded?.refresh_token).not.toBe(session.refresh_token);

    const aal = await client.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(aal.data).toMatchObject({ currentLevel: 'aal2', nextLevel: 'aal2' });
    const listed = await client.auth.mfa.listFactors();
    expect(listed.data?.totp.map((f) => [f.id, f.status])).toEqual([[factorId, 'verified']]);

    // The session stays aal2 across a refresh.
    const refreshed = await t.client().auth.refreshSession({ refresh_token: upgraded?.refresh_token ?? '' });
    expect(refreshed.error).toBeNull();
    expect(claimsOf(refreshed.data.session?.access_token ?? '').aal).toBe('aal2');
  });

  it('rejects a wrong code and leaves the session at aal1; the right code then works', async () => {
    const t = target();
    const { client, factorId, secret } = await enrolled(t);
    const challenge = await client.auth.mfa.challenge({ factorId });
    const wrong = await client.auth.mfa.verify({ factorId, challengeId: challenge.data?.id ?? '', code: wrongCode(secret) });
    expect(wrong.error?.code).toBe('mfa_verification_failed');
    expect(wrong.data).toBeNull();
    const { data } = await client.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(data?.currentLevel).toBe('aal1');

    const right = await verifyNow(client, factorId, secret);
    expect(right.error).toBeNull();
    expect(claimsOf(right.data?.access_token ?? '').aal).toBe('aal2');
  });

  it('does not accept a challenge twice', async () => {
    const t = target();
    const { client, factorId, secret } = await enrolled(t);
    const challenge = await client.auth.mfa.challenge({ factorId });
    const challengeId = challenge.data?.id ?? '';
    const first = await client.auth.mfa.verify({ factorId, challengeId, code: totpCode(secret, new Date()) });
    expect(first.error).toBeNull();
    const second = await client.auth.mfa.verify({ factorId, challengeId, code: totpCode(secret, new Date()) });
    expect(second.error).not.toBeNull();
    expect(second.error?.status).toBe(422);
  });

  it('refuses an expired challenge with mfa_challenge_expired', async (ctx) => {
    const t = target();
    if (!t.hasSql) ctx.skip(true, 'needs SQL access to age the challenge');
    const { client, factorId, secret } = await enrolled(t);
    const challenge = await client.auth.mfa.challenge({ factorId });
    const challengeId = challenge.data?.id ?? '';
    // Challenges last 300 s by default; age this one instead of waiting.
    await t.sql(`update auth.mfa_challenges set created_at = created_at - interval '10 minutes' where id = $1`, [challengeId]);
    const expired = await client.auth.mfa.verify({ factorId, challengeId, code: totpCode(secret, new Date()) });
    expect(expired.error?.code).toBe('mfa_challenge_expired');
    // Positive control: a fresh challenge verifies.
    expect((await verifyNow(client, factorId, secret)).error).toBeNull();
  });

  it("does not let one user challenge or verify another user's factor", async () => {
    const t = target();
    const owner = await enrolled(t);
    const { client: other } = await t.signIn(await t.createUser());
    const stolen = await other.auth.mfa.challenge({ factorId: owner.factorId });
    expect(stolen.error?.status).toBe(404);
    expect(stolen.error?.code).toBe('mfa_factor_not_found');
    // Positive control: the owner can.
    expect((await verifyNow(owner.client, owner.factorId, owner.secret)).error).toBeNull();
  });

  it("ends the user's other aal1 sessions once a factor is verified", async () => {
    const t = target();
    const user = await t.createUser();
    const other = await t.signIn(user);
    const { client, factorId, secret } = await enrolled(t, user);
    expect((await other.client.auth.getUser()).error).toBeNull();
    expect((await verifyNow(client, factorId, secret)).error).toBeNull();
    // auth-js turns session_not_found into AuthSessionMissingError.
    expect((await other.client.auth.getUser()).error).toBeInstanceOf(AuthSessionMissingError);
    // Positive control: the verifying session is signed in.
    expect((await client.auth.getUser()).error).toBeNull();
  });
});

describe('with a verified factor', () => {
  it('needs aal2 to enrol another factor or unenrol the verified one', async () => {
    const t = target();
    const { user, client, factorId, secret } = await enrolled(t);
    expect((await verifyNow(client, factorId, secret)).error).toBeNull();

    // A fresh password sign-in is aal1, and nextLevel tells the app to ask for the code.
    const { client: aal1 } = await t.signIn(user);
    const level = await aal1.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(level.data).toMatchObject({ currentLevel: 'aal1', nextLevel: 'aal2' });
    const enrolAtAal1 = await aal1.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'second' });
    expect(enrolAtAal1.error?.code).toBe('insufficient_aal');
    const unenrolAtAal1 = await aal1.auth.mfa.unenroll({ factorId });
    expect(unenrolAtAal1.error?.code).toBe('insufficient_aal');

    // Positive controls at aal2.
    const enrolAtAal2 = await client.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'second' });
    expect(enrolAtAal2.error).toBeNull();
    const unenrolAtAal2 = await client.auth.mfa.unenroll({ factorId });
    expect(unenrolAtAal2.error).toBeNull();
    expect(unenrolAtAal2.data?.id).toBe(factorId);
    const { data } = await client.auth.getUser();
    expect(data.user?.factors?.map((f) => f.id) ?? []).not.toContain(factorId);
  });
});
