import { schema } from '@bulkhead/tenancy/server';
import { asc } from 'drizzle-orm';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { signOut } from '@/app/(auth)/actions';
import { loadForTenant } from '@/lib/context';
import { TenantSwitcher } from './tenant-switcher';

/** The signed-in shell: workspace switcher, navigation, account menu. */
export default async function AppLayout({ children }: { children: ReactNode }) {
  const shell = await loadForTenant('/', async (db, context) => {
    // RLS shows the current tenant and every tenant the live user belongs to.
    const tenants = await db
      .select({ id: schema.tenants.id, name: schema.tenants.name })
      .from(schema.tenants)
      .orderBy(asc(schema.tenants.name));
    return { tenants, currentId: context.tenantId, role: context.tenantRole, email: context.claims.email ?? '' };
  });

  const nav = [
    { href: '/documents', label: 'Documents' },
    { href: '/members', label: 'Members' },
    { href: '/settings', label: 'Settings' },
    { href: '/billing', label: 'Billing' },
    { href: '/account', label: 'Account' },
  ] as const;

  return (
    <div className="min-h-screen">
      <header className="border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-6 gap-y-3 px-4 py-3">
          <Link href="/documents" className="text-sm font-semibold uppercase tracking-wide text-indigo-600">
            Bulkhead
          </Link>
          <TenantSwitcher tenants={shell.tenants} currentId={shell.currentId} />
          <nav aria-label="Main" className="flex flex-wrap gap-4 text-sm">
            {nav.map((item) => (
              <Link
                key={item.href}
                href={item.href}
                className="text-zinc-600 hover:text-zinc-900 dark:text-zinc-300 dark:hover:text-white"
              >
                {item.label}
              </Link>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="hidden text-zinc-500 sm:inline" data-testid="whoami">
              {shell.email} · {shell.role}
            </span>
            <form action={signOut}>
              <input type="hidden" name="scope" value="local" />
              <button type="submit" className="text-zinc-600 hover:text-zinc-900 hover:underline dark:text-zinc-300">
                Sign out
              </button>
            </form>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-5xl px-4 py-8">{children}</main>
    </div>
  );
}
