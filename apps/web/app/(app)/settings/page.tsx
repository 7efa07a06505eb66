import { can } from '@bulkhead/tenancy';
import { schema } from '@bulkhead/tenancy/server';
import { Card } from '@bulkhead/ui';
import { eq } from 'drizzle-orm';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { loadForTenant } from '@/lib/context';
import { WorkspaceSettingsForm } from './workspace-settings-form';

export const metadata: Metadata = { title: 'Settings' };

export default async function SettingsPage() {
  const data = await loadForTenant('/settings', async (db, context) => {
    const { tenants } = schema;
    const [tenant] = await db
      .select({ name: tenants.name, slug: tenants.slug, createdAt: tenants.createdAt })
      .from(tenants)
      .where(eq(tenants.id, context.tenantId));
    return { tenant, role: context.tenantRole };
  });
  if (!data.tenant) notFound();
  return (
    <div className="flex flex-col gap-6">
      <h1 className="text-2xl font-semibold">Workspace settings</h1>
      <Card title="Workspace">
        {can(data.role, 'tenant.update') ? (
          <WorkspaceSettingsForm name={data.tenant.name} slug={data.tenant.slug} />
        ) : (
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-zinc-500">Name</dt>
            <dd>{data.tenant.name}</dd>
            <dt className="text-zinc-500">URL name</dt>
            <dd>{data.tenant.slug}</dd>
            <dt className="text-zinc-500">Only owners can change these.</dt>
            <dd />
          </dl>
        )}
      </Card>
    </div>
  );
}
