import { Card, EmptyState } from '@bulkhead/ui';
import { sql } from 'drizzle-orm';
import type { Metadata, Route } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { z } from 'zod';
import { minute } from '@/lib/format';
import { asStaff, requireStaff } from '@/lib/staff';

export const metadata: Metadata = { title: 'Tenant documents' };

type DocumentRow = { id: string; title: string; body: string; updated_at: Date | string };

/**
 * A tenant's documents, read through public.staff_tenant_documents(): every load is an audit
 * entry in the tenant's log, and the rows appear only while the staff member holds a live
 * break-glass grant (the documents' own row level security decides, read-only).
 */
export default async function TenantDocumentsPage({ params }: PageProps<'/tenants/[id]/documents'>) {
  const { id } = await params;
  if (!z.uuid().safeParse(id).success) notFound();
  const staff = await requireStaff();
  const documents = await asStaff(staff, (query) =>
    query<DocumentRow>(sql`select id, title, body, updated_at from public.staff_tenant_documents(${id}::uuid, 50, 0)`),
  );
  return (
    <div className="flex flex-col gap-4">
      <Link href={`/tenants/${id}` as Route} className="text-sm text-indigo-600 hover:underline">
        ← Tenant
      </Link>
      <Card title="Documents (read-only, audited)">
        {documents.length === 0 ? (
          <EmptyState title="No documents visible.">
            Reading a tenant&apos;s data needs a live break-glass grant. Request one on the tenant page; it ends after at most an
            hour.
          </EmptyState>
        ) : (
          <ul className="flex flex-col gap-3">
            {documents.map((d) => (
              <li key={d.id} className="rounded-md border border-zinc-200 p-3 dark:border-zinc-800" data-testid="staff-document">
                <p className="font-medium">{d.title}</p>
                <p className="mt-1 line-clamp-3 text-sm text-zinc-600 dark:text-zinc-300">{d.body || '(empty)'}</p>
                <p className="mt-1 text-xs text-zinc-500">updated {minute(d.updated_at)} UTC</p>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
