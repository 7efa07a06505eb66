import { describe, expect, it } from 'vitest';
import { catalog } from '../src/catalog/bundled';
import { addOns, basePlans, combineRule, parseCatalog } from '../src/catalog/schema';

/** The catalog file's rules for several subscriptions and credits, checked when it is read. */
const raw = JSON.parse(JSON.stringify(catalog)) as Record<string, unknown> & { plans: Record<string, unknown>[] };

describe('billing catalog', () => {
  it('describes an annual base plan, a monthly add-on, a metered usage add-on and the combine and credit rules', () => {
    expect(basePlans(catalog).find((p) => p.key === 'pro_annual')?.price.interval).toBe('year');
    const extras = addOns(catalog);
    expect(extras.find((p) => p.key === 'team_pack')?.price.interval).toBe('month');
    expect(extras.find((p) => p.key === 'document_usage')?.price.usage).toBe('metered');
    expect(combineRule(catalog, 'seats')).toBe('sum');
    expect(combineRule(catalog, 'documents')).toBe('max');
    expect(combineRule(catalog, 'audit_export')).toBe('max'); // unnamed: max
    expect(catalog.plans.find((p) => p.key === 'pro_annual')?.whenCreditsRunOut).toBe('block');
    expect(catalog.plans.find((p) => p.key === 'pro')?.whenCreditsRunOut).toBe('overage');
  });

  it('refuses a metered per-seat price, a licensed plan granting nothing and an unknown rule, saying where', () => {
    const withPlan = (change: Record<string, unknown>) => ({
      ...raw,
      plans: raw.plans.map((p) => (p.key === 'document_usage' || p.key === 'team_pack' ? { ...p, ...change } : p)),
    });
    expect(() => parseCatalog(withPlan({ perSeat: true }))).toThrow(/metered price cannot be per seat/);
    expect(() => parseCatalog(withPlan({ features: [] }))).toThrow(/licensed plan must grant at least one feature/);
    expect(() => parseCatalog(withPlan({ whenCreditsRunOut: 'sometimes' }))).toThrow(/whenCreditsRunOut/);
    expect(() => parseCatalog({ ...raw, combine: { seats: 'avg' } })).toThrow(/combine/);
    expect(parseCatalog(raw).plans.length).toBe(catalog.plans.length); // positive control
  });
});
