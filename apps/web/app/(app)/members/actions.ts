'use server';

import { tenantAction } from '@bulkhead/tenancy/next';
import { NotFoundError, schema } from '@bulkhead/tenancy/server';
import { and, eq, sql } from 'drizzle-orm';
import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { refreshClaims } from '@/lib/refresh';

const role = z.enum(['owner', 'admin', 'member', 'viewer'], 'Pick a role.');

/** Returns the one-time token; the page turns it into a link that is shown once. */
export const inviteMember = tenantAction({
  permission: 'members.invite',
  input: z.object({ email: z.email('Enter a valid email address.').max(255).toLowerCase(), role }),
  run: async ({ db, input }) => {
    const { rows } = await db.execute<{ token: string }>(
      sql`select public.invite_member(${input.email}, ${input.role}) as token`,
    );
    revalidatePath('/members');
    return { token: rows[0]?.token as string, email: input.email };
  },
});

export const revokeInvitation = tenantAction({
  permission: 'members.invite',
  input: z.object({ id: z.uuid() }),
  run: async ({ db, input, context }) => {
    const { invitations } = schema;
    const gone = await db
      .delete(invitations)
      .where(and(eq(invitations.tenantId, context.tenantId), eq(invitations.id, input.id)))
      .returning({ id: invitations.id });
    if (gone.length === 0) throw new NotFoundError();
    revalidatePath('/members');
    return null;
  },
});

export const changeMemberRole = tenantAction({
  permission: 'members.changeRole',
  input: z.object({ userId: z.uuid(), role }),
  run: async ({ db, input }) => {
    await db.execute(sql`select public.change_member_role(${input.userId}::uuid, ${input.role})`);
    revalidatePath('/members');
    return null;
  },
});

export const removeMember = tenantAction({
  permission: 'members.remove',
  input: z.object({ userId: z.uuid() }),
  run: async ({ db, input }) => {
    await db.execute(sql`select public.remove_member(${input.userId}::uuid)`);
    revalidatePath('/members');
    return null;
  },
});

const leave = tenantAction({
  permission: 'tenant.read',
  input: z.object({}),
  run: async ({ db }) => {
    await db.execute(sql`select public.leave_tenant()`);
    return null;
  },
});

/** Leaves the current workspace; the refreshed token then names another one (or none). */
export async function leaveWorkspace(previous: Awaited<ReturnType<typeof leave>> | null, form: FormData) {
  const result = await leave(previous, form);
  if (!result.ok) return result;
  await refreshClaims();
  redirect('/');
}
