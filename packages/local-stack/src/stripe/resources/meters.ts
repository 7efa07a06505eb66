import { invalidRequest, noSuch } from '../errors';
import { newId, nowSeconds, randomTail } from '../ids';
import type { Meter, MeterEvent } from '../objects';
import { hash, int, oneOf, requireStr, str } from '../params';
import { route } from '../route';
import type { StandIn } from '../standin';
import { aggregate } from '../usage';
import { getCustomer } from './customers';

/**
 * Billing Meters: meters, meter events (an `identifier` is unique for 24 hours: a repeat is
 * answered with the first event and not counted again) and event summaries over a time range,
 * whole or in UTC hour/day windows.
 * Stripe aggregates asynchronously; the stand-in counts at once.
 */
const IDENTIFIER_WINDOW_MS = 24 * 3600 * 1000;

function getMeter(s: StandIn, id: string): Meter {
  const meter = s.state.meters[id];
  if (!meter) throw noSuch('billing.meter', id);
  return meter;
}

function publicEvent(record: MeterEvent & { receivedAt?: number }): MeterEvent {
  const { receivedAt: _receivedAt, ...event } = record;
  return event;
}

export const meterRoutes = [
  route('POST', '/v1/billing/meters', ({ s, params }) => {
    const eventName = requireStr(params, 'event_name');
    if (Object.values(s.state.meters).some((m) => m.event_name === eventName && m.status === 'active')) {
      throw invalidRequest(`An active meter with event_name '${eventName}' already exists.`, 'event_name');
    }
    const aggregation = hash(params, 'default_aggregation');
    const formula = aggregation ? oneOf(aggregation, 'formula', ['sum', 'count', 'last'] as const) : undefined;
    if (!formula) throw invalidRequest('Missing required param: default_aggregation[formula].', 'default_aggregation[formula]');
    const mapping = hash(params, 'customer_mapping');
    if (mapping) oneOf(mapping, 'type', ['by_id'] as const);
    const valueSettings = hash(params, 'value_settings');
    const now = nowSeconds();
    const meter: Meter = {
      id: newId('mtr_test', 24),
      object: 'billing.meter',
      created: now,
      customer_mapping: {
        event_payload_key: (mapping && str(mapping, 'event_payload_key')) || 'stripe_customer_id',
        type: 'by_id',
      },
      default_aggregation: { formula },
      display_name: requireStr(params, 'display_name'),
      event_name: eventName,
      event_time_window: null,
      livemode: false,
      status: 'active',
      status_transitions: { deactivated_at: null },
      updated: now,
      value_settings: { event_payload_key: (valueSettings && str(valueSettings, 'event_payload_key')) || 'value' },
    };
    s.state.meters[meter.id] = meter;
    s.emit('billing.meter.created', meter);
    return s.render(meter, params);
  }),
  route('GET', '/v1/billing/meters/:id', ({ s, params, path }) => s.render(getMeter(s, path.id ?? ''), params)),
  route('GET', '/v1/billing/meters', ({ s, params }) => {
    const status = oneOf(params, 'status', ['active', 'inactive'] as const);
    const items = s.newestFirst(s.state.meters).filter((m) => !status || m.status === status);
    return s.renderList(items, params, '/v1/billing/meters');
  }),
  route('POST', '/v1/billing/meter_events', ({ s, params }) => {
    const eventName = requireStr(params, 'event_name');
    const payloadParams = hash(params, 'payload');
    if (!payloadParams) throw invalidRequest('Missing required param: payload.', 'payload', 'parameter_missing');
    const payload: Record<string, string> = {};
    for (const [key, value] of Object.entries(payloadParams)) {
      if (typeof value !== 'string') throw invalidRequest(`payload[${key}] must be a string.`, `payload[${key}]`);
      payload[key] = value;
    }
    const meter = Object.values(s.state.meters).find((m) => m.event_name === eventName && m.status === 'active');
    if (meter) {
      const customerKey = meter.customer_mapping.event_payload_key;
      const valueKey = meter.value_settings.event_payload_key;
      if (!payload[customerKey])
        throw invalidRequest(`Missing required param: payload[${customerKey}].`, `payload[${customerKey}]`);
      if (meter.default_aggregation.formula !== 'count' && !/^-?\d+$/.test(payload[valueKey] ?? '')) {
        throw invalidRequest(`payload[${valueKey}] must be a whole number.`, `payload[${valueKey}]`);
      }
    }
    const now = nowSeconds();
    const timestamp = int(params, 'timestamp') ?? now;
    if (timestamp < now - 35 * 86_400 || timestamp > now + 300) {
      throw invalidRequest('timestamp must be within the past 35 calendar days or up to 5 minutes in the future.', 'timestamp');
    }
    const identifier = str(params, 'identifier') || randomTail(24);
    const since = Date.now() - IDENTIFIER_WINDOW_MS;
    const earlier = s.state.meterEvents.find((e) => e.identifier === identifier && e.receivedAt >= since);
    if (earlier) return publicEvent(earlier);
    const event = {
      object: 'billing.meter_event' as const,
      created: now,
      event_name: eventName,
      identifier,
      livemode: false,
      payload,
      timestamp,
      receivedAt: Date.now(),
    };
    s.state.meterEvents.push(event);
    s.changed();
    return publicEvent(event);
  }),
  route('GET', '/v1/billing/meters/:id/event_summaries', ({ s, params, path }) => {
    const meter = getMeter(s, path.id ?? '');
    const customer = getCustomer(s, requireStr(params, 'customer'), 'customer');
    const start = int(params, 'start_time');
    const end = int(params, 'end_time');
    if (start === undefined) throw invalidRequest('Missing required param: start_time.', 'start_time', 'parameter_missing');
    if (end === undefined) throw invalidRequest('Missing required param: end_time.', 'end_time', 'parameter_missing');
    if (start % 60 !== 0) throw invalidRequest('start_time must be aligned with minute boundaries.', 'start_time');
    if (end % 60 !== 0) throw invalidRequest('end_time must be aligned with minute boundaries.', 'end_time');
    if (end <= start) throw invalidRequest('end_time must be after start_time.', 'end_time');
    const grouping = oneOf(params, 'value_grouping_window', ['day', 'hour'] as const);
    const events = s.state.meterEvents
      .filter(
        (e) =>
          e.event_name === meter.event_name &&
          e.payload[meter.customer_mapping.event_payload_key] === customer.id &&
          e.timestamp >= start &&
          e.timestamp < end,
      )
      .sort((a, b) => a.timestamp - b.timestamp);
    const windowValue = (from: number, to: number) =>
      aggregate(
        meter.default_aggregation.formula,
        events
          .filter((e) => e.timestamp >= from && e.timestamp < to)
          .map((e) => Number(e.payload[meter.value_settings.event_payload_key] ?? 0)),
      );
    // One summary for the range, or one per UTC hour/day window in it, newest first.
    const step = grouping === 'day' ? 86_400 : 3600;
    const windowEnd = (from: number) => (grouping ? Math.min(end, (Math.floor(from / step) + 1) * step) : end);
    const windows: Array<[number, number]> = [];
    for (let from = start; from < end; from = windowEnd(from)) windows.push([from, windowEnd(from)]);
    const summaries = windows.reverse().map(([from, to]) => ({
      id: `mtrusg_test_${meter.id.slice(-16)}${from}`,
      object: 'billing.meter_event_summary',
      aggregated_value: windowValue(from, to),
      end_time: to,
      livemode: false,
      meter: meter.id,
      start_time: from,
    }));
    return s.renderList(summaries, params, `/v1/billing/meters/${meter.id}/event_summaries`);
  }),
];
