import { Card, EmptyState } from '@bulkhead/ui';
import { sql } from 'drizzle-orm';
import type { Metadata, Route } from 'next';
import Link from 'next/link';
import { day } from '@/lib/format';
import { asStaff, requireStaff } from '@/lib/staff';

export const metadata: Metadata = { title: 'Tenants' };

const PAGE_SIZE = 20;

type TenantRow = {
  id: string;
  name: string;
  slug: string;
  status: string;
  created_at: Date | string;
  member_count: string;
  plan: string | null;
  seats: number | null;
  total_count: string;
};

/** Every tenant's metadata (never its data), searchable and paged; each view is audited. */
export default async function TenantsPage({ searchParams }: PageProps<'/'>) {
  const params = await searchParams;
  const q = typeof params.q === 'string' ? params.q.slice(0, 100) : '';
  const page = Math.max(1, Number.parseInt(typeof params.page === 'string' ? params.page : '1', 10) || 1);
  const staff = await requireStaff();
  const rows = await asStaff(staff, (query) =>
    query<TenantRow>(
      sql`select id, name, slug, status, created_at, member_count, plan, seats, total_count
            from public.staff_tenants(${q}, ${PAGE_SIZE}::int, ${(page - 1) * PAGE_SIZE}::int)`,
    ),
  );
  const total = Number(rows[0]?.total_count ?? 0);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const link = (p: number) => `/?${new URLSearchParams({ ...(q ? { q } : {}), page: String(p) }).toString()}` as Route;

  return (
    <Card title="Tenants">
      <form className="mb-4 flex gap-2" aria-label="Tenant search">
        <label htmlFor="q" className="sr-only">
          Search tenants
        </label>
        <input
          id="q"
          name="q"
          defaultValue={q}
          placeholder="Search by name or slug"
          className="w-72 rounded-md border border-zinc-300 px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-950"
        />
        <button type="submit" className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white">
          Search
        </button>
      </form>
      {rows.length === 0 ? (
        <EmptyState title={q ? `No tenant matches “${q}”.` : 'No tenants yet.'} />
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="text-zinc-500">
              <tr>
                <th className="py-2 pr-4 font-medium">Name</th>
                <th className="py-2 pr-4 font-medium">Slug</th>
                <th className="py-2 pr-4 font-medium">Plan</th>
                <th className="py-2 pr-4 font-medium">Seats</th>
                <th className="py-2 pr-4 font-medium">Status</th>
                <th className="py-2 pr-4 font-medium">Created</th>
                <th className="py-2 pr-4 font-medium">Members</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.id} className="border-t border-zinc-100 dark:border-zinc-800" data-testid={`tenant-${t.slug}`}>
                  <td className="py-2 pr-4">
                    <Link href={`/tenants/${t.id}` as Route} className="font-medium text-indigo-600 hover:underline">
                      {t.name}
                    </Link>
                  </td>
                  <td className="py-2 pr-4 font-mono text-xs">{t.slug}</td>
                  <td className="py-2 pr-4">{t.plan ?? 'free'}</td>
                  <td className="py-2 pr-4">{t.seats ?? '—'}</td>
                  <td className="py-2 pr-4">
                    <span className={t.status === 'suspended' ? 'font-medium text-red-600' : 'text-emerald-700'}>{t.status}</span>
                  </td>
                  <td className="py-2 pr-4">{day(t.created_at)}</td>
                  <td className="py-2 pr-4">{t.member_count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav aria-label="Pages" className="mt-4 flex items-center gap-4 text-sm">
        <span className="text-zinc-500">
          Page {page} of {pages} · {total} tenant{total === 1 ? '' : 's'}
        </span>
        {page > 1 && (
          <Link href={link(page - 1)} className="text-indigo-600 hover:underline">
            Previous
          </Link>
        )}
        {page < pages && (
          <Link href={link(page + 1)} className="text-indigo-600 hover:underline">
            Next
          </Link>
        )}
      </nav>
    </Card>
  );
}
