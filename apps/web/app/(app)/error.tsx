'use client';

import { Button, Card } from '@bulkhead/ui';

/** An unexpected failure while rendering a dashboard page: nothing was changed; offer a retry. */
export default function DashboardError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <Card title="Something went wrong">
      <p role="alert" className="mb-4 text-sm text-zinc-600 dark:text-zinc-300">
        This page could not be loaded. Nothing was changed. {error.digest ? `(Reference: ${error.digest})` : null}
      </p>
      <Button type="button" onClick={reset}>
        Try again
      </Button>
    </Card>
  );
}
