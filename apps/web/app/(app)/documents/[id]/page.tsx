import { can } from '@bulkhead/tenancy';
import { Card } from '@bulkhead/ui';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { z } from 'zod';
import { loadForTenant } from '@/lib/context';
import { getDocument } from '../queries';
import { DocumentEditor } from './document-editor';

export const metadata: Metadata = { title: 'Document' };

export default async function DocumentPage({ params }: PageProps<'/documents/[id]'>) {
  const { id } = await params;
  // Another tenant's document, a deleted one and a malformed id all look the same: 404.
  if (!z.uuid().safeParse(id).success) notFound();
  const { doc, role, userId } = await loadForTenant(`/documents/${id}`, async (db, context) => ({
    doc: await getDocument(db, context, id),
    role: context.tenantRole,
    userId: context.userId,
  }));
  if (!doc) notFound();

  const canEdit = can(role, 'documents.update');
  // Members may delete only their own documents (the delete policy says so too).
  const canDelete = can(role, 'documents.deleteAny') || (can(role, 'documents.delete') && doc.authorId === userId);
  return (
    <div className="flex flex-col gap-4">
      <Link href="/documents" className="text-sm text-indigo-700 hover:underline dark:text-indigo-400">
        ← All documents
      </Link>
      <Card>
        {canEdit ? (
          <DocumentEditor
            id={doc.id}
            title={doc.title}
            body={doc.body}
            version={doc.updatedAt.toISOString()}
            canDelete={canDelete}
          />
        ) : (
          <article>
            <h1 className="text-2xl font-semibold">{doc.title}</h1>
            <p className="mt-4 whitespace-pre-wrap text-sm">{doc.body}</p>
          </article>
        )}
      </Card>
    </div>
  );
}
