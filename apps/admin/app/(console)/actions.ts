'use server';

import { sql } from 'drizzle-orm';
import type { Route } from 'next';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { asStaff, requireStaff, StaffRefusedError } from '@/lib/staff';

/**
 * The console's actions. Each validates its input, then calls one staff function, which checks
 * staff + aal2 and writes the audit log in the same transaction.
 */

export type ActionState = { ok: false; error: string } | null;

const tenantId = z.uuid('Unknown tenant.');

function firstIssue(error: z.ZodError): ActionState {
  return { ok: false, error: error.issues[0]?.message ?? 'Check your input.' };
}

const statusInput = z.object({
  tenantId,
  status: z.enum(['active', 'suspended']),
  reason: z.string().trim().min(3, 'Say why (at least 3 characters).').max(500, 'Keep the reason under 500 characters.'),
});

export async function setTenantStatus(_: ActionState, form: FormData): Promise<ActionState> {
  const parsed = statusInput.safeParse(Object.fromEntries(form));
  if (!parsed.success) return firstIssue(parsed.error);
  const staff = await requireStaff();
  const { tenantId: id, status, reason } = parsed.data;
  try {
    await asStaff(staff, (query) => query(sql`select public.staff_set_tenant_status(${id}::uuid, ${status}, ${reason})`));
  } catch (error) {
    if (error instanceof StaffRefusedError) return { ok: false, error: error.message };
    throw error;
  }
  redirect(`/tenants/${id}?done=${status}` as Route);
}

const grantInput = z.object({
  tenantId,
  reason: z
    .string()
    .trim()
    .min(10, 'Write down why you need access (at least 10 characters), e.g. the support ticket.')
    .max(500, 'Keep the reason under 500 characters.'),
  minutes: z.coerce
    .number({ error: 'Give a duration in minutes.' })
    .int('Give whole minutes.')
    .min(1, 'At least 1 minute.')
    .max(60, 'Break-glass access lasts at most 60 minutes.'),
});

export async function openGrant(_: ActionState, form: FormData): Promise<ActionState> {
  const parsed = grantInput.safeParse(Object.fromEntries(form));
  if (!parsed.success) return firstIssue(parsed.error);
  const staff = await requireStaff();
  const { tenantId: id, reason, minutes } = parsed.data;
  try {
    await asStaff(staff, (query) => query(sql`select public.staff_open_grant(${id}::uuid, ${reason}, ${minutes}::int)`));
  } catch (error) {
    if (error instanceof StaffRefusedError) return { ok: false, error: error.message };
    throw error;
  }
  redirect(`/tenants/${id}/documents` as Route);
}

const endGrantInput = z.object({ grantId: z.uuid(), back: z.string().regex(/^\/[a-z0-9/-]*$/) });

export async function endGrant(form: FormData): Promise<void> {
  const parsed = endGrantInput.safeParse(Object.fromEntries(form));
  if (!parsed.success) redirect('/grants');
  const staff = await requireStaff();
  await asStaff(staff, (query) => query(sql`select public.staff_end_grant(${parsed.data.grantId}::uuid)`));
  redirect(parsed.data.back as Route);
}

const sessionsInput = z.object({ userId: z.uuid(), tenantId });

export async function endUserSessions(form: FormData): Promise<void> {
  const parsed = sessionsInput.safeParse(Object.fromEntries(form));
  if (!parsed.success) redirect('/');
  const staff = await requireStaff();
  await asStaff(staff, (query) => query(sql`select public.staff_end_user_sessions(${parsed.data.userId}::uuid)`));
  redirect(`/tenants/${parsed.data.tenantId}?done=sessions` as Route);
}
