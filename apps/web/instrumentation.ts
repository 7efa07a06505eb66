/**
 * Runs once when the server starts: a missing or malformed environment stops it here with a
 * message that says what to set, instead of failing on the first request.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { tenancyEnv } = await import('@bulkhead/tenancy/env');
    tenancyEnv();
    const { billingEnv } = await import('@bulkhead/billing/env');
    billingEnv();
  }
}
