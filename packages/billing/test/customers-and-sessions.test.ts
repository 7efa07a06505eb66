import { PermissionDeniedError } from '@bulkhead/tenancy';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addMember, createTenant } from '../../tenancy/test/helpers/index';
import { catalog } from '../src/catalog/bundled';
import { syncCatalog } from '../src/catalog/sync';
import { ensureCustomer } from '../src/customers';
import { openPortal, startCheckout } from '../src/sessions';
import { type BillingWorld, contextOf, openWorld } from './world';

/** One customer per tenant under concurrency; only owners reach Checkout or the Portal; the catalog sync is idempotent. */
let world: BillingWorld;

beforeAll(async () => {
  world = await openWorld(inject('cluster'));
});
afterAll(async () => {
  await world?.close();
});

const sessionDeps = () => ({
  stripe: world.stripe,
  billingPool: world.billingPool,
  tenantOptions: { pool: world.kit.appServer },
});

describe('ensureCustomer', () => {
  it('ten concurrent first checkouts of one tenant create exactly one Stripe customer and one row', async () => {
    const tenant = await createTenant(world.kit, 'Rush');
    const other = await createTenant(world.kit, 'Calm');
    const ids = await Promise.all(
      Array.from({ length: 10 }, () =>
        ensureCustomer({ pool: world.billingPool, stripe: world.stripe }, { id: tenant.id, name: 'Rush' }),
      ),
    );
    expect(new Set(ids).size).toBe(1);
    const onStripe = (await world.stripe.customers.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 })).filter(
      (c) => c.metadata?.bulkhead_tenant_id === tenant.id,
    );
    expect(onStripe.map((c) => c.id)).toEqual([ids[0]]);
    const rows = await world.kit.adminQuery('select stripe_customer_id from public.billing_customers where tenant_id = $1', [
      tenant.id,
    ]);
    expect(rows).toEqual([{ stripe_customer_id: ids[0] }]);
    // Control: another tenant gets a customer of its own.
    const otherId = await ensureCustomer({ pool: world.billingPool, stripe: world.stripe }, { id: other.id });
    expect(otherId).not.toBe(ids[0]);
  });

  it('a retry after a crash finds the same customer, even with another name or e-mail', async () => {
    const tenant = await createTenant(world.kit, 'Renamed');
    const deps = { pool: world.billingPool, stripe: world.stripe };
    const first = await ensureCustomer(deps, { id: tenant.id, name: 'Before', email: 'one@example.test' });
    // The row was never recorded (a crash after Stripe answered); the tenant was renamed meanwhile.
    await world.kit.adminQuery('delete from public.billing_customers where tenant_id = $1', [tenant.id]);
    const again = await ensureCustomer(deps, { id: tenant.id, name: 'After', email: 'two@example.test' });
    expect(again).toBe(first);
    expect(await world.stripe.customers.retrieve(first)).toMatchObject({ name: 'After', email: 'two@example.test' });
  });

  it('ten concurrent Checkout starts by the owner also end with one customer', async () => {
    const tenant = await createTenant(world.kit, 'Clicky');
    const urls = await Promise.all(
      Array.from({ length: 10 }, () =>
        startCheckout(contextOf(tenant.owner), { plan: 'pro', returnUrl: 'http://app.test/billing' }, sessionDeps()),
      ),
    );
    expect(new Set(urls).size).toBe(10);
    const rows = await world.kit.adminQuery('select count(*)::int as n from public.billing_customers where tenant_id = $1', [
      tenant.id,
    ]);
    expect(rows).toEqual([{ n: 1 }]);
  });
});

describe('Checkout and the Portal are for owners', () => {
  it('the owner gets both; an admin, a member and a viewer get neither, in the wrapper and in the database', async () => {
    const tenant = await createTenant(world.kit, 'Roles');
    const admin = await addMember(world.kit, tenant.owner, 'admin');
    const member = await addMember(world.kit, tenant.owner, 'member');
    const viewer = await addMember(world.kit, tenant.owner, 'viewer');

    const checkout = await startCheckout(
      contextOf(tenant.owner),
      { plan: 'pro', returnUrl: 'http://app.test/billing' },
      sessionDeps(),
    );
    expect(checkout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const portal = await openPortal(contextOf(tenant.owner), { returnUrl: 'http://app.test/billing' }, sessionDeps());
    expect(portal).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);

    for (const session of [admin, member, viewer]) {
      await expect(
        startCheckout(contextOf(session), { plan: 'pro', returnUrl: 'http://app.test/billing' }, sessionDeps()),
      ).rejects.toBeInstanceOf(PermissionDeniedError);
      await expect(
        openPortal(contextOf(session), { returnUrl: 'http://app.test/billing' }, sessionDeps()),
      ).rejects.toBeInstanceOf(PermissionDeniedError);
      // The database refuses on its own, whatever the wrapper does.
      await expect(world.kit.rpc(session, 'select * from public.billing_owner_gate()')).rejects.toMatchObject({ code: '42501' });
    }
    const gate = await world.kit.as(tenant.owner, (c) => c.query('select tenant_id from public.billing_owner_gate()'));
    expect(gate.rows).toEqual([{ tenant_id: tenant.id }]);
  });

  it('an unknown plan is refused before anything is created', async () => {
    const tenant = await createTenant(world.kit, 'Typo');
    await expect(
      startCheckout(contextOf(tenant.owner), { plan: 'platinum', returnUrl: 'http://app.test/billing' }, sessionDeps()),
    ).rejects.toThrow(/no plan "platinum"/);
    expect(await world.kit.adminQuery('select * from public.billing_customers where tenant_id = $1', [tenant.id])).toEqual([]);
  });
});

describe('catalog sync', () => {
  it('is idempotent: a second run finds every object and changes nothing', async () => {
    const actions = await syncCatalog(catalog, { stripe: world.stripe, pool: world.billingPool });
    expect(actions.filter((a) => !a.startsWith('unchanged') && !a.startsWith('free tier set'))).toEqual([]);
    const prices = await world.stripe.prices.list({ lookup_keys: catalog.plans.map((p) => p.price.lookupKey) });
    expect(prices.data.map((p) => p.lookup_key).sort()).toEqual(catalog.plans.map((p) => p.price.lookupKey).sort());
    const products = (await world.stripe.products.list({ limit: 100 })).data.filter((p) => p.metadata?.bulkhead_plan);
    expect(products).toHaveLength(catalog.plans.length);
  });

  it('a changed amount moves the lookup key to a new price; the free tier follows the file', async () => {
    const changed = structuredClone(catalog);
    const pro = changed.plans.find((p) => p.key === 'pro');
    if (!pro) throw new Error('catalog has no pro plan');
    pro.price.unitAmount += 100;
    changed.free.grants.documents = 120;
    const actions = await syncCatalog(changed, { stripe: world.stripe, pool: world.billingPool });
    expect(actions).toContain('updated price pro_monthly');
    const [price] = (await world.stripe.prices.list({ lookup_keys: ['pro_monthly'] })).data;
    expect(price?.unit_amount).toBe(pro.price.unitAmount);
    expect(
      await world.kit.adminQuery(`select limit_value from private.billing_free_features where feature = 'documents'`),
    ).toEqual([{ limit_value: 120 }]);
    // Back to the file's values for the other tests.
    await syncCatalog(catalog, { stripe: world.stripe, pool: world.billingPool });
    expect(
      await world.kit.adminQuery(`select limit_value from private.billing_free_features where feature = 'documents'`),
    ).toEqual([{ limit_value: 100 }]);
  });
});
