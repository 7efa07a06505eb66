import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCatalog, startWorld, stripeFor, TEST_KEY, type World } from './harness';

/**
 * The API's contract as stripe-node sees it: auth, errors, idempotency, pagination, lookup
 * keys, metadata rules and expansion.
 */
let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(() => world.stop());

describe('auth and errors', () => {
  it('answers 401 without a key or with a wrong one, and 200 with the right one', async () => {
    const none = await fetch(`${world.server.url}/v1/customers`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    await expect(stripeFor(world.server.url, 'sk_test_wrong').customers.list()).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
    const ok = await fetch(`${world.server.url}/v1/customers`, { headers: { Authorization: `Bearer ${TEST_KEY}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('request-id')).toMatch(/^req_/);
  });

  it('uses Stripe error envelopes: unknown ids, missing params, unknown URLs', async () => {
    const missing = await world.stripe.customers.retrieve('cus_nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id' });

    const noName = await world.stripe.products.create({} as Stripe.ProductCreateParams).catch((e: unknown) => e);
    expect(noName).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'name' });

    const unknown = await fetch(`${world.server.url}/v1/nothing_here`, { headers: { Authorization: `Bearer ${TEST_KEY}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});

describe('idempotency', () => {
  it('replays the first answer for the same key and params; rejects the key with other params', async () => {
    const first = await world.stripe.customers.create(
      { email: 'idem@example.com', metadata: { tenant: 't-1' } },
      { idempotencyKey: 'tenant-t-1' },
    );
    const again = await world.stripe.customers.create(
      { email: 'idem@example.com', metadata: { tenant: 't-1' } },
      { idempotencyKey: 'tenant-t-1' },
    );
    expect(again.id).toBe(first.id);
    expect(first.livemode).toBe(false);

    const replay = await fetch(`${world.server.url}/v1/customers`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${TEST_KEY}`,
        'Idempotency-Key': 'tenant-t-1',
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'email=idem%40example.com&metadata[tenant]=t-1',
    });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as { id: string }).id).toBe(first.id);

    const conflict = await world.stripe.customers
      .create({ email: 'other@example.com' }, { idempotencyKey: 'tenant-t-1' })
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(conflict).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError' });

    // Exactly one customer came of it; a new key does create another.
    expect((await world.stripe.customers.list({ email: 'idem@example.com' })).data.map((c) => c.id)).toEqual([first.id]);
    const other = await world.stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'tenant-t-2' });
    expect(other.id).not.toBe(first.id);
  });

  it('ten concurrent creates with one key make one customer', async () => {
    const made = await Promise.all(
      Array.from({ length: 10 }, () => world.stripe.customers.create({ name: 'Race' }, { idempotencyKey: 'race-key' })),
    );
    expect(new Set(made.map((c) => c.id)).size).toBe(1);
  });
});

describe('lists', () => {
  it('pages newest first with limit, starting_after, ending_before and auto-pagination', async () => {
    const created: string[] = [];
    for (let i = 0; i < 25; i += 1)
      created.push((await world.stripe.customers.create({ email: 'page@example.com', name: `n${i}` })).id);
    const newest = [...created].reverse();

    const first = await world.stripe.customers.list({ email: 'page@example.com', limit: 10 });
    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
    expect(first.data.map((c) => c.id)).toEqual(newest.slice(0, 10));

    const second = await world.stripe.customers.list({ email: 'page@example.com', limit: 10, starting_after: newest[9] });
    expect(second.data.map((c) => c.id)).toEqual(newest.slice(10, 20));
    const last = await world.stripe.customers.list({ email: 'page@example.com', limit: 10, starting_after: newest[19] });
    expect(last.data.map((c) => c.id)).toEqual(newest.slice(20));
    expect(last.has_more).toBe(false);

    const before = await world.stripe.customers.list({ email: 'page@example.com', limit: 3, ending_before: newest[10] });
    expect(before.data.map((c) => c.id)).toEqual(newest.slice(7, 10));
    expect(before.has_more).toBe(true);

    const all = await world.stripe.customers.list({ email: 'page@example.com', limit: 7 }).autoPagingToArray({ limit: 100 });
    expect(all.map((c) => c.id)).toEqual(newest);

    await expect(world.stripe.customers.list({ limit: 101 })).rejects.toMatchObject({ statusCode: 400, param: 'limit' });
  });
});

describe('catalog', () => {
  it('finds prices by lookup_keys and moves a key only with transfer_lookup_key', async () => {
    const { team, teamPrice, businessPrice } = await seedCatalog(world.stripe);
    const found = await world.stripe.prices.list({ lookup_keys: ['team_monthly', 'business_monthly'], active: true });
    expect(found.data.map((p) => p.id).sort()).toEqual([teamPrice.id, businessPrice.id].sort());
    expect(teamPrice).toMatchObject({
      object: 'price',
      type: 'recurring',
      recurring: { interval: 'month', usage_type: 'licensed' },
    });

    const clash = world.stripe.prices.create({
      product: team.id,
      currency: 'usd',
      unit_amount: 1200,
      lookup_key: 'team_monthly',
      recurring: { interval: 'month' },
    });
    await expect(clash).rejects.toMatchObject({ statusCode: 400, param: 'lookup_key' });

    const moved = await world.stripe.prices.create({
      product: team.id,
      currency: 'usd',
      unit_amount: 1200,
      lookup_key: 'team_monthly',
      transfer_lookup_key: true,
      recurring: { interval: 'month' },
    });
    expect((await world.stripe.prices.list({ lookup_keys: ['team_monthly'] })).data.map((p) => p.id)).toEqual([moved.id]);
    expect((await world.stripe.prices.retrieve(teamPrice.id)).lookup_key).toBeNull();

    const features = await world.stripe.entitlements.features.list({ lookup_key: 'documents' });
    expect(features.data).toHaveLength(1);
    expect(features.data[0]).toMatchObject({ object: 'entitlements.feature', metadata: { limit: '100' } });
    const attached = await world.stripe.products.listFeatures(team.id);
    expect(attached.data.map((pf) => pf.entitlement_feature.lookup_key)).toEqual(['documents']);
    await expect(world.stripe.entitlements.features.create({ name: 'again', lookup_key: 'documents' })).rejects.toMatchObject({
      statusCode: 400,
    });
    const detached = await world.stripe.products.deleteFeature(team.id, attached.data[0]?.id ?? '');
    expect(detached).toMatchObject({ deleted: true });
    expect((await world.stripe.products.listFeatures(team.id)).data).toHaveLength(0);
  });

  it('merges metadata, unsets a key with an empty value, and keeps the rest', async () => {
    const customer = await world.stripe.customers.create({ metadata: { a: '1', b: '2' } });
    const updated = await world.stripe.customers.update(customer.id, { metadata: { b: '', c: '3' } });
    expect(updated.metadata).toEqual({ a: '1', c: '3' });
  });

  it('expands ids into objects and rejects what cannot be expanded', async () => {
    const price = (await world.stripe.prices.list({ lookup_keys: ['business_monthly'], expand: ['data.product'] })).data[0];
    expect(price?.product).toMatchObject({ object: 'product', name: 'Business' });
    await expect(world.stripe.prices.retrieve(price?.id ?? '', { expand: ['currency'] })).rejects.toMatchObject({
      statusCode: 400,
      param: 'expand',
    });
  });
});
