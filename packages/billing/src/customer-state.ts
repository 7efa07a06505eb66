import 'server-only';
import type pg from 'pg';
import type Stripe from 'stripe';
import { catalog } from './catalog/bundled';
import { combineRule } from './catalog/schema';
import { type CreditState, diffCredits, fetchCreditState, readLocalCredits, writeCredits } from './credit-state';

/**
 * A Stripe Customer's billing state as the database stores it, fetched fresh from Stripe (never
 * from an event's payload), and written for its tenant in one go. The webhook route and
 * reconciliation both call syncCustomer(): an event is only a hint that this customer changed,
 * so events arriving late, twice or not at all all end in the same rows.
 *
 * A customer may hold several subscriptions; each one's rows carry what its own items' products
 * grant (so access can follow each subscription's status), and the customer's credit grants and
 * their ledger come along (credit-state.ts).
 */
export interface SubscriptionRow {
  stripe_subscription_id: string;
  status: string;
  plan_lookup_key: string | null;
  cancel_at_period_end: boolean;
  livemode: boolean;
  /** When Stripe last invoiced it (metered subscriptions only; null otherwise). */
  usage_billed_through: string | null;
  items: ItemRow[];
  /** What this subscription's products grant, by Stripe feature. */
  grants: EntitlementRow[];
}

export interface ItemRow {
  stripe_item_id: string;
  stripe_price_id: string;
  price_lookup_key: string | null;
  quantity: number;
  current_period_start: string | null;
  current_period_end: string | null;
  usage_type: 'licensed' | 'metered';
  unit_amount: number | null;
  currency: string;
}

export interface EntitlementRow {
  feature: string;
  limit_value: number | null;
  stripe_feature_id: string | null;
}

export interface CustomerState {
  subscriptions: SubscriptionRow[];
  entitlements: EntitlementRow[];
  credits: CreditState;
  /** Extra fields written but not compared for drift. */
  raw: Map<string, { trialEnd: string | null; created: string; customer: string }>;
}

const iso = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : null);

/**
 * Lists the customer's subscriptions (every status) with what each grants, its active
 * entitlements and its credits from Stripe.
 */
export async function fetchCustomerState(stripe: Stripe, customerId: string): Promise<CustomerState> {
  const subscriptions: SubscriptionRow[] = [];
  const raw: CustomerState['raw'] = new Map();
  // A product's features are read once per fetch, however many items carry it.
  const productGrants = new Map<string, Promise<EntitlementRow[]>>();
  const grantsOf = (product: string) => {
    let found = productGrants.get(product);
    if (!found) {
      found = (async () => {
        const rows: EntitlementRow[] = [];
        for await (const pf of stripe.products.listFeatures(product, { limit: 100 }))
          rows.push(entitlementFromFeature(pf.entitlement_feature));
        return rows;
      })();
      productGrants.set(product, found);
    }
    return found;
  };
  for await (const sub of stripe.subscriptions.list({ customer: customerId, status: 'all', limit: 100 })) {
    const items: ItemRow[] = sub.items.data.map((item) => ({
      stripe_item_id: item.id,
      stripe_price_id: item.price.id,
      price_lookup_key: item.price.lookup_key ?? null,
      quantity: item.quantity ?? 1,
      current_period_start: iso(item.current_period_start),
      current_period_end: iso(item.current_period_end),
      usage_type: item.price.recurring?.usage_type === 'metered' ? 'metered' : 'licensed',
      unit_amount: item.price.unit_amount ?? null,
      currency: item.price.currency,
    }));
    const grants = new Map<string, EntitlementRow>();
    for (const item of sub.items.data) {
      const product = typeof item.price.product === 'string' ? item.price.product : item.price.product.id;
      for (const row of await grantsOf(product)) grants.set(row.stripe_feature_id as string, row);
    }
    // Usage since the newest invoice is not billed yet (Stripe bills metered prices in arrears).
    let usageBilledThrough: string | null = null;
    if (items.some((i) => i.usage_type === 'metered')) {
      const latest = (await stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0];
      usageBilledThrough = iso(latest?.created);
    }
    subscriptions.push({
      stripe_subscription_id: sub.id,
      status: sub.status,
      // The plan is the first item with a lookup key (the catalog's plan price).
      plan_lookup_key: items.find((i) => i.price_lookup_key)?.price_lookup_key ?? null,
      cancel_at_period_end: sub.cancel_at_period_end,
      livemode: sub.livemode,
      usage_billed_through: usageBilledThrough,
      items: items.sort((a, b) => a.stripe_item_id.localeCompare(b.stripe_item_id)),
      grants: [...grants.values()].sort((a, b) => String(a.stripe_feature_id).localeCompare(String(b.stripe_feature_id))),
    });
    raw.set(sub.id, {
      trialEnd: iso(sub.trial_end),
      created: iso(sub.created) ?? new Date().toISOString(),
      customer: customerId,
    });
  }
  subscriptions.sort((a, b) => a.stripe_subscription_id.localeCompare(b.stripe_subscription_id));

  // Several Stripe features may grant the same local feature (a plan and an add-on): their limits
  // combine by the catalog's rule for it (sum or max), and no limit beats any.
  const granted = new Map<string, EntitlementRow>();
  for await (const entitlement of stripe.entitlements.activeEntitlements.list({
    customer: customerId,
    limit: 100,
    expand: ['data.feature'],
  })) {
    const feature =
      typeof entitlement.feature === 'string'
        ? await stripe.entitlements.features.retrieve(entitlement.feature)
        : entitlement.feature;
    const row = entitlementFromFeature(feature);
    const existing = granted.get(row.feature);
    granted.set(row.feature, existing ? combineGrants(existing, row) : row);
  }
  const entitlements = [...granted.values()].sort((a, b) => a.feature.localeCompare(b.feature));
  const credits = await fetchCreditState(stripe, customerId);
  return { subscriptions, entitlements, credits, raw };
}

