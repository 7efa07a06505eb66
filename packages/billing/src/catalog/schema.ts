import { z } from 'zod';

/**
 * The shape of supabase/billing-catalog.json: the one description of Bulkhead's pricing. Stripe
 * holds the priced objects (products, prices, entitlement features); the free tier has no Stripe
 * object and lives in the database. Pure data: safe to import from client and server code.
 */
const lookupKey = z.string().regex(/^[a-z0-9_]{1,64}$/, 'lookup keys are 1-64 characters of a-z, 0-9 and _');
const localFeature = z.string().regex(/^[a-z0-9_]{1,64}$/, 'feature names are 1-64 characters of a-z, 0-9 and _');

export const catalogSchema = z
  .object({
    $comment: z.string().optional(),
    meter: z.object({ eventName: z.string().regex(/^[a-z0-9_]{1,100}$/), displayName: z.string().min(1) }),
    /** How limits from several live subscriptions granting one local feature combine; unnamed features take max. */
    combine: z.record(localFeature, z.enum(['sum', 'max'])).default({}),
    features: z
      .array(
        z.object({
          lookupKey,
          name: z.string().min(1).max(80),
          grants: localFeature,
          limit: z.number().int().nonnegative().optional(),
        }),
      )
      .min(1),
    free: z.object({
      name: z.string().min(1),
      grants: z.record(localFeature, z.number().int().nonnegative().nullable()),
    }),
    plans: z
      .array(
        z.object({
          key: lookupKey,
          name: z.string().min(1),
          description: z.string().default(''),
          price: z.object({
            lookupKey,
            unitAmount: z.number().int().positive(),
            currency: z.string().regex(/^[a-z]{3}$/),
            interval: z.enum(['day', 'week', 'month', 'year']),
            /** metered: the meter's usage is billed per unit at the end of each period, credits first. */
            usage: z.enum(['licensed', 'metered']).default('licensed'),
          }),
          /** base: the tenant's plan; addon: a subscription of its own beside it. */
          kind: z.enum(['base', 'addon']).default('base'),
          perSeat: z.boolean().default(false),
          features: z.array(lookupKey),
          /** What happens to metered usage once the tenant's credit grants are used up. */
          whenCreditsRunOut: z.enum(['block', 'overage']).default('overage'),
        }),
      )
      .min(1),
  })
  .superRefine((catalog, ctx) => {
    const known = new Set(catalog.features.map((f) => f.lookupKey));
    for (const [i, plan] of catalog.plans.entries()) {
      for (const key of plan.features) {
        if (!known.has(key)) ctx.addIssue({ code: 'custom', path: ['plans', i, 'features'], message: `unknown feature ${key}` });
      }
    }
    for (const [i, plan] of catalog.plans.entries()) {
      if (plan.features.length === 0 && plan.price.usage !== 'metered')
        ctx.addIssue({
          code: 'custom',
          path: ['plans', i, 'features'],
          message: 'a licensed plan must grant at least one feature',
        });
      if (plan.perSeat && plan.price.usage === 'metered')
        ctx.addIssue({ code: 'custom', path: ['plans', i, 'perSeat'], message: 'a metered price cannot be per seat' });
    }
    const keys = catalog.plans.map((p) => p.price.lookupKey);
    if (new Set(keys).size !== keys.length)
      ctx.addIssue({ code: 'custom', path: ['plans'], message: 'price lookup keys must be unique' });
  });

export type Catalog = z.infer<typeof catalogSchema>;
export type CatalogPlan = Catalog['plans'][number];

export function parseCatalog(input: unknown): Catalog {
  const parsed = catalogSchema.safeParse(input);
  if (!parsed.success) throw new Error(`billing catalog is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The plan a price lookup key belongs to. */
export function planByPrice(catalog: Catalog, priceLookupKey: string | null | undefined): CatalogPlan | undefined {
  return catalog.plans.find((p) => p.price.lookupKey === priceLookupKey);
}

/** The base plans (the tenant's plan) and the add-ons (subscriptions beside it). */
export function basePlans(catalog: Catalog): CatalogPlan[] {
  return catalog.plans.filter((p) => p.kind === 'base');
}
export function addOns(catalog: Catalog): CatalogPlan[] {
  return catalog.plans.filter((p) => p.kind === 'addon');
}

/** How a local feature's limits combine across live subscriptions (the catalog's rule; max by default). */
export function combineRule(catalog: Catalog, feature: string): 'sum' | 'max' {
  return catalog.combine[feature] ?? 'max';
}

/** The cheapest plans that grant a local feature, for "unlocked by …" labels. */
export function plansGranting(catalog: Catalog, feature: string): CatalogPlan[] {
  const granting = new Set(catalog.features.filter((f) => f.grants === feature).map((f) => f.lookupKey));
  return catalog.plans
    .filter((p) => p.features.some((k) => granting.has(k)))
    .sort((a, b) => a.price.unitAmount - b.price.unitAmount);
}

/** Every local feature the catalog knows, in a stable order. */
export function localFeatures(catalog: Catalog): string[] {
  return [...new Set([...Object.keys(catalog.free.grants), ...catalog.features.map((f) => f.grants)])];
}
