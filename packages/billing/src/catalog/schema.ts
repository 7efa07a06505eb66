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
          }),
          perSeat: z.boolean().default(false),
          features: z.array(lookupKey).min(1),
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
