import { can } from '@bulkhead/tenancy';
import { schema } from '@bulkhead/tenancy/server';
import { Card } from '@bulkhead/ui';
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Metadata } from 'next';
import { loadForTenant } from '@/lib/context';
import { InvitationList, InviteForm, LeaveButton, MemberRow } from './member-forms';

export const metadata: Metadata = { title: 'Members' };

export default async function MembersPage() {
  const data = await loadForTenant('/members', async (db, context) => {
    const { rows: members } = await db.execute<{ user_id: string; email: string; role: string; joined_at: string }>(
      sql`select user_id, email, role, joined_at from public.tenant_members()`,
    );
    const { invitations } = schema;
    const pending = can(context.tenantRole, 'members.invite')
      ? await db
          .select({ id: invitations.id, email: invitations.email, role: invitations.role, expiresAt: invitations.expiresAt })
          .from(invitations)
          .where(
            and(
              eq(invitations.tenantId, context.tenantId),
              isNull(invitations.acceptedAt),
              gt(invitations.expiresAt, new Date()),
            ),
          )
          .orderBy(asc(invitations.email))
      : [];
    return { members, pending, role: context.tenantRole, userId: context.userId };
  });
  const manage = can(data.role, 'members.changeRole');
  return (
    <div className="flex flex-col gap-6">
      <h1 className="text-2xl font-semibold">Members</h1>
      {can(data.role, 'members.invite') && (
        <Card title="Invite someone">
          <InviteForm />
        </Card>
      )}
      <Card title={`${data.members.length} member${data.members.length === 1 ? '' : 's'}`}>
        <table className="w-full text-left text-sm">
          <thead className="text-xs uppercase text-zinc-500">
            <tr>
              <th scope="col" className="py-2">
                Email
              </th>
              <th scope="col" className="py-2">
                Role
              </th>
              <th scope="col" className="py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
            {data.members.map((m) => (
              <MemberRow
                key={m.user_id}
                member={{ userId: m.user_id, email: m.email, role: m.role }}
                isSelf={m.user_id === data.userId}
                // Admins manage everyone but owners; owners manage everyone (the database agrees).
                canManage={manage && m.user_id !== data.userId && (data.role === 'owner' || m.role !== 'owner')}
                canGrantOwner={data.role === 'owner'}
              />
            ))}
          </tbody>
        </table>
      </Card>
      {data.pending.length > 0 && (
        <Card title="Pending invitations">
          <InvitationList invitations={data.pending.map((i) => ({ ...i, expiresAt: i.expiresAt.toISOString() }))} />
        </Card>
      )}
      <Card title="Leave this workspace">
        <p className="mb-3 text-sm text-zinc-500">
          You lose access immediately. The last owner cannot leave; make someone else an owner first.
        </p>
        <LeaveButton />
      </Card>
    </div>
  );
}