/** Two grants of one local feature as one: the catalog's combine rule, no limit beating any. */
export function combineGrants(a: EntitlementRow, b: EntitlementRow): EntitlementRow {
  if (a.limit_value === null) return a;
  if (b.limit_value === null) return b;
  if (combineRule(catalog, a.feature) === 'sum') return { ...a, limit_value: a.limit_value + b.limit_value };
  return b.limit_value > a.limit_value ? b : a;
}

/** What a Stripe entitlement feature grants locally: metadata `grants` and `limit` (see the catalog). */
export function entitlementFromFeature(feature: Stripe.Entitlements.Feature): EntitlementRow {
  const grants = feature.metadata?.grants || feature.lookup_key;
  const limit = feature.metadata?.limit;
  const parsed = limit === undefined || limit === '' ? null : Number.parseInt(limit, 10);
  return {
    feature: grants,
    limit_value: parsed === null || Number.isNaN(parsed) ? null : parsed,
    stripe_feature_id: feature.id,
  };
}

/** The tenant's billing rows as stored, in the same shape as fetchCustomerState(). */
export async function readLocalState(client: pg.PoolClient, tenantId: string): Promise<Omit<CustomerState, 'raw'>> {
  const subs = await client.query<Omit<SubscriptionRow, 'items' | 'grants'>>(
    `select stripe_subscription_id, status, plan_lookup_key, cancel_at_period_end, livemode,
            to_char(usage_billed_through at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as usage_billed_through
       from public.billing_subscriptions where tenant_id = $1 order by stripe_subscription_id`,
    [tenantId],
  );
  const items = await client.query<ItemRow & { stripe_subscription_id: string }>(
    `select stripe_subscription_id, stripe_item_id, stripe_price_id, price_lookup_key, quantity,
            to_char(current_period_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as current_period_start,
            to_char(current_period_end at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as current_period_end,
            usage_type, unit_amount, currency
       from public.billing_subscription_items where tenant_id = $1 order by stripe_item_id`,
    [tenantId],
  );
  const grants = await client.query<EntitlementRow & { stripe_subscription_id: string }>(
    `select stripe_subscription_id, feature, limit_value, stripe_feature_id
       from public.billing_subscription_entitlements where tenant_id = $1 order by stripe_feature_id`,
    [tenantId],
  );
  const entitlements = await client.query<EntitlementRow>(
    'select feature, limit_value, stripe_feature_id from public.tenant_entitlements where tenant_id = $1 order by feature',
    [tenantId],
  );
  return {
    subscriptions: subs.rows.map((s) => ({
      ...s,
      items: items.rows
        .filter((i) => i.stripe_subscription_id === s.stripe_subscription_id)
        .map(({ stripe_subscription_id: _sub, ...item }) => item),
      grants: grants.rows
        .filter((g) => g.stripe_subscription_id === s.stripe_subscription_id)
        .map(({ stripe_subscription_id: _sub, ...grant }) => grant),
    })),
    entitlements: entitlements.rows,
    credits: await readLocalCredits(client, tenantId),
  };
}

