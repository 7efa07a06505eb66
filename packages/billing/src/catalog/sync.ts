import 'server-only';
import type pg from 'pg';
import type Stripe from 'stripe';
import type { Catalog } from './schema';

/**
 * Upserts the catalog into a Stripe account, idempotently: every object is found by its stable
 * key first and created only when missing, then updated to match the file.
 *   features  entitlement features, by lookup_key; metadata `grants` and `limit`
 *   products  one per plan, by metadata.bulkhead_plan
 *   prices    by lookup_key; a price's amount cannot change on Stripe, so a changed amount
 *             creates a new price and moves the lookup key to it (transfer_lookup_key)
 *   product features  attached so the plan grants exactly its catalog features
 *   meter     by event_name (first: metered prices name it)
 * The free tier has no Stripe object: it goes into private.billing_free_features, and the rules
 * (how limits combine, what happens when credits run out) into private.billing_feature_rules and
 * private.billing_credit_rules.
 */
export interface SyncDeps {
  stripe: Stripe;
  /** The billing_sync pool, for the free tier; omit to sync Stripe only. */
  pool?: pg.Pool;
}

export type SyncAction = `${'created' | 'updated' | 'unchanged' | 'attached' | 'detached' | 'free tier set'} ${string}`;

export async function syncCatalog(catalog: Catalog, deps: SyncDeps): Promise<SyncAction[]> {
  const { stripe } = deps;
  const actions: SyncAction[] = [];

  const featureIds = new Map<string, string>();
  for (const feature of catalog.features) {
    const metadata = { grants: feature.grants, limit: feature.limit === undefined ? '' : String(feature.limit) };
    const found = (await stripe.entitlements.features.list({ lookup_key: feature.lookupKey, limit: 1 })).data[0];
    if (!found) {
      const created = await stripe.entitlements.features.create({ lookup_key: feature.lookupKey, name: feature.name, metadata });
      featureIds.set(feature.lookupKey, created.id);
      actions.push(`created feature ${feature.lookupKey}`);
    } else {
      featureIds.set(feature.lookupKey, found.id);
      if (
        found.name !== feature.name ||
        found.metadata?.grants !== metadata.grants ||
        (found.metadata?.limit ?? '') !== metadata.limit
      ) {
        await stripe.entitlements.features.update(found.id, { name: feature.name, metadata });
        actions.push(`updated feature ${feature.lookupKey}`);
      } else actions.push(`unchanged feature ${feature.lookupKey}`);
    }
  }

  const meters: Stripe.Billing.Meter[] = [];
  for await (const meter of stripe.billing.meters.list({ limit: 100 })) meters.push(meter);
  // First: metered prices name the meter.
  let meter = meters.find((m) => m.event_name === catalog.meter.eventName);
  if (!meter) {
    meter = await stripe.billing.meters.create({
      display_name: catalog.meter.displayName,
      event_name: catalog.meter.eventName,
      default_aggregation: { formula: 'count' },
      customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
    });
    actions.push(`created meter ${catalog.meter.eventName}`);
  } else actions.push(`unchanged meter ${catalog.meter.eventName}`);

  const products: Stripe.Product[] = [];
  for await (const product of stripe.products.list({ limit: 100 })) products.push(product);

  for (const plan of catalog.plans) {
    let product = products.find((p) => p.metadata?.bulkhead_plan === plan.key);
    if (!product) {
      product = await stripe.products.create({
        name: plan.name,
        description: plan.description || undefined,
        metadata: { bulkhead_plan: plan.key },
      });
      actions.push(`created product ${plan.key}`);
    } else if (product.name !== plan.name || (product.description ?? '') !== plan.description || !product.active) {
      product = await stripe.products.update(product.id, { name: plan.name, description: plan.description || '', active: true });
      actions.push(`updated product ${plan.key}`);
    } else actions.push(`unchanged product ${plan.key}`);

    const price = (await stripe.prices.list({ lookup_keys: [plan.price.lookupKey], limit: 1 })).data[0];
    const matches =
      price &&
      price.product === product.id &&
      price.unit_amount === plan.price.unitAmount &&
      price.currency === plan.price.currency &&
      price.recurring?.interval === plan.price.interval &&
      price.recurring?.usage_type === plan.price.usage &&
      price.active;
    if (!matches) {
      await stripe.prices.create({
        product: product.id,
        lookup_key: plan.price.lookupKey,
        transfer_lookup_key: Boolean(price),
        unit_amount: plan.price.unitAmount,
        currency: plan.price.currency,
        recurring:
          plan.price.usage === 'metered'
            ? { interval: plan.price.interval, usage_type: 'metered', meter: meter.id }
            : { interval: plan.price.interval, usage_type: 'licensed' },
        nickname: plan.name,
      });
      actions.push(`${price ? 'updated' : 'created'} price ${plan.price.lookupKey}`);
    } else actions.push(`unchanged price ${plan.price.lookupKey}`);

    const attached: Stripe.ProductFeature[] = [];
    for await (const pf of stripe.products.listFeatures(product.id, { limit: 100 })) attached.push(pf);
    const wanted = new Set(plan.features.map((key) => featureIds.get(key) as string));
    for (const pf of attached) {
      if (!wanted.has(pf.entitlement_feature.id)) {
        await stripe.products.deleteFeature(product.id, pf.id);
        actions.push(`detached ${pf.entitlement_feature.lookup_key} from ${plan.key}`);
      }
    }
    const have = new Set(attached.map((pf) => pf.entitlement_feature.id));
    for (const key of plan.features) {
      const id = featureIds.get(key) as string;
      if (!have.has(id)) {
        await stripe.products.createFeature(product.id, { entitlement_feature: id });
        actions.push(`attached ${key} to ${plan.key}`);
      }
    }
  }

  if (deps.pool) {
    const grants = Object.entries(catalog.free.grants);
    await deps.pool.query(
      `with wanted as (select * from unnest($1::text[], $2::int[]) as w(feature, limit_value)),
            removed as (delete from private.billing_free_features f where not exists (select 1 from wanted w where w.feature = f.feature))
       insert into private.billing_free_features (feature, limit_value, updated_at)
       select feature, limit_value, now() from wanted
       on conflict (feature) do update set limit_value = excluded.limit_value, updated_at = now()
         where private.billing_free_features.limit_value is distinct from excluded.limit_value`,
      [grants.map(([f]) => f), grants.map(([, l]) => l)],
    );
    actions.push(`free tier set (${grants.map(([f, l]) => `${f}: ${l ?? 'unlimited'}`).join(', ')})`);
    const changed = await syncRules(deps.pool, catalog);
    actions.push(`${changed ? 'updated' : 'unchanged'} rules (limits combine, credits run out)`);
  }
  return actions;
}

