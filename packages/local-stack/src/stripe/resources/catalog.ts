import { invalidRequest, missingParam, noSuch } from '../errors';
import { newId, nowSeconds } from '../ids';
import type { Feature, Price, Product, ProductFeature, Recurring } from '../objects';
import { bool, hash, int, mergeMetadata, oneOf, requireStr, str, strings } from '../params';
import { route } from '../route';
import { previousAttributes, type StandIn } from '../standin';

/**
 * The catalog: products, prices (found by `lookup_key`), Entitlements features (unique
 * `lookup_key`) and the features attached to products.
 */
export function getProduct(s: StandIn, id: string, param = 'id'): Product {
  const product = s.state.products[id];
  if (!product) throw noSuch('product', id, param);
  return product;
}

export function getPrice(s: StandIn, id: string, param = 'id'): Price {
  const price = s.state.prices[id];
  if (!price) throw noSuch('price', id, param);
  return price;
}

function getFeature(s: StandIn, id: string, param = 'id'): Feature {
  const feature = s.state.features[id];
  if (!feature) throw noSuch('feature', id, param);
  return feature;
}

/** Sets a price's lookup key; `transfer_lookup_key` takes it from the price holding it. */
function claimLookupKey(s: StandIn, price: Price, key: string | undefined, transfer: boolean): void {
  if (key === undefined) return;
  if (key === '') {
    price.lookup_key = null;
    return;
  }
  const holder = Object.values(s.state.prices).find((p) => p.lookup_key === key && p.id !== price.id);
  if (holder) {
    if (!transfer) {
      throw invalidRequest(
        `A price (\`${holder.id}\`) already uses that lookup key. Pass transfer_lookup_key=true to move it.`,
        'lookup_key',
      );
    }
    const before = structuredClone(holder);
    holder.lookup_key = null;
    s.emit('price.updated', holder, previousAttributes(before, holder));
  }
  price.lookup_key = key;
}

function productRoutes() {
  return [
    route('POST', '/v1/products', ({ s, params }) => {
      const now = nowSeconds();
      const id = str(params, 'id') || newId('prod', 14);
      if (s.state.products[id]) throw invalidRequest(`Product already exists.`, 'id', 'resource_already_exists');
      const product: Product = {
        id,
        object: 'product',
        active: bool(params, 'active') ?? true,
        created: now,
        default_price: null,
        description: str(params, 'description') || null,
        images: [],
        livemode: false,
        marketing_features: [],
        metadata: mergeMetadata({}, params),
        name: requireStr(params, 'name'),
        package_dimensions: null,
        shippable: null,
        statement_descriptor: null,
        tax_code: null,
        unit_label: str(params, 'unit_label') || null,
        updated: now,
        url: null,
      };
      s.state.products[id] = product;
      s.emit('product.created', product);
      return s.render(product, params);
    }),
    route('GET', '/v1/products/:id', ({ s, params, path }) => s.render(getProduct(s, path.id ?? ''), params)),
    route('POST', '/v1/products/:id', ({ s, params, path }) => {
      const product = getProduct(s, path.id ?? '');
      const before = structuredClone(product);
      const name = str(params, 'name');
      if (name !== undefined) {
        if (!name) throw invalidRequest('A product name cannot be empty.', 'name');
        product.name = name;
      }
      const description = str(params, 'description');
      if (description !== undefined) product.description = description || null;
      product.active = bool(params, 'active') ?? product.active;
      const defaultPrice = str(params, 'default_price');
      if (defaultPrice !== undefined) product.default_price = defaultPrice ? getPrice(s, defaultPrice, 'default_price').id : null;
      product.metadata = mergeMetadata(product.metadata, params);
      const previous = previousAttributes(before, product);
      if (Object.keys(previous).length > 0) {
        product.updated = nowSeconds();
        s.emit('product.updated', product, previous);
      }
      return s.render(product, params);
    }),
    route('GET', '/v1/products', ({ s, params }) => {
      const active = bool(params, 'active');
      const ids = strings(params, 'ids');
      const items = s
        .newestFirst(s.state.products)
        .filter((p) => (active === undefined || p.active === active) && (!ids || ids.includes(p.id)));
      return s.renderList(items, params, '/v1/products');
    }),
  ];
}