/** Field-level differences between the stored and the fetched state (empty = no drift). */
export function diffState(local: Omit<CustomerState, 'raw'>, remote: Omit<CustomerState, 'raw'>): string[] {
  const out: string[] = [];
  const localSubs = new Map(local.subscriptions.map((s) => [s.stripe_subscription_id, s]));
  const remoteSubs = new Map(remote.subscriptions.map((s) => [s.stripe_subscription_id, s]));
  for (const [id, r] of remoteSubs) {
    const l = localSubs.get(id);
    if (!l) {
      out.push(`subscription ${id} missing locally (Stripe: ${r.status})`);
      continue;
    }
    for (const key of ['status', 'plan_lookup_key', 'cancel_at_period_end', 'usage_billed_through'] as const) {
      if (l[key] !== r[key]) out.push(`subscription ${id} ${key}: local ${String(l[key])}, Stripe ${String(r[key])}`);
    }
    const lItems = new Map(l.items.map((i) => [i.stripe_item_id, i]));
    for (const item of r.items) {
      const li = lItems.get(item.stripe_item_id);
      if (!li) out.push(`item ${item.stripe_item_id} missing locally`);
      else {
        for (const key of [
          'stripe_price_id',
          'quantity',
          'current_period_start',
          'current_period_end',
          'usage_type',
          'unit_amount',
          'currency',
        ] as const) {
          if (li[key] !== item[key])
            out.push(`item ${item.stripe_item_id} ${key}: local ${String(li[key])}, Stripe ${String(item[key])}`);
        }
      }
      lItems.delete(item.stripe_item_id);
    }
    for (const id of lItems.keys()) out.push(`item ${id} gone from Stripe`);
    const lGrants = new Map(l.grants.map((g) => [g.stripe_feature_id, g]));
    for (const grant of r.grants) {
      const lg = lGrants.get(grant.stripe_feature_id);
      lGrants.delete(grant.stripe_feature_id);
      if (!lg) out.push(`subscription ${id} grant of ${grant.feature} missing locally`);
      else if (lg.limit_value !== grant.limit_value || lg.feature !== grant.feature)
        out.push(`subscription ${id} grant of ${grant.feature}: local limit ${lg.limit_value}, Stripe ${grant.limit_value}`);
    }
    for (const g of lGrants.values()) out.push(`subscription ${id} grant of ${g.feature} no longer on Stripe`);
  }
  for (const id of localSubs.keys()) if (!remoteSubs.has(id)) out.push(`subscription ${id} gone from Stripe`);
  const lEnt = new Map(local.entitlements.map((e) => [e.feature, e]));
  for (const e of remote.entitlements) {
    const l = lEnt.get(e.feature);
    if (!l) out.push(`entitlement ${e.feature} missing locally`);
    else if (l.limit_value !== e.limit_value)
      out.push(`entitlement ${e.feature} limit: local ${l.limit_value}, Stripe ${e.limit_value}`);
    lEnt.delete(e.feature);
  }
  for (const feature of lEnt.keys()) out.push(`entitlement ${feature} no longer active on Stripe`);
  out.push(...diffCredits(local.credits, remote.credits));
  return out;
}

