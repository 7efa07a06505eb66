import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { payCheckout, type Receiver, seedCatalog, startReceiver, startWorld, WEBHOOK_SECRET, type World } from './harness';

/**
 * Webhook delivery: retries and their record, the chaos switches (duplicates, drops, shuffled
 * order — checked statistically against a seed), changes that leave no event, and the events
 * list filters a reconciler uses.
 */
let world: World;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  world = await startWorld({ webhook: { url: receiver.url, secret: WEBHOOK_SECRET } });
});
afterAll(async () => {
  await world.stop();
  await receiver.stop();
});
beforeEach(async () => {
  await world.control('reset');
  receiver.received.length = 0;
  receiver.answer = () => 200;
});

async function createCustomers(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push((await world.stripe.customers.create({ name: `c${i}` })).id);
  return ids;
}

interface DeliveryRecord {
  event: string;
  status: string;
  duplicate: boolean;
  attempts: Array<{ status: number | null }>;
}

async function deliveries(): Promise<DeliveryRecord[]> {
  return (await world.control('webhooks/deliveries')).data as DeliveryRecord[];
}

/** Event ids (customer.created) received, in arrival order. */
function receivedIds(): string[] {
  return receiver.received.filter((r) => r.event.type === 'customer.created').map((r) => r.event.id);
}

describe('delivery', () => {
  it('without chaos delivers each event exactly once, in order, and events show no pending webhooks', async () => {
    await world.control('webhooks/settings', { concurrency: 1 });
    await createCustomers(30);
    await world.control('webhooks/flush');
    const events = (await world.stripe.events.list({ type: 'customer.created', limit: 100 })).data.reverse();
    expect(receivedIds()).toEqual(events.map((e) => e.id));
    const after = await world.stripe.events.list({ type: 'customer.created', limit: 100 });
    expect(after.data.every((e) => e.pending_webhooks === 0)).toBe(true);
  });

  it('retries a non-2xx answer with backoff and records every attempt; gives up after max_attempts', async () => {
    await world.control('webhooks/settings', { retry_base_ms: 5, max_attempts: 4 });
    const [flaky, dead] = await (async () => {
      receiver.answer = (r) => {
        const name = (r.event.data.object as { name?: string }).name;
        if (name === 'dead') return 503;
        const earlier = receiver.received.filter((x) => x.event.id === r.event.id).length;
        return name === 'flaky' && earlier <= 2 ? 500 : 200;
      };
      const a = await world.stripe.customers.create({ name: 'flaky' });
      const b = await world.stripe.customers.create({ name: 'dead' });
      return [a.id, b.id];
    })();
    await world.control('webhooks/flush');
    const events = (await world.stripe.events.list({ type: 'customer.created' })).data;
    const eventOf = (customer: string | undefined) => events.find((e) => (e.data.object as { id: string }).id === customer);
    const records = await deliveries();
    const flakyDelivery = records.find((d) => d.event === eventOf(flaky)?.id);
    expect(flakyDelivery).toMatchObject({ status: 'done' });
    expect(flakyDelivery?.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    const deadDelivery = records.find((d) => d.event === eventOf(dead)?.id);
    expect(deadDelivery).toMatchObject({ status: 'failed' });
    expect(deadDelivery?.attempts).toHaveLength(4);

    const undelivered = await world.stripe.events.list({ delivery_success: false });
    expect(undelivered.data.map((e) => e.id)).toEqual([eventOf(dead)?.id]);
    expect(undelivered.data[0]?.pending_webhooks).toBe(1);
  });
  it('treats an endpoint that does not answer in time as a failure and retries it', async () => {
    await world.control('webhooks/settings', { retry_base_ms: 5, timeout_ms: 200 });
    receiver.answer = (r) => (receiver.received.filter((x) => x.event.id === r.event.id).length === 1 ? null : 200);
    await world.stripe.customers.create({ name: 'slow' });
    await world.control('webhooks/flush');
    const [delivery] = await deliveries();
    expect(delivery?.status).toBe('done');
    expect(delivery?.attempts.map((a) => a.status)).toEqual([null, 200]);
    expect((delivery?.attempts[0] as { error?: string } | undefined)?.error).toMatch(/Timeout|abort/i);
  });
});

describe('chaos switches', () => {
  const N = 400;

  async function chaosRun() {
    await world.control('webhooks/settings', {
      duplicate_rate: 0.2,
      drop_rate: 0.3,
      shuffle_window: 50,
      seed: 42,
      concurrency: 1,
    });
    const customers = await createCustomers(N);
    await world.control('webhooks/flush');
    const events = (
      await world.stripe.events.list({ type: 'customer.created', limit: 100 }).autoPagingToArray({ limit: 1000 })
    ).reverse();
    return { customers, events, records: await deliveries(), received: receivedIds() };
  }

  it('duplicates, drops and shuffles deliveries at about the configured rates, replayably from the seed', async () => {
    const { events, records, received } = await chaosRun();
    expect(events).toHaveLength(N);
    const dropped = new Set(records.filter((d) => d.status === 'dropped').map((d) => d.event));
    const duplicated = new Set(records.filter((d) => d.duplicate).map((d) => d.event));
    // Binomial(400, 0.3): mean 120, sd ≈ 9; Binomial(400, 0.2): mean 80, sd 8. Bounds are > 4 sd.
    expect(dropped.size).toBeGreaterThan(80);
    expect(dropped.size).toBeLessThan(160);
    expect(duplicated.size).toBeGreaterThan(45);
    expect(duplicated.size).toBeLessThan(115);

    // What arrived: every event not dropped, at least once; duplicated ones twice; dropped ones never.
    const counts = new Map<string, number>();
    for (const id of received) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const event of events) {
      const expected = dropped.has(event.id) ? 0 : duplicated.has(event.id) ? 2 : 1;
      expect(counts.get(event.id) ?? 0).toBe(expected);
    }
    expect(received.length).toBeGreaterThan(events.length - dropped.size);

    // Shuffled: many neighbours arrive out of creation order (in order, none would).
    const position = new Map(events.map((e, i) => [e.id, i]));
    const firstArrivals = [...new Set(received)];
    let inversions = 0;
    for (let i = 1; i < firstArrivals.length; i += 1) {
      if ((position.get(firstArrivals[i] ?? '') ?? 0) < (position.get(firstArrivals[i - 1] ?? '') ?? 0)) inversions += 1;
    }
    expect(inversions).toBeGreaterThan(firstArrivals.length / 4);

    // Dropped events are still in the API, as undelivered.
    const undelivered = await world.stripe.events
      .list({ delivery_success: false, limit: 100 })
      .autoPagingToArray({ limit: 1000 });
    expect(new Set(undelivered.map((e) => e.id))).toEqual(dropped);

    // The same seed makes the same decisions for the same sequence of events.
    const byIndex = (run: { events: Array<{ id: string }>; records: DeliveryRecord[] }) => {
      const index = new Map(run.events.map((e, i) => [e.id, i]));
      return run.records
        .filter((d) => d.status === 'dropped')
        .map((d) => index.get(d.event))
        .sort((a, b) => (a ?? 0) - (b ?? 0));
    };
    const firstRun = byIndex({ events, records });
    await world.control('reset');
    receiver.received.length = 0;
    const second = await chaosRun();
    expect(byIndex(second)).toEqual(firstRun);
  });
});

