import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type {
  CheckoutPlan,
  CheckoutSession,
  CreditBalanceTransaction,
  CreditGrant,
  Customer,
  Feature,
  Invoice,
  Meter,
  MeterEvent,
  PortalSession,
  Price,
  Product,
  ProductFeature,
  StripeEvent,
  Subscription,
  WebhookEndpoint,
} from './objects';

/**
 * Everything the stand-in knows, as one JSON document in the stack directory, so a restart of
 * the stack keeps the account and `pnpm stack reset` clears it. Collections are records keyed
 * by id; JavaScript keeps string keys in insertion order (JSON round-trips included), which is
 * the creation order lists need.
 */
export interface DeliveryAttempt {
  at: number;
  status: number | null;
  error: string | null;
}

export interface Delivery {
  id: string;
  event: string;
  endpoint: string;
  /** queued: waiting (maybe in the shuffle window); done: got a 2xx; failed: out of retries; dropped: chaos. */
  status: 'queued' | 'done' | 'failed' | 'dropped';
  attempts: DeliveryAttempt[];
  /** Epoch ms of the next try while queued. */
  nextAt: number;
  duplicate: boolean;
}

export interface ChaosSettings {
  /** Probability that a delivery is sent twice. */
  duplicate_rate: number;
  /** Probability that a delivery is never sent (the event still exists in the API). */
  drop_rate: number;
  /** Deliveries are held until this many are waiting, then sent in a shuffled order (0/1 = in order). */
  shuffle_window: number;
  seed: number;
}

export interface DeliverySettings {
  /** Deliveries in flight at once; 1 sends in queue order. */
  concurrency: number;
  max_attempts: number;
  retry_base_ms: number;
  timeout_ms: number;
}

export interface MeterEventRecord extends MeterEvent {
  /** Ms since epoch of the request, for the 24 h identifier window. */
  receivedAt: number;
}

export interface IdempotencyRecord {
  fingerprint: string;
  status: number;
  body: string;
  requestId: string;
  createdAt: number;
}

export interface StripeState {
  version: 1;
  customers: Record<string, Customer>;
  products: Record<string, Product>;
  prices: Record<string, Price>;
  features: Record<string, Feature>;
  productFeatures: Record<string, ProductFeature & { product: string }>;
  checkoutSessions: Record<string, CheckoutSession>;
  checkoutPlans: Record<string, CheckoutPlan>;
  portalSessions: Record<string, PortalSession>;
  subscriptions: Record<string, Subscription>;
  invoices: Record<string, Invoice>;
  meters: Record<string, Meter>;
  meterEvents: MeterEventRecord[];
  creditGrants: Record<string, CreditGrant>;
  creditBalanceTransactions: Record<string, CreditBalanceTransaction>;
  /** Per metered subscription item: how many meter events (in arrival order) its usage invoices have already looked at. */
  usageInvoiced: Record<string, number>;
  webhookEndpoints: Record<string, WebhookEndpoint & { secret: string }>;
  events: StripeEvent[];
  deliveries: Delivery[];
  idempotency: Record<string, IdempotencyRecord>;
  /** Feature ids each subscription item grants this period (features reach subscriptions at period start). */
  itemFeatures: Record<string, string[]>;
  /** The entitlement set last announced per customer, to emit a summary event only on change. */
  announcedEntitlements: Record<string, string[]>;
  suppressEvents: boolean;
  chaos: ChaosSettings;
  delivery: DeliverySettings;
}

export function emptyState(): StripeState {
  return {
    version: 1,
    customers: {},
    products: {},
    prices: {},
    features: {},
    productFeatures: {},
    checkoutSessions: {},
    checkoutPlans: {},
    portalSessions: {},
    subscriptions: {},
    invoices: {},
    meters: {},
    meterEvents: [],
    creditGrants: {},
    creditBalanceTransactions: {},
    usageInvoiced: {},
    webhookEndpoints: {},
    events: [],
    deliveries: [],
    idempotency: {},
    itemFeatures: {},
    announcedEntitlements: {},
    suppressEvents: false,
    chaos: { duplicate_rate: 0, drop_rate: 0, shuffle_window: 0, seed: 1 },
    delivery: { concurrency: 8, max_attempts: 5, retry_base_ms: 250, timeout_ms: 10_000 },
  };
}

export function loadState(path: string | undefined): StripeState {
  if (!path || !existsSync(path)) return emptyState();
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as StripeState;
  if (parsed.version !== 1) throw new Error(`${path}: unknown stand-in state version; delete the file to start over`);
  const empty = emptyState();
  const state = { ...empty, ...parsed, delivery: { ...empty.delivery, ...parsed.delivery } };
  // Events leave the API after 30 days; a long-lived dev account sheds them (and their deliveries) on start.
  const oldest = Math.floor(Date.now() / 1000) - 30 * 86_400;
  state.events = state.events.filter((event) => event.created >= oldest);
  const kept = new Set(state.events.map((event) => event.id));
  state.deliveries = state.deliveries.filter((delivery) => kept.has(delivery.event));
  return state;
}

/** Writes are debounced (many changes per request) and atomic (write, then rename). */
export function statePersister(path: string | undefined, state: () => StripeState) {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const write = () => {
    timer = undefined;
    if (!path || closed) return;
    writeFileSync(`${path}.tmp`, JSON.stringify(state()));
    renameSync(`${path}.tmp`, path);
  };
  return {
    schedule(): void {
      if (!closed) timer ??= setTimeout(write, 250);
    },
    /** Writes now and stops writing (deliveries still in flight after a stop change nothing on disk). */
    close(): void {
      if (timer) clearTimeout(timer);
      write();
      closed = true;
    },
  };
}