/** Replaces the tenant's subscriptions, items and entitlements with the fetched state. */
export async function writeState(client: pg.PoolClient, tenantId: string, state: CustomerState): Promise<void> {
  const ids = state.subscriptions.map((s) => s.stripe_subscription_id);
  await client.query(
    'delete from public.billing_subscriptions where tenant_id = $1 and not (stripe_subscription_id = any($2::text[]))',
    [tenantId, ids],
  );
  for (const sub of state.subscriptions) {
    const extra = state.raw.get(sub.stripe_subscription_id);
    await client.query(
      `insert into public.billing_subscriptions
         (tenant_id, stripe_subscription_id, stripe_customer_id, status, plan_lookup_key, cancel_at_period_end, trial_end, livemode, stripe_created, usage_billed_through, synced_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
       on conflict (tenant_id, stripe_subscription_id) do update set
         status = excluded.status, plan_lookup_key = excluded.plan_lookup_key,
         cancel_at_period_end = excluded.cancel_at_period_end, trial_end = excluded.trial_end,
         livemode = excluded.livemode, usage_billed_through = excluded.usage_billed_through, synced_at = now()`,
      [
        tenantId,
        sub.stripe_subscription_id,
        extra?.customer,
        sub.status,
        sub.plan_lookup_key,
        sub.cancel_at_period_end,
        extra?.trialEnd ?? null,
        sub.livemode,
        extra?.created ?? new Date().toISOString(),
        sub.usage_billed_through,
      ],
    );
    await client.query(
      'delete from public.billing_subscription_items where tenant_id = $1 and stripe_subscription_id = $2 and not (stripe_item_id = any($3::text[]))',
      [tenantId, sub.stripe_subscription_id, sub.items.map((i) => i.stripe_item_id)],
    );
    for (const item of sub.items) {
      await client.query(
        `insert into public.billing_subscription_items
           (tenant_id, stripe_item_id, stripe_subscription_id, stripe_price_id, price_lookup_key, quantity, current_period_start, current_period_end,
            usage_type, unit_amount, currency)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (tenant_id, stripe_item_id) do update set
           stripe_price_id = excluded.stripe_price_id, price_lookup_key = excluded.price_lookup_key, quantity = excluded.quantity,
           current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
           usage_type = excluded.usage_type, unit_amount = excluded.unit_amount, currency = excluded.currency`,
        [
          tenantId,
          item.stripe_item_id,
          sub.stripe_subscription_id,
          item.stripe_price_id,
          item.price_lookup_key,
          item.quantity,
          item.current_period_start,
          item.current_period_end,
          item.usage_type,
          item.unit_amount,
          item.currency,
        ],
      );
    }
    await client.query(
      `delete from public.billing_subscription_entitlements
        where tenant_id = $1 and stripe_subscription_id = $2 and not (stripe_feature_id = any($3::text[]))`,
      [tenantId, sub.stripe_subscription_id, sub.grants.map((g) => g.stripe_feature_id)],
    );
    for (const grant of sub.grants) {
      await client.query(
        `insert into public.billing_subscription_entitlements (tenant_id, stripe_subscription_id, feature, limit_value, stripe_feature_id)
         values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, stripe_subscription_id, stripe_feature_id) do update set
           feature = excluded.feature, limit_value = excluded.limit_value`,
        [tenantId, sub.stripe_subscription_id, grant.feature, grant.limit_value, grant.stripe_feature_id],
      );
    }
  }
  await client.query('delete from public.tenant_entitlements where tenant_id = $1 and not (feature = any($2::text[]))', [
    tenantId,
    state.entitlements.map((e) => e.feature),
  ]);
  for (const e of state.entitlements) {
    await client.query(
      `insert into public.tenant_entitlements (tenant_id, feature, limit_value, source, stripe_feature_id, synced_at)
       values ($1, $2, $3, 'stripe', $4, now())
       on conflict (tenant_id, feature) do update set
         limit_value = excluded.limit_value, stripe_feature_id = excluded.stripe_feature_id, synced_at = now()`,
      [tenantId, e.feature, e.limit_value, e.stripe_feature_id],
    );
  }
  await writeCredits(client, tenantId, state.credits);
}

/**
 * Serialises every sync of one customer (webhook deliveries and reconciliation alike): the
 * transaction that takes the lock second fetches from Stripe after the first one committed, so
 * the last write is always the freshest read.
 */
export async function lockCustomer(client: pg.PoolClient, customerId: string): Promise<void> {
  await client.query(`select pg_advisory_xact_lock(hashtextextended('billing.customer:' || $1, 0))`, [customerId]);
}

/** The tenant a Stripe customer belongs to: our row, else the tenant id we put in its metadata. */
export async function tenantForCustomer(client: pg.PoolClient, stripe: Stripe, customerId: string): Promise<string | null> {
  const { rows } = await client.query<{ tenant_id: string }>(
    'select tenant_id from public.billing_customers where stripe_customer_id = $1',
    [customerId],
  );
  if (rows[0]) return rows[0].tenant_id;
  // ensureCustomer() may have created the customer and failed before recording it.
  const customer = await stripe.customers.retrieve(customerId);
  if (customer.deleted) return null;
  const tenantId = customer.metadata?.bulkhead_tenant_id;
  if (!tenantId) return null;
  await client.query(
    `insert into public.billing_customers (tenant_id, stripe_customer_id, livemode) values ($1, $2, $3)
     on conflict do nothing`,
    [tenantId, customerId, customer.livemode],
  );
  const again = await client.query<{ tenant_id: string }>(
    'select tenant_id from public.billing_customers where stripe_customer_id = $1',
    [customerId],
  );
  return again.rows[0]?.tenant_id ?? null;
}

/** Fetches the customer's current state from Stripe and writes it for its tenant. Returns the drift it repaired. */
export async function syncCustomer(
  client: pg.PoolClient,
  stripe: Stripe,
  customerId: string,
  options: { write?: boolean } = {},
): Promise<{ tenantId: string | null; differences: string[] }> {
  await lockCustomer(client, customerId);
  const tenantId = await tenantForCustomer(client, stripe, customerId);
  if (!tenantId) return { tenantId: null, differences: [] };
  const remote = await fetchCustomerState(stripe, customerId);
  const local = await readLocalState(client, tenantId);
  const differences = diffState(local, remote);
  if (differences.length > 0 && options.write !== false) await writeState(client, tenantId, remote);
  return { tenantId, differences };
}
