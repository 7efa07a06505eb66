import { Card } from '@bulkhead/ui';
import type { Metadata } from 'next';
import { signOut } from '@/app/(auth)/actions';
import { requireClaims } from '@/lib/context';

export const metadata: Metadata = { title: 'Workspace suspended' };

/**
 * Where members of a suspended tenant land: the database already returns nothing of the tenant
 * to them (see supabase/migrations/20260105000300_tenant_suspension.sql); this says why.
 */
export default async function SuspendedPage() {
  const claims = await requireClaims('/suspended');
  return (
    <main className="mx-auto max-w-md px-4 py-16">
      <Card title="This workspace is suspended">
        <p role="alert" className="text-sm">
          The workspace you were using has been suspended by the service operator, so its data is not available right now.
        </p>
        <p className="mt-2 text-sm text-zinc-500">
          Signed in as {claims.email}. If you think this is a mistake, contact support or the workspace owner.
        </p>
        <form action={signOut} className="mt-4">
          <input type="hidden" name="scope" value="local" />
          <button type="submit" className="text-sm font-medium text-indigo-600 hover:underline">
            Sign out
          </button>
        </form>
      </Card>
    </main>
  );
}
