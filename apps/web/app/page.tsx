import { databaseHealth } from '@bulkhead/tenancy/health';

// Rendered per request: it reports the live database, not the one seen at build time.
export const dynamic = 'force-dynamic';

export default async function Home() {
  const health = await databaseHealth();
  return (
    <main className="mx-auto flex max-w-2xl flex-col gap-6 px-6 py-16">
      <header>
        <p className="text-sm font-medium uppercase tracking-wide text-zinc-500">Bulkhead</p>
        <h1 className="mt-1 text-3xl font-semibold">Tenant dashboard</h1>
      </header>
      <section
        aria-labelledby="db-status"
        className="rounded-lg border border-zinc-200 bg-white p-5 dark:border-zinc-800 dark:bg-zinc-900"
      >
        <h2 id="db-status" className="text-lg font-medium">
          Database
        </h2>
        {health.ok ? (
          <dl className="mt-3 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-zinc-500">Status</dt>
            <dd className="text-emerald-700 dark:text-emerald-400">connected as {health.database.login}</dd>
            <dt className="text-zinc-500">PostgreSQL</dt>
            <dd>{health.database.serverVersion}</dd>
            <dt className="text-zinc-500">Latest migration</dt>
            <dd>{health.migration ? `${health.migration.version} ${health.migration.name ?? ''}` : 'none applied'}</dd>
          </dl>
        ) : (
          <p role="alert" className="mt-3 text-sm text-red-700 dark:text-red-400">
            The database is not reachable: {health.database.error}. Start the local stack with <code>pnpm dev</code>.
          </p>
        )}
      </section>
    </main>
  );
}
