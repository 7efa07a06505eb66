import { can } from '@bulkhead/tenancy';
import { Card, EmptyState } from '@bulkhead/ui';
import type { Metadata, Route } from 'next';
import Link from 'next/link';
import { loadForTenant } from '@/lib/context';
import { CreateDocumentForm } from './create-document-form';
import { listDocuments, PAGE_SIZE } from './queries';

export const metadata: Metadata = { title: 'Documents' };

export default async function DocumentsPage({ searchParams }: PageProps<'/documents'>) {
  const params = await searchParams;
  const query = typeof params.q === 'string' ? params.q.trim().slice(0, 200) : '';
  const page = Math.max(1, Number.parseInt(typeof params.page === 'string' ? params.page : '1', 10) || 1);

  const { rows, total, role } = await loadForTenant('/documents', async (db, context) => ({
    ...(await listDocuments(db, context, { query, page })),
    role: context.tenantRole,
  }));
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const pageHref = (p: number) =>
    `/documents?${new URLSearchParams({ ...(query ? { q: query } : {}), page: String(p) })}` as Route;

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <h1 className="text-2xl font-semibold">Documents</h1>
        <search>
          <form className="flex gap-2" action="/documents">
            <label htmlFor="q" className="sr-only">
              Search documents
            </label>
            <input
              id="q"
              name="q"
              type="search"
              defaultValue={query}
              placeholder="Search titles"
              className="rounded-md border border-zinc-300 px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-950"
            />
            <button type="submit" className="rounded-md px-3 py-2 text-sm font-medium ring-1 ring-zinc-300 dark:ring-zinc-700">
              Search
            </button>
          </form>
        </search>
      </div>

      {can(role, 'documents.create') && (
        <Card title="New document">
          <CreateDocumentForm />
        </Card>
      )}

      <Card title={query ? `Results for “${query}”` : 'All documents'}>
        {rows.length === 0 ? (
          <EmptyState title={query ? 'No documents match your search.' : 'No documents yet.'}>
            {!query && can(role, 'documents.create') ? 'Create the first one above.' : null}
          </EmptyState>
        ) : (
          <ul className="divide-y divide-zinc-200 dark:divide-zinc-800" aria-label="Documents">
            {rows.map((doc) => (
              <li key={doc.id} className="flex items-center justify-between gap-4 py-3">
                <Link
                  href={`/documents/${doc.id}` as Route}
                  className="font-medium text-indigo-700 hover:underline dark:text-indigo-400"
                >
                  {doc.title}
                </Link>
                <time dateTime={doc.updatedAt.toISOString()} className="shrink-0 text-xs text-zinc-500">
                  {doc.updatedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC
                </time>
              </li>
            ))}
          </ul>
        )}
        {pages > 1 && (
          <nav aria-label="Pagination" className="mt-4 flex items-center justify-between text-sm">
            {page > 1 ? <Link href={pageHref(page - 1)}>← Previous</Link> : <span />}
            <span className="text-zinc-500">
              Page {Math.min(page, pages)} of {pages}
            </span>
            {page < pages ? <Link href={pageHref(page + 1)}>Next →</Link> : <span />}
          </nav>
        )}
      </Card>
    </div>
  );
}
