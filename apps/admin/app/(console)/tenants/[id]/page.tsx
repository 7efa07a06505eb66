import { Card, EmptyState } from '@bulkhead/ui';
import { sql } from 'drizzle-orm';
import type { Metadata, Route } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { z } from 'zod';
import { clock, day, minute } from '@/lib/format';
import { asStaff, requireStaff } from '@/lib/staff';
import { endGrant, endUserSessions } from '../../actions';
import { GrantForm, StatusForm } from '../../forms';
import type { GrantRow } from '../../grant-types';

export const metadata: Metadata = { title: 'Tenant' };

type TenantDetail = {
  id: string;
  name: string;
  slug: string;
  status: string;
  created_at: string;
  members: { user_id: string; email: string | null; role: string; joined_at: string }[];
  subscriptions: { id: string; status: string; plan: string | null; seats: number | null; cancel_at_period_end: boolean }[];
  entitlements: { feature: string; limit: number | null; source: string }[];
  last_drift: { checked_at: string; differences: unknown; repaired: boolean; dry_run?: boolean } | null;
  audit_log: {
    occurred_at: string;
    actor_id: string | null;
    actor_email: string | null;
    action: string;
    target_type: string | null;
    target_id: string | null;
    details: Record<string, unknown>;
  }[];
};

const done: Record<string, string> = {
  suspended: 'Tenant suspended: its members lose access on their next request.',
  active: 'Tenant reactivated.',
  sessions: "The user's sessions were ended.",
};

/** One tenant's metadata and the staff actions on it; the view itself is audited. */
export default async function TenantPage({ params, searchParams }: PageProps<'/tenants/[id]'>) {
  const { id } = await params;
  const flash = (await searchParams).done;
  if (!z.uuid().safeParse(id).success) notFound();
  const staff = await requireStaff();
  const { tenant, grants } = await asStaff(staff, async (query) => {
    const [row] = await query<{ t: TenantDetail | null }>(sql`select public.staff_tenant(${id}::uuid) as t`);
    const live = await query<GrantRow>(sql`select * from public.staff_grants(false)`);
    return { tenant: row?.t ?? null, grants: live.filter((g) => g.tenant_id === id && g.staff_user_id === staff.sub) };
  });
  if (!tenant) notFound();
  const suspended = tenant.status === 'suspended';
  const here = `/tenants/${id}`;

  return (
    <div className="flex flex-col gap-6">
      <div>
        <Link href="/" className="text-sm text-indigo-600 hover:underline">
          ← Tenants
        </Link>
        <h1 className="mt-2 text-2xl font-semibold">{tenant.name}</h1>
        <p className="text-sm text-zinc-500">
          <span className="font-mono">{tenant.slug}</span> · created {day(tenant.created_at)} ·{' '}
          <span data-testid="tenant-status" className={suspended ? 'font-medium text-red-600' : 'text-emerald-700'}>
            {tenant.status}
          </span>
        </p>
        {typeof flash === 'string' && done[flash] && (
          <p role="status" className="mt-2 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
            {done[flash]}
          </p>
        )}
      </div>

      <div className="grid gap-6 md:grid-cols-2">
        <Card title="Break-glass read access">
          {grants.length > 0 ? (
            <div className="flex flex-col gap-3 text-sm">
              {grants.map((g) => (
                <div key={g.id} data-testid="my-grant">
                  <p>
                    Your access ends at <strong>{clock(g.expires_at)} UTC</strong>. Reason: {g.reason}
                  </p>
                  <div className="mt-2 flex gap-3">
                    <Link href={`${here}/documents` as Route} className="font-medium text-indigo-600 hover:underline">
                      Read documents
                    </Link>
                    <form action={endGrant}>
                      <input type="hidden" name="grantId" value={g.id} />
                      <input type="hidden" name="back" value={here} />
                      <button type="submit" className="text-red-600 hover:underline">
                        End access now
                      </button>
                    </form>
                  </div>
                </div>
              ))}
            </div>
          ) : (
            <GrantForm tenantId={id} />
          )}
        </Card>
        <Card title={suspended ? 'Suspended' : 'Suspend'}>
          <StatusForm tenantId={id} suspended={suspended} />
        </Card>
      </div>

      <Card title={`Members (${tenant.members.length})`}>
        <table className="w-full text-left text-sm">
          <tbody>
            {tenant.members.map((m) => (
              <tr key={m.user_id} className="border-t border-zinc-100 dark:border-zinc-800">
                <td className="py-2 pr-4">{m.email ?? m.user_id}</td>
                <td className="py-2 pr-4">{m.role}</td>
                <td className="py-2 pr-4">joined {day(m.joined_at)}</td>
                <td className="py-2 text-right">
                  <form action={endUserSessions}>
                    <input type="hidden" name="userId" value={m.user_id} />
                    <input type="hidden" name="tenantId" value={id} />
                    <button
                      type="submit"
                      className="text-red-600 hover:underline"
                      aria-label={`End all sessions of ${m.email ?? m.user_id}`}
                    >
                      End all sessions
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>

      <Card title="Billing">
        {tenant.subscriptions.length === 0 ? (
          <p className="text-sm text-zinc-500">No subscription (free tier).</p>
        ) : (
          <ul className="text-sm">
            {tenant.subscriptions.map((s) => (
              <li key={s.id}>
                {s.plan ?? 'unknown plan'} · {s.status} · {s.seats ?? 0} seat(s)
                {s.cancel_at_period_end ? ' · cancels at period end' : ''}
              </li>
            ))}
          </ul>
        )}
        <h3 className="mt-4 text-sm font-medium">Entitlements</h3>
        {tenant.entitlements.length === 0 ? (
          <p className="text-sm text-zinc-500">None recorded.</p>
        ) : (
          <ul className="text-sm">
            {tenant.entitlements.map((e) => (
              <li key={e.feature}>
                {e.feature}: {e.limit ?? 'unlimited'} ({e.source})
              </li>
            ))}
          </ul>
        )}
        <h3 className="mt-4 text-sm font-medium">Last reconciliation drift</h3>
        {tenant.last_drift ? (
          <p className="text-sm">
            {minute(tenant.last_drift.checked_at)} · {tenant.last_drift.repaired ? 'repaired' : 'not repaired'}:{' '}
            <code className="text-xs">{JSON.stringify(tenant.last_drift.differences)}</code>
          </p>
        ) : (
          <p className="text-sm text-zinc-500">No drift found.</p>
        )}
      </Card>

      <Card title="Audit log (latest 100)">
        {tenant.audit_log.length === 0 ? (
          <EmptyState title="No entries." />
        ) : (
          <table className="w-full text-left text-sm" data-testid="audit-log">
            <tbody>
              {tenant.audit_log.map((a) => (
                <tr
                  key={`${a.occurred_at}/${a.action}/${a.target_id ?? ''}`}
                  className="border-t border-zinc-100 align-top dark:border-zinc-800"
                >
                  <td className="py-1 pr-4 whitespace-nowrap text-zinc-500">{minute(a.occurred_at)}</td>
                  <td className="py-1 pr-4 font-mono text-xs">{a.action}</td>
                  <td className="py-1 pr-4">{a.actor_email ?? a.actor_id ?? 'system'}</td>
                  <td className="py-1 text-xs text-zinc-500">{JSON.stringify(a.details)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
