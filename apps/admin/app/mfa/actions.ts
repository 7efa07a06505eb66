'use server';

import { createSupabaseServerClient } from '@bulkhead/tenancy/next';
import { redirect } from 'next/navigation';
import { z } from 'zod';

export type EnrolState = { ok: true; factorId: string; qrCode: string; secret: string } | { ok: false; error: string } | null;
export type VerifyState = { ok: false; error: string } | null;

/**
 * A new TOTP factor for the signed-in user. Unverified leftovers of an earlier attempt are
 * removed first (they never raised anything, and a second unnamed factor would collide).
 */
export async function enrolFactor(): Promise<EnrolState> {
  const supabase = await createSupabaseServerClient();
  const { data: listed, error: listError } = await supabase.auth.mfa.listFactors();
  if (listError) return { ok: false, error: 'Could not read your factors. Sign in again.' };
  for (const factor of listed.all) {
    if (factor.factor_type === 'totp' && factor.status === 'unverified')
      await supabase.auth.mfa.unenroll({ factorId: factor.id });
  }
  const { data, error } = await supabase.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'Staff console' });
  if (error || data.type !== 'totp') return { ok: false, error: 'Could not start the set-up. Please try again.' };
  return { ok: true, factorId: data.id, qrCode: data.totp.qr_code, secret: data.totp.secret };
}

const verifyInput = z.object({
  factorId: z.uuid(),
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, 'Enter the 6-digit code from your authenticator app.'),
});

/** Challenge and verify in one step: the session becomes aal2 and its cookies are replaced. */
export async function verifyFactor(_: VerifyState, form: FormData): Promise<VerifyState> {
  const parsed = verifyInput.safeParse({ factorId: form.get('factorId'), code: form.get('code') });
  if (!parsed.success) return { ok: false, error: parsed.error.issues[0]?.message ?? 'Check the code.' };
  const supabase = await createSupabaseServerClient();
  const { error } = await supabase.auth.mfa.challengeAndVerify(parsed.data);
  if (error) {
    const message =
      error.code === 'mfa_verification_failed'
        ? 'That code is not right. Check the time on your device and try the current code.'
        : error.code === 'mfa_challenge_expired'
          ? 'That took too long. Please enter the current code again.'
          : 'Verification failed. Please try again.';
    return { ok: false, error: message };
  }
  redirect('/');
}