describe('changes without events', () => {
  it('suppressed changes take effect in the API but record and deliver nothing', async () => {
    const catalog = await seedCatalog(world.stripe);
    const customer = await world.stripe.customers.create({ email: 'quiet@example.com' });
    const session = await world.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: catalog.teamPrice.id, quantity: 1 }],
      success_url: 'http://app.test/ok',
    });
    await payCheckout(session.url ?? '');
    const subscription = (await world.stripe.subscriptions.list({ customer: customer.id })).data[0];
    await world.control('webhooks/flush');
    const newestBefore = (await world.stripe.events.list({ limit: 1 })).data[0]?.id;
    const receivedBefore = receiver.received.length;

    await world.control('events/suppress', { enabled: true });
    await world.stripe.subscriptions.cancel(subscription?.id ?? '');
    await world.control('events/suppress', { enabled: false });
    await world.control('webhooks/flush');

    expect((await world.stripe.subscriptions.retrieve(subscription?.id ?? '')).status).toBe('canceled');
    expect((await world.stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data).toEqual([]);
    expect((await world.stripe.events.list({ limit: 1 })).data[0]?.id).toBe(newestBefore);
    expect(receiver.received.length).toBe(receivedBefore);

    // Positive control: with suppression off, a change records its event again.
    await world.stripe.customers.update(customer.id, { name: 'Loud' });
    expect((await world.stripe.events.list({ limit: 1 })).data[0]?.type).toBe('customer.updated');
  });

  it('/_local/subscriptions/:id/set changes status, price or quantity silently', async () => {
    const catalog = await seedCatalog(world.stripe);
    const customer = await world.stripe.customers.create({});
    const subscription = await world.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: catalog.teamPrice.id, quantity: 2 }],
    });
    const newestBefore = (await world.stripe.events.list({ limit: 1 })).data[0]?.id;
    await world.control(`subscriptions/${subscription.id}/set`, {
      price: catalog.businessPrice.id,
      quantity: 4,
      status: 'past_due',
    });
    const after = await world.stripe.subscriptions.retrieve(subscription.id);
    expect(after.status).toBe('past_due');
    expect(after.items.data[0]).toMatchObject({ quantity: 4, price: { id: catalog.businessPrice.id } });
    const keys = (await world.stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data.map(
      (e) => e.lookup_key,
    );
    expect(keys.sort()).toEqual(['documents', 'sso']);
    expect((await world.stripe.events.list({ limit: 1 })).data[0]?.id).toBe(newestBefore);
  });
});

describe('events list', () => {
  it('filters by type, types[], wildcard and created, newest first', async () => {
    const before = Math.floor(Date.now() / 1000);
    await createCustomers(3);
    const catalog = await seedCatalog(world.stripe);
    const customers = await world.stripe.events.list({ type: 'customer.created' });
    expect(customers.data).toHaveLength(3);
    const products = await world.stripe.events.list({ types: ['product.created', 'price.created'] });
    expect(new Set(products.data.map((e) => e.type))).toEqual(new Set(['product.created', 'price.created']));
    const family = await world.stripe.events.list({ type: 'price.*' });
    expect(family.data.map((e) => (e.data.object as { id: string }).id)).toEqual([
      catalog.businessPrice.id,
      catalog.teamPrice.id,
    ]);
    const recent = await world.stripe.events.list({ created: { gte: before }, limit: 100 });
    expect(recent.data.length).toBe(3 + 4);
    const none = await world.stripe.events.list({ created: { gt: before + 3600 } });
    expect(none.data).toHaveLength(0);
    const one = await world.stripe.events.retrieve(customers.data[0]?.id ?? '');
    expect(one).toMatchObject({ object: 'event', type: 'customer.created', request: { id: expect.stringMatching(/^req_/) } });
    await world.stripe.customers.create({ name: 'keyed' }, { idempotencyKey: 'event-request-key' });
    const keyed = (await world.stripe.events.list({ type: 'customer.created', limit: 1 })).data[0];
    expect(keyed?.request).toMatchObject({ idempotency_key: 'event-request-key' });
  });
});