function recurringFrom(params: ReturnType<typeof hash>): Recurring | null {
  if (!params) return null;
  const interval = oneOf(params, 'interval', ['day', 'week', 'month', 'year'] as const);
  if (!interval) throw missingParam('recurring[interval]');
  const usageType = oneOf(params, 'usage_type', ['licensed', 'metered'] as const) ?? 'licensed';
  const meter = str(params, 'meter') || null;
  if (usageType === 'metered' && !meter) {
    throw invalidRequest('Metered prices must be backed by a meter: pass recurring[meter].', 'recurring[meter]');
  }
  return { interval, interval_count: int(params, 'interval_count') ?? 1, meter, trial_period_days: null, usage_type: usageType };
}

function priceRoutes() {
  return [
    route('POST', '/v1/prices', ({ s, params }) => {
      const currency = requireStr(params, 'currency').toLowerCase();
      const product = getProduct(s, requireStr(params, 'product'), 'product');
      const unitAmount = int(params, 'unit_amount');
      if (unitAmount === undefined) throw missingParam('unit_amount');
      if (unitAmount < 0) throw invalidRequest('unit_amount must be at least 0.', 'unit_amount');
      const recurring = recurringFrom(hash(params, 'recurring'));
      const price: Price = {
        id: newId('price'),
        object: 'price',
        active: bool(params, 'active') ?? true,
        billing_scheme: 'per_unit',
        created: nowSeconds(),
        currency,
        custom_unit_amount: null,
        livemode: false,
        lookup_key: null,
        metadata: mergeMetadata({}, params),
        nickname: str(params, 'nickname') || null,
        product: product.id,
        recurring,
        tax_behavior: 'unspecified',
        tiers_mode: null,
        transform_quantity: null,
        type: recurring ? 'recurring' : 'one_time',
        unit_amount: unitAmount,
        unit_amount_decimal: String(unitAmount),
      };
      claimLookupKey(s, price, str(params, 'lookup_key'), bool(params, 'transfer_lookup_key') ?? false);
      s.state.prices[price.id] = price;
      s.emit('price.created', price);
      return s.render(price, params);
    }),
    route('GET', '/v1/prices/:id', ({ s, params, path }) => s.render(getPrice(s, path.id ?? ''), params)),
    route('POST', '/v1/prices/:id', ({ s, params, path }) => {
      const price = getPrice(s, path.id ?? '');
      const before = structuredClone(price);
      price.active = bool(params, 'active') ?? price.active;
      const nickname = str(params, 'nickname');
      if (nickname !== undefined) price.nickname = nickname || null;
      price.metadata = mergeMetadata(price.metadata, params);
      claimLookupKey(s, price, str(params, 'lookup_key'), bool(params, 'transfer_lookup_key') ?? false);
      const previous = previousAttributes(before, price);
      if (Object.keys(previous).length > 0) s.emit('price.updated', price, previous);
      return s.render(price, params);
    }),
    route('GET', '/v1/prices', ({ s, params }) => {
      const lookupKeys = strings(params, 'lookup_keys');
      const active = bool(params, 'active');
      const product = str(params, 'product');
      const type = oneOf(params, 'type', ['one_time', 'recurring'] as const);
      const currency = str(params, 'currency');
      const items = s
        .newestFirst(s.state.prices)
        .filter(
          (p) =>
            (!lookupKeys || (p.lookup_key !== null && lookupKeys.includes(p.lookup_key))) &&
            (active === undefined || p.active === active) &&
            (!product || p.product === product) &&
            (!type || p.type === type) &&
            (!currency || p.currency === currency),
        );
      return s.renderList(items, params, '/v1/prices');
    }),
  ];
}

