import Link from 'next/link';
import type { ReactNode } from 'react';
import { requireStaff } from '@/lib/staff';
import { signOut } from '../auth-actions';

/** The console shell, for staff at aal2 only (everyone else is sent on by requireStaff). */
export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const staff = await requireStaff();
  return (
    <div className="min-h-screen">
      <header className="border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-3 px-4 py-3">
          <Link href="/" className="text-sm font-semibold uppercase tracking-wide text-indigo-600">
            Bulkhead staff
          </Link>
          <nav aria-label="Main" className="flex gap-4 text-sm">
            <Link href="/" className="text-zinc-600 hover:text-zinc-900 dark:text-zinc-300">
              Tenants
            </Link>
            <Link href="/grants" className="text-zinc-600 hover:text-zinc-900 dark:text-zinc-300">
              Break-glass grants
            </Link>
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="text-zinc-500" data-testid="whoami">
              {staff.email} · staff · {staff.aal}
            </span>
            <form action={signOut}>
              <input type="hidden" name="scope" value="global" />
              <button type="submit" className="text-zinc-600 hover:underline dark:text-zinc-300">
                Sign out everywhere
              </button>
            </form>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-4 py-8">{children}</main>
    </div>
  );
}
