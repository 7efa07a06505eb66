import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedCatalog, startWorld, WEBHOOK_SECRET } from './harness';

/** The account lives in a JSON file: a restart keeps it, a reset empties it. */
const dir = mkdtempSync(join(tmpdir(), 'bulkhead-stripe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('persistence', () => {
  it('keeps objects, events and idempotency keys across a restart; reset empties the account', async () => {
    const statePath = join(dir, 'stripe.json');
    const webhook = { url: 'http://127.0.0.1:9/unreachable', secret: WEBHOOK_SECRET };
    const first = await startWorld({ statePath, webhook });
    const catalog = await seedCatalog(first.stripe);
    const customer = await first.stripe.customers.create({ email: 'kept@example.com' }, { idempotencyKey: 'kept-key' });
    const subscription = await first.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: catalog.teamPrice.id, quantity: 2 }],
    });
    const events = (await first.stripe.events.list({ limit: 100 })).data.map((e) => e.id);
    await first.stop();

    const second = await startWorld({ statePath, webhook });
    expect((await second.stripe.customers.retrieve(customer.id)).id).toBe(customer.id);
    expect((await second.stripe.subscriptions.retrieve(subscription.id)).items.data[0]?.quantity).toBe(2);
    expect((await second.stripe.events.list({ limit: 100 })).data.map((e) => e.id)).toEqual(events);
    const replayed = await second.stripe.customers.create({ email: 'kept@example.com' }, { idempotencyKey: 'kept-key' });
    expect(replayed.id).toBe(customer.id);
    expect(
      (await second.stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data.map((e) => e.lookup_key),
    ).toEqual(['documents']);
    // Registering the configured endpoint again did not add a second one.
    expect((await second.stripe.webhookEndpoints.list()).data).toHaveLength(1);

    await second.control('reset');
    await expect(second.stripe.customers.retrieve(customer.id)).rejects.toMatchObject({ statusCode: 404 });
    expect((await second.stripe.events.list()).data).toHaveLength(0);
    expect((await second.stripe.webhookEndpoints.list()).data.map((e) => e.url)).toEqual([webhook.url]);
    await second.stop();

    // A new webhook URL for the stack moves its endpoint rather than adding one.
    const moved = { url: 'http://127.0.0.1:9/moved', secret: WEBHOOK_SECRET };
    const third = await startWorld({ statePath, webhook: moved });
    expect((await third.stripe.customers.list()).data).toHaveLength(0);
    expect((await third.stripe.webhookEndpoints.list()).data.map((e) => e.url)).toEqual([moved.url]);
    await third.stop();
  });
});
