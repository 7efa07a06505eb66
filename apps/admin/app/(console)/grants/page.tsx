import { Card, EmptyState } from '@bulkhead/ui';
import { sql } from 'drizzle-orm';
import type { Metadata, Route } from 'next';
import Link from 'next/link';
import { clock } from '@/lib/format';
import { asStaff, requireStaff } from '@/lib/staff';
import { endGrant } from '../actions';
import type { GrantRow } from '../grant-types';

export const metadata: Metadata = { title: 'Break-glass grants' };

/** Every live break-glass grant, whoever holds it; any staff member can end one. */
export default async function GrantsPage() {
  const staff = await requireStaff();
  const grants = await asStaff(staff, (query) => query<GrantRow>(sql`select * from public.staff_grants(false)`));
  return (
    <Card title="Active break-glass grants">
      {grants.length === 0 ? (
        <EmptyState title="No active grants." />
      ) : (
        <table className="w-full text-left text-sm">
          <thead className="text-zinc-500">
            <tr>
              <th className="py-2 pr-4 font-medium">Tenant</th>
              <th className="py-2 pr-4 font-medium">Staff</th>
              <th className="py-2 pr-4 font-medium">Reason</th>
              <th className="py-2 pr-4 font-medium">Ends (UTC)</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {grants.map((g) => (
              <tr key={g.id} className="border-t border-zinc-100 dark:border-zinc-800" data-testid="grant-row">
                <td className="py-2 pr-4">
                  <Link href={`/tenants/${g.tenant_id}` as Route} className="text-indigo-600 hover:underline">
                    {g.tenant_name}
                  </Link>
                </td>
                <td className="py-2 pr-4">{g.staff_email ?? g.staff_user_id}</td>
                <td className="py-2 pr-4">{g.reason}</td>
                <td className="py-2 pr-4">{clock(g.expires_at)}</td>
                <td className="py-2 text-right">
                  <form action={endGrant}>
                    <input type="hidden" name="grantId" value={g.id} />
                    <input type="hidden" name="back" value="/grants" />
                    <button type="submit" className="text-red-600 hover:underline">
                      End
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
