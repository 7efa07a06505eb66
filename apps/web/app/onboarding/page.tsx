import { Card } from '@bulkhead/ui';
import type { Metadata } from 'next';
import { requireClaims } from '@/lib/context';
import { CreateWorkspaceForm } from './create-workspace-form';

export const metadata: Metadata = { title: 'Create a workspace' };

export default async function OnboardingPage() {
  const claims = await requireClaims('/onboarding');
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-md">
        <p className="mb-6 text-center text-sm font-semibold uppercase tracking-wide text-indigo-600">Bulkhead</p>
        <Card title={claims.app_metadata.tenant_id ? 'Create another workspace' : 'Create your first workspace'}>
          <p className="mb-4 text-sm text-zinc-500">
            A workspace holds your team&apos;s documents. You become its owner and can invite others. Invited to an existing one?
            Open the invitation link you received instead.
          </p>
          <CreateWorkspaceForm />
        </Card>
      </div>
    </main>
  );
}
