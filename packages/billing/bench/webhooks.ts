/**
 * `pnpm --filter @bulkhead/billing bench`: webhook events processed per second, end to end
 * against the local Stripe stand-in. Each event goes the whole way: a change through the Stripe
 * API, the stand-in's signed delivery over HTTP, signature check, inbox row, a fresh read of the
 * customer from the stand-in (subscriptions and active entitlements), the upsert, the commit.
 *
 * The clock runs from the first API call of the burst to the moment the stand-in has nothing
 * left to deliver, so the rate includes producing the events. A throwaway PostgreSQL (or the
 * server in TEST_DATABASE_URL) and a stand-in on a free port; nothing else is touched.
 */
import { performance } from 'node:perf_hooks';
import { startTestCluster } from '@bulkhead/local-stack/testing';
import { ensureCustomer } from '../src/customers';
import { openWorld } from '../test/world';

const TENANTS = Number(process.env.BENCH_TENANTS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);

const cluster = await startTestCluster();
const { stop, ...shared } = cluster;
const world = await openWorld(shared);
try {
  const [price] = (await world.stripe.prices.list({ lookup_keys: ['pro_monthly'] })).data;
  if (!price) throw new Error('catalog not synced');
  const items: string[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const [tenant] = await world.kit.adminQuery<{ id: string }>(
      `insert into public.tenants (name, slug) values ($1, $2) returning id`,
      [`Bench ${i}`, `bench-${i}-${Date.now().toString(36)}`],
    );
    const customer = await ensureCustomer({ pool: world.billingPool, stripe: world.stripe }, { id: tenant?.id ?? '' });
    const subscription = await world.stripe.subscriptions.create({ customer, items: [{ price: price.id, quantity: 1 }] });
    items.push(subscription.items.data[0]?.id ?? '');
  }
  await world.flush();

  const before = world.responses.length;
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    for (const item of items) await world.stripe.subscriptionItems.update(item, { quantity: 2 + round });
  }
  await world.flush();
  const seconds = (performance.now() - started) / 1000;
  const answered = world.responses.slice(before);
  const processed = answered.filter((r) => r.body.outcome === 'processed').length;
  const failed = answered.filter((r) => r.status >= 500).length;
  console.log(`tenants: ${TENANTS}, changes: ${TENANTS * ROUNDS}, webhook deliveries: ${answered.length} (${failed} failed)`);
  console.log(
    `processed: ${processed} events in ${seconds.toFixed(2)} s → ${(processed / seconds).toFixed(0)} events/s end to end`,
  );
} finally {
  await world.close();
  await stop();
}