/** The catalog's combine and credit rules, mirrored for the database (only rows that differ are written). */
async function syncRules(pool: pg.Pool, catalog: Catalog): Promise<boolean> {
  const combine = Object.entries(catalog.combine);
  const before = await pool.query<{ rules: string }>(RULES);
  await pool.query(
    `with wanted as (select * from unnest($1::text[], $2::text[]) as w(feature, combine)),
          removed as (delete from private.billing_feature_rules r where not exists (select 1 from wanted w where w.feature = r.feature))
     insert into private.billing_feature_rules (feature, combine, updated_at)
     select feature, combine, now() from wanted
     on conflict (feature) do update set combine = excluded.combine, updated_at = now()
       where private.billing_feature_rules.combine is distinct from excluded.combine`,
    [combine.map(([f]) => f), combine.map(([, c]) => c)],
  );
  const blocking = catalog.plans.filter((p) => p.whenCreditsRunOut === 'block').map((p) => p.price.lookupKey);
  // Overage is the default (no row); only blocking prices are listed.
  await pool.query(
    `with wanted as (select unnest($1::text[]) as price_lookup_key),
          removed as (delete from private.billing_credit_rules r
                       where not exists (select 1 from wanted w where w.price_lookup_key = r.price_lookup_key))
     insert into private.billing_credit_rules (price_lookup_key, when_exhausted, updated_at)
     select price_lookup_key, 'block', now() from wanted
     on conflict (price_lookup_key) do update set when_exhausted = 'block', updated_at = now()
       where private.billing_credit_rules.when_exhausted is distinct from 'block'`,
    [blocking],
  );
  const after = await pool.query<{ rules: string }>(RULES);
  return before.rows[0]?.rules !== after.rows[0]?.rules;
}

const RULES = `select (select coalesce(string_agg(feature || '=' || combine, ',' order by feature), '') from private.billing_feature_rules)
  || ';' || (select coalesce(string_agg(price_lookup_key || '=' || when_exhausted, ',' order by price_lookup_key), '') from private.billing_credit_rules) as rules`;
