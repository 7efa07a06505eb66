import { newId } from '../ids';
import type { StripeEvent } from '../objects';
import type { Delivery, StripeState } from '../state';
import { seededRandom, shuffleInPlace } from './random';
import { signatureHeader } from './sign';

/**
 * Sends each event to every webhook endpoint whose `enabled_events` match, signed as Stripe
 * signs, retrying non-2xx answers and timeouts with a short exponential backoff up to
 * `max_attempts`. Every attempt is recorded on the delivery. The chaos switches act here, per
 * delivery: a duplicate is a second delivery of the same event; a dropped delivery is never
 * sent (the event stays in the API, as when Stripe gives up); a shuffle window holds
 * deliveries until that many wait, then releases them in a seeded random order.
 */
const IDLE_RELEASE_MS = 100;
const MAX_BACKOFF_MS = 30_000;

export interface DeliveryStats {
  queued: number;
  done: number;
  failed: number;
  dropped: number;
}

export class Deliverer {
  private pending: Delivery[] = [];
  private held: Delivery[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private releaseTimer: NodeJS.Timeout | undefined;
  /** Duplicate and drop decisions: depend only on the seed and the sequence of deliveries. */
  private random: () => number;
  /** Shuffle order: a second stream, so when a window is released never shifts the decisions. */
  private shuffleRandom: () => number;
  private stopped = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly host: { state: () => StripeState; changed: () => void; log: (message: string) => void }) {
    this.random = seededRandom(host.state().chaos.seed);
    this.shuffleRandom = seededRandom(host.state().chaos.seed ^ 0x9e3779b9);
    // After a restart, whatever was still queued is sent again.
    for (const delivery of host.state().deliveries) {
      if (delivery.status !== 'queued') continue;
      delivery.nextAt = 0;
      this.pending.push(delivery);
    }
    this.schedule(0);
  }

  /** New chaos settings start a fresh random sequence from their seed. */
  reseed(): void {
    this.random = seededRandom(this.host.state().chaos.seed);
    this.shuffleRandom = seededRandom(this.host.state().chaos.seed ^ 0x9e3779b9);
  }

  /** Forget every queued delivery (the state was reset). */
  clear(): void {
    this.pending = [];
    this.held = [];
    this.notify();
  }

  enqueue(event: StripeEvent): void {
    const state = this.host.state();
    const { chaos } = state;
    for (const endpoint of Object.values(state.webhookEndpoints)) {
      if (endpoint.status !== 'enabled') continue;
      if (!endpoint.enabled_events.includes('*') && !endpoint.enabled_events.includes(event.type)) continue;
      const copies = chaos.duplicate_rate > 0 && this.random() < chaos.duplicate_rate ? 2 : 1;
      const dropped = chaos.drop_rate > 0 && this.random() < chaos.drop_rate;
      for (let copy = 0; copy < copies; copy += 1) {
        const delivery: Delivery = {
          id: newId('whd'),
          event: event.id,
          endpoint: endpoint.id,
          status: dropped ? 'dropped' : 'queued',
          attempts: [],
          nextAt: Date.now(),
          duplicate: copy > 0,
        };
        state.deliveries.push(delivery);
        if (!dropped) this.hold(delivery);
      }
    }
  }

  private hold(delivery: Delivery): void {
    const window = this.host.state().chaos.shuffle_window;
    if (window <= 1) {
      this.pending.push(delivery);
      this.schedule(0);
      return;
    }
    this.held.push(delivery);
    if (this.held.length >= window) this.release();
    else {
      // A quiet moment also releases a partial window, so a few events are never stuck.
      if (this.releaseTimer) clearTimeout(this.releaseTimer);
      this.releaseTimer = setTimeout(() => this.release(), IDLE_RELEASE_MS);
    }
  }

