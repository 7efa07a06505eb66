import { databaseHealth } from '@bulkhead/tenancy/health';

export const dynamic = 'force-dynamic';

/** Liveness and readiness: 200 with the database and migration version, 503 when unreachable. */
export async function GET() {
  const health = await databaseHealth();
  return Response.json({ app: 'admin', ...health }, { status: health.ok ? 200 : 503 });
}
