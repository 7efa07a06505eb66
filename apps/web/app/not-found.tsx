import Link from 'next/link';

/** Missing pages and rows of other tenants look the same: not found. */
export default function NotFound() {
  return (
    <main className="mx-auto flex max-w-md flex-col items-center gap-4 px-6 py-24 text-center">
      <p className="text-sm font-semibold uppercase tracking-wide text-indigo-600">404</p>
      <h1 className="text-2xl font-semibold">Not found</h1>
      <p className="text-sm text-zinc-500">This page does not exist, or it is not part of your current workspace.</p>
      <Link href="/" className="text-sm font-medium text-indigo-700 hover:underline dark:text-indigo-400">
        Go to your workspace
      </Link>
    </main>
  );
}