  private release(): void {
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    const batch = shuffleInPlace(this.held.splice(0), this.shuffleRandom);
    const now = Date.now();
    for (const delivery of batch) delivery.nextAt = now;
    this.pending.push(...batch);
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), Math.max(0, delayMs));
  }

  private pump(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = Date.now();
    const concurrency = this.host.state().delivery.concurrency;
    let nextDue = Number.POSITIVE_INFINITY;
    for (const delivery of [...this.pending]) {
      if (this.inFlight >= concurrency) break;
      if (delivery.nextAt > now) {
        nextDue = Math.min(nextDue, delivery.nextAt);
        continue;
      }
      this.pending.splice(this.pending.indexOf(delivery), 1);
      this.inFlight += 1;
      void this.attempt(delivery).finally(() => {
        this.inFlight -= 1;
        this.host.changed();
        this.schedule(0);
        this.notify();
      });
    }
    if (Number.isFinite(nextDue) && this.inFlight < concurrency) this.schedule(nextDue - now);
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const state = this.host.state();
    const endpoint = state.webhookEndpoints[delivery.endpoint];
    const event = state.events.find((e) => e.id === delivery.event);
    if (!endpoint || !event) {
      delivery.status = 'failed';
      delivery.attempts.push({ at: Date.now(), status: null, error: 'the endpoint or the event no longer exists' });
      return;
    }
    const payload = JSON.stringify({ ...event, pending_webhooks: pendingWebhooks(state, event.id) }, null, 2);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Stripe-Signature': signatureHeader(payload, endpoint.secret),
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body: payload,
        signal: AbortSignal.timeout(state.delivery.timeout_ms),
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (caught) {
      error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
    }
    delivery.attempts.push({ at: Date.now(), status, error });
    if (error === null) {
      delivery.status = 'done';
      return;
    }
    if (delivery.attempts.length >= state.delivery.max_attempts) {
      delivery.status = 'failed';
      this.host.log(
        `stripe: giving up on ${event.type} ${event.id} → ${endpoint.url} after ${delivery.attempts.length} attempts (${error})`,
      );
      return;
    }
    const backoff = Math.min(state.delivery.retry_base_ms * 2 ** (delivery.attempts.length - 1), MAX_BACKOFF_MS);
    delivery.nextAt = Date.now() + backoff;
    this.pending.push(delivery);
  }

  stats(): DeliveryStats {
    const stats: DeliveryStats = { queued: 0, done: 0, failed: 0, dropped: 0 };
    for (const delivery of this.host.state().deliveries) stats[delivery.status] += 1;
    return stats;
  }

  private idle(): boolean {
    return this.pending.length === 0 && this.held.length === 0 && this.inFlight === 0;
  }

  private notify(): void {
    if (!this.idle()) return;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /**
   * Sends everything now: releases the shuffle window, skips retry waits, and resolves once no
   * delivery is queued or in flight (or after `timeoutMs`).
   */
  async flush(timeoutMs: number): Promise<DeliveryStats & { idle: boolean }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.idle() && Date.now() < deadline) {
      if (this.held.length > 0) this.release();
      for (const delivery of this.pending) delivery.nextAt = Math.min(delivery.nextAt, Date.now());
      this.schedule(0);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(200, Math.max(0, deadline - Date.now())));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return { ...this.stats(), idle: this.idle() };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    // Held deliveries stay queued in the state and go out after the next start.
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** Endpoints that have not yet acknowledged the event (Stripe's `pending_webhooks`). */
export function pendingWebhooks(state: StripeState, eventId: string): number {
  return pendingWebhooksByEvent(state, [eventId]).get(eventId) ?? 0;
}

/** `pending_webhooks` for many events in one pass over the deliveries. */
export function pendingWebhooksByEvent(state: StripeState, eventIds?: string[]): Map<string, number> {
  const wanted = eventIds ? new Set(eventIds) : undefined;
  const acknowledged = new Map<string, Map<string, boolean>>();
  for (const delivery of state.deliveries) {
    if (wanted && !wanted.has(delivery.event)) continue;
    let byEndpoint = acknowledged.get(delivery.event);
    if (!byEndpoint) {
      byEndpoint = new Map();
      acknowledged.set(delivery.event, byEndpoint);
    }
    byEndpoint.set(delivery.endpoint, (byEndpoint.get(delivery.endpoint) ?? false) || delivery.status === 'done');
  }
  const pending = new Map<string, number>();
  for (const [event, byEndpoint] of acknowledged) pending.set(event, [...byEndpoint.values()].filter((done) => !done).length);
  return pending;
}
