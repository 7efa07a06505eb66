import type { Recurring, Subscription } from './objects';

/**
 * Billing periods. Current API versions keep the period on each subscription item; the items of
 * one subscription share it, so the first item's period is the subscription's.
 */
export function periodEnd(start: number, recurring: Recurring): number {
  const date = new Date(start * 1000);
  const n = recurring.interval_count;
  if (recurring.interval === 'day') date.setUTCDate(date.getUTCDate() + n);
  if (recurring.interval === 'week') date.setUTCDate(date.getUTCDate() + 7 * n);
  if (recurring.interval === 'month') date.setUTCMonth(date.getUTCMonth() + n);
  if (recurring.interval === 'year') date.setUTCFullYear(date.getUTCFullYear() + n);
  return Math.floor(date.getTime() / 1000);
}

export function currentPeriod(subscription: Subscription): { start: number; end: number } {
  const first = subscription.items.data[0];
  return {
    start: first?.current_period_start ?? subscription.start_date,
    end: first?.current_period_end ?? subscription.start_date,
  };
}