function featureRoutes() {
  return [
    route('POST', '/v1/entitlements/features', ({ s, params }) => {
      const lookupKey = requireStr(params, 'lookup_key');
      if (lookupKey.length > 80) throw invalidRequest('lookup_key can be at most 80 characters.', 'lookup_key');
      if (Object.values(s.state.features).some((f) => f.lookup_key === lookupKey)) {
        throw invalidRequest(`A feature with lookup_key '${lookupKey}' already exists.`, 'lookup_key', 'resource_already_exists');
      }
      const feature: Feature = {
        id: newId('feat_test', 28),
        object: 'entitlements.feature',
        active: true,
        livemode: false,
        lookup_key: lookupKey,
        metadata: mergeMetadata({}, params),
        name: requireStr(params, 'name'),
      };
      s.state.features[feature.id] = feature;
      s.changed();
      return s.render(feature, params);
    }),
    route('GET', '/v1/entitlements/features/:id', ({ s, params, path }) => s.render(getFeature(s, path.id ?? ''), params)),
    route('POST', '/v1/entitlements/features/:id', ({ s, params, path }) => {
      const feature = getFeature(s, path.id ?? '');
      const name = str(params, 'name');
      if (name) feature.name = name;
      const active = bool(params, 'active');
      if (active !== undefined) feature.active = active;
      feature.metadata = mergeMetadata(feature.metadata, params);
      syncAttachedFeatures(s, feature);
      s.changed();
      return s.render(feature, params);
    }),
    route('GET', '/v1/entitlements/features', ({ s, params }) => {
      const lookupKey = str(params, 'lookup_key');
      const archived = bool(params, 'archived') ?? false;
      const items = s
        .newestFirst(s.state.features)
        .filter((f) => f.active !== archived && (!lookupKey || f.lookup_key === lookupKey));
      return s.renderList(items, params, '/v1/entitlements/features');
    }),
    route('POST', '/v1/products/:product/features', ({ s, params, path }) => {
      const product = getProduct(s, path.product ?? '', 'product');
      const feature = getFeature(s, requireStr(params, 'entitlement_feature'), 'entitlement_feature');
      if (!feature.active) throw invalidRequest('An archived feature cannot be attached to a product.', 'entitlement_feature');
      const attached = Object.values(s.state.productFeatures);
      if (attached.some((pf) => pf.product === product.id && pf.entitlement_feature.id === feature.id)) {
        throw invalidRequest('This feature is already attached to the product.', 'entitlement_feature');
      }
      const productFeature = {
        id: newId('prodft', 24),
        object: 'product_feature' as const,
        entitlement_feature: structuredClone(feature),
        livemode: false,
        product: product.id,
      };
      s.state.productFeatures[productFeature.id] = productFeature;
      s.changed();
      return s.render(publicProductFeature(productFeature), params);
    }),
    route('GET', '/v1/products/:product/features', ({ s, params, path }) => {
      const product = getProduct(s, path.product ?? '', 'product');
      const items = s
        .newestFirst(s.state.productFeatures)
        .filter((pf) => pf.product === product.id)
        .map(publicProductFeature);
      return s.renderList(items, params, `/v1/products/${product.id}/features`);
    }),
    route('GET', '/v1/products/:product/features/:id', ({ s, params, path }) => {
      const found = s.state.productFeatures[path.id ?? ''];
      if (!found || found.product !== path.product) throw noSuch('product feature', path.id ?? '');
      return s.render(publicProductFeature(found), params);
    }),
    route('DELETE', '/v1/products/:product/features/:id', ({ s, path }) => {
      const found = s.state.productFeatures[path.id ?? ''];
      if (!found || found.product !== path.product) throw noSuch('product feature', path.id ?? '');
      delete s.state.productFeatures[found.id];
      s.changed();
      return { id: found.id, object: 'product_feature', deleted: true };
    }),
  ];
}

function publicProductFeature(stored: ProductFeature & { product: string }): ProductFeature {
  const { product: _product, ...rest } = stored;
  return rest;
}

/** Attached copies show the feature as it is now. */
function syncAttachedFeatures(s: StandIn, feature: Feature): void {
  for (const pf of Object.values(s.state.productFeatures)) {
    if (pf.entitlement_feature.id === feature.id) pf.entitlement_feature = structuredClone(feature);
  }
}

/** Active feature ids attached to a product now. */
export function productFeatureIds(s: StandIn, productId: string): string[] {
  return Object.values(s.state.productFeatures)
    .filter((pf) => pf.product === productId && s.state.features[pf.entitlement_feature.id]?.active)
    .map((pf) => pf.entitlement_feature.id);
}

export const catalogRoutes = [...productRoutes(), ...priceRoutes(), ...featureRoutes()];
