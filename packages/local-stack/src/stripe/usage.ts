import type { Meter, Subscription } from './objects';
import type { StandIn } from './standin';
import type { MeterEventRecord } from './state';

/**
 * Metered usage as invoices bill it. Stripe bills a metered item in arrears: the renewal
 * invoice carries the usage of the period that just ended. The stand-in's periods move only
 * when a test advances them (not with the clock), so an item's usage is every meter event that
 * arrived since the item's previous usage invoice (or since the item was created), rather than
 * the events whose timestamps fall inside the period.
 */
export interface ItemUsage {
  quantity: number;
  period: { start: number; end: number };
  /** Usage from a trial period is shown but not charged. */
  free: boolean;
}

export function aggregate(formula: Meter['default_aggregation']['formula'], values: number[]): number {
  if (formula === 'count') return values.length;
  if (formula === 'last') return values.at(-1) ?? 0;
  return values.reduce((sum, v) => sum + v, 0);
}

function meterOf(s: StandIn, meterId: string | null): Meter | undefined {
  return meterId ? s.state.meters[meterId] : undefined;
}

/** Takes the usage of each metered item for the period now ending, and marks those events as invoiced. */
export function takeUsage(s: StandIn, subscription: Subscription): Map<string, ItemUsage> {
  const usage = new Map<string, ItemUsage>();
  const events = s.state.meterEvents;
  for (const item of subscription.items.data) {
    const meter = meterOf(s, item.price.recurring?.meter ?? null);
    if (item.price.recurring?.usage_type !== 'metered' || !meter) continue;
    const from = s.state.usageInvoiced[item.id];
    const since = item.created * 1000;
    const matching = (e: MeterEventRecord, index: number) =>
      (from === undefined ? e.receivedAt >= since : index >= from) &&
      e.event_name === meter.event_name &&
      e.payload[meter.customer_mapping.event_payload_key] === subscription.customer;
    const values = events
      .filter(matching)
      .sort((a, b) => a.timestamp - b.timestamp)
      .map((e) => Number(e.payload[meter.value_settings.event_payload_key] ?? 0));
    usage.set(item.id, {
      quantity: aggregate(meter.default_aggregation.formula, values),
      period: { start: item.current_period_start, end: item.current_period_end },
      free: subscription.status === 'trialing',
    });
    s.state.usageInvoiced[item.id] = events.length;
  }
  return usage;
}
