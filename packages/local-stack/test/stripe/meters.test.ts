import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from './harness';

/** Billing Meters: meters, meter events deduplicated by identifier, event summaries. */
let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(() => world.stop());

describe('billing meters', () => {
  it('counts an identifier once, sums per customer over a minute-aligned window', async () => {
    const meter = await world.stripe.billing.meters.create({
      display_name: 'Documents created',
      event_name: 'document_created',
      default_aggregation: { formula: 'sum' },
      customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
      value_settings: { event_payload_key: 'value' },
    });
    expect(meter).toMatchObject({ object: 'billing.meter', status: 'active', default_aggregation: { formula: 'sum' } });
    expect((await world.stripe.billing.meters.list()).data.map((m) => m.id)).toEqual([meter.id]);

    const [a, b] = [await world.stripe.customers.create({}), await world.stripe.customers.create({})];
    const send = (customer: string, identifier: string, value = '1') =>
      world.stripe.billing.meterEvents.create({
        event_name: 'document_created',
        payload: { stripe_customer_id: customer, value },
        identifier,
      });
    const first = await send(a.id, 'doc-1');
    expect(first).toMatchObject({ object: 'billing.meter_event', identifier: 'doc-1', livemode: false });
    const repeat = await send(a.id, 'doc-1');
    expect(repeat).toEqual(first);
    await send(a.id, 'doc-2');
    await send(a.id, 'doc-3', '5');
    await send(b.id, 'doc-4');

    const now = Math.floor(Date.now() / 1000);
    const start = Math.floor(now / 60) * 60 - 3600;
    const end = Math.floor(now / 60) * 60 + 120;
    const summaryFor = async (customer: string) =>
      (await world.stripe.billing.meters.listEventSummaries(meter.id, { customer, start_time: start, end_time: end })).data;
    const forA = await summaryFor(a.id);
    expect(forA).toHaveLength(1);
    expect(forA[0]).toMatchObject({
      object: 'billing.meter_event_summary',
      aggregated_value: 7,
      meter: meter.id,
      start_time: start,
      end_time: end,
    });
    expect((await summaryFor(b.id))[0]?.aggregated_value).toBe(1);

    // Grouped by hour: one summary per hour, newest first; together they hold the same total.
    const hourly = await world.stripe.billing.meters.listEventSummaries(meter.id, {
      customer: a.id,
      start_time: start,
      end_time: end,
      value_grouping_window: 'hour',
      limit: 100,
    });
    expect(hourly.data.length).toBeGreaterThanOrEqual(2);
    expect(hourly.data.map((x) => x.start_time)).toEqual([...hourly.data.map((x) => x.start_time)].sort((x, y) => y - x));
    expect(hourly.data.every((x) => x.end_time - x.start_time <= 3600 && x.start_time % 60 === 0)).toBe(true);
    expect(hourly.data.reduce((sum, x) => sum + x.aggregated_value, 0)).toBe(7);

    // A window before the events holds nothing.
    const earlier = await world.stripe.billing.meters.listEventSummaries(meter.id, {
      customer: a.id,
      start_time: start - 7200,
      end_time: start - 3600,
    });
    expect(earlier.data[0]?.aggregated_value).toBe(0);
  });

  it('rejects bad meter events and unaligned windows with clear errors, storing nothing', async () => {
    const meter = await world.stripe.billing.meters.create({
      display_name: 'API calls',
      event_name: 'api_call',
      default_aggregation: { formula: 'count' },
    });
    const customer = await world.stripe.customers.create({});
    await expect(
      world.stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { value: '1' } }),
    ).rejects.toMatchObject({
      statusCode: 400,
      param: 'payload[stripe_customer_id]',
    });
    await expect(
      world.stripe.billing.meterEvents.create({
        event_name: 'api_call',
        payload: { stripe_customer_id: customer.id },
        timestamp: Math.floor(Date.now() / 1000) - 40 * 86_400,
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'timestamp' });
    await expect(
      world.stripe.billing.meters.listEventSummaries(meter.id, { customer: customer.id, start_time: 61, end_time: 3600 }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'start_time' });
    const window = { customer: customer.id, start_time: 0, end_time: Math.floor(Date.now() / 60_000 + 1) * 60 };
    expect((await world.stripe.billing.meters.listEventSummaries(meter.id, window)).data[0]?.aggregated_value).toBe(0);
    await world.stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { stripe_customer_id: customer.id } });
    expect((await world.stripe.billing.meters.listEventSummaries(meter.id, window)).data[0]?.aggregated_value).toBe(1);
  });
});
