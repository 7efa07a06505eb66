import { expandObject } from './expand';
import type { Params } from './form';
import { newId, nowSeconds } from './ids';
import { newestFirst, paginate } from './list';
import { API_VERSION, type ApiList, type StripeEvent } from './objects';
import { expandPaths } from './params';
import { emptyState, loadState, type StripeState, statePersister } from './state';
import { Deliverer } from './webhooks/delivery';

/**
 * The stand-in's account: its state, the event log every change writes to, webhook delivery,
 * and the helpers every resource uses to answer (expansion, pagination). Request handling is
 * synchronous against this in-memory state, so two requests never interleave inside one
 * change; the state file is written shortly after.
 */
export interface RequestInfo {
  id: string | null;
  idempotencyKey: string | null;
}

export interface StandInOptions {
  /** JSON file holding the account; without one the account lives in memory only. */
  statePath?: string;
  /** Base URL of this server, for the Checkout and Portal page links. */
  baseUrl: string;
  log?: (message: string) => void;
}

/** Top-level fields that changed, with their previous values (Stripe's `previous_attributes`). */
export function previousAttributes(before: object, after: object): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  const old = before as Record<string, unknown>;
  const now = after as Record<string, unknown>;
  for (const key of new Set([...Object.keys(old), ...Object.keys(now)])) {
    if (JSON.stringify(old[key]) !== JSON.stringify(now[key])) previous[key] = old[key] ?? null;
  }
  return previous;
}

export class StandIn {
  state: StripeState;
  readonly deliverer: Deliverer;
  readonly baseUrl: string;
  readonly log: (message: string) => void;
  /** The API request being handled, recorded on the events it causes. */
  request: RequestInfo = { id: null, idempotencyKey: null };
  /** Set by control actions asked to leave no trace: changes happen, no event is recorded. */
  silent = false;
  private readonly persister: ReturnType<typeof statePersister>;

  constructor(options: StandInOptions) {
    this.baseUrl = options.baseUrl;
    this.log = options.log ?? ((message) => process.stderr.write(`${message}\n`));
    this.state = loadState(options.statePath);
    this.persister = statePersister(options.statePath, () => this.state);
    this.deliverer = new Deliverer({ state: () => this.state, changed: () => this.changed(), log: this.log });
  }

  changed(): void {
    this.persister.schedule();
  }

  /** Records an event (snapshot of `object` now) and queues its webhook deliveries. */
  emit(type: string, object: object, previous?: Record<string, unknown>): StripeEvent | undefined {
    this.changed();
    if (this.silent || this.state.suppressEvents) return undefined;
    const event: StripeEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: nowSeconds(),
      data: {
        object: structuredClone(object) as Record<string, unknown>,
        ...(previous ? { previous_attributes: structuredClone(previous) } : {}),
      },
      livemode: false,
      pending_webhooks: 0,
      request: { id: this.request.id, idempotency_key: this.request.idempotencyKey },
      type,
    };
    this.state.events.push(event);
    this.deliverer.enqueue(event);
    return event;
  }

  /** Any stored object by id, for expansion. */
  find(id: string): object | undefined {
    const s = this.state;
    const collections = [
      s.customers,
      s.products,
      s.prices,
      s.features,
      s.subscriptions,
      s.invoices,
      s.checkoutSessions,
      s.portalSessions,
      s.meters,
      s.creditGrants,
      s.creditBalanceTransactions,
    ] as Array<Record<string, object>>;
    for (const collection of collections) {
      const found = collection[id];
      if (found) return found;
    }
    for (const subscription of Object.values(s.subscriptions)) {
      const item = subscription.items.data.find((i) => i.id === id);
      if (item) return item;
    }
    return undefined;
  }

  private resolve = (holder: Record<string, unknown>, field: string, value: unknown): unknown => {
    if (typeof value === 'string') return this.find(value);
    if (holder.object === 'checkout.session' && field === 'line_items') return this.checkoutLineItems(String(holder.id));
    return undefined;
  };

  checkoutLineItems(sessionId: string): ApiList<object> | undefined {
    const plan = this.state.checkoutPlans[sessionId];
    if (!plan) return undefined;
    const data = plan.lineItems.map((line, index) => {
      const price = this.state.prices[line.price];
      const amount = (price?.unit_amount ?? 0) * line.quantity;
      return {
        id: `li_${sessionId.slice(-20)}${index}`,
        object: 'item',
        amount_discount: 0,
        amount_subtotal: amount,
        amount_tax: 0,
        amount_total: amount,
        currency: price?.currency ?? 'usd',
        description: price ? (this.state.products[price.product]?.name ?? null) : null,
        price: price ? structuredClone(price) : null,
        quantity: line.quantity,
      };
    });
    return { object: 'list', data, has_more: false, url: `/v1/checkout/sessions/${sessionId}/line_items` };
  }

  /** One object as the API answers it, with the request's `expand[]`. */
  render<T>(object: T, params: Params): T {
    return expandObject(object, expandPaths(params), this.resolve);
  }

  /** A page of a newest-first list, with `expand[]` applied to its items (`data.` paths). */
  renderList<T extends { id: string }>(items: T[], params: Params, url: string): ApiList<T> {
    const page = paginate(items, params, url);
    return expandObject(page, expandPaths(params), this.resolve);
  }

  newestFirst = newestFirst;

  /** Back to an empty account (chaos and delivery settings return to their defaults too). */
  reset(): void {
    this.deliverer.clear();
    this.state = emptyState();
    this.deliverer.reseed();
    this.changed();
  }

  stop(): void {
    this.deliverer.stop();
    this.persister.close();
  }
}
