import { PermissionDeniedError } from '@bulkhead/tenancy';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addMember, createTenant, type TestSession } from '../../tenancy/test/helpers/index';
import { sendOutbox } from '../src/outbox/send';
import { reconcile } from '../src/reconcile/run';
import { AddOnNeedsPlanError, AlreadySubscribedError, startCheckout } from '../src/sessions';
import { type BillingWorld, contextOf, customerOfTenant, featureAs, openWorld, subscribe } from './world';

/**
 * Billing depth: several subscriptions per tenant (an annual base plan, a monthly add-on, a usage
 * add-on), each granting its own features with limits combined by the catalog's rule, and credit
 * pools cached from Stripe's billing credits with the plan's rule for usage beyond them. Every
 * change arrives as Stripe would send it: through the stand-in's signed webhooks.
 */
let world: BillingWorld;

beforeAll(async () => {
  world = await openWorld(inject('cluster'));
});
afterAll(async () => {
  await world?.close();
});

const deps = () => ({ pool: world.billingPool, stripe: world.stripe });

async function subscriptionOf(tenantId: string, priceLookupKey: string): Promise<string> {
  const customer = (await customerOfTenant(world, tenantId)) as string;
  const subs = await world.stripe.subscriptions.list({ customer, status: 'all' });
  const sub = subs.data.find((s) => s.items.data.some((i) => i.price.lookup_key === priceLookupKey) && s.status !== 'canceled');
  if (!sub) throw new Error(`no live ${priceLookupKey} subscription for ${tenantId}`);
  return sub.id;
}

const createDocument = (session: TestSession, title: string) =>
  world.kit.rpc(session, 'insert into public.documents (title) values ($1) returning id', [title]);

async function grantCredits(tenantId: string, cents: number, extra: { name?: string } = {}) {
  const customer = (await customerOfTenant(world, tenantId)) as string;
  const grant = await world.stripe.billing.creditGrants.create({
    customer,
    name: extra.name ?? 'Prepaid documents',
    amount: { type: 'monetary', monetary: { value: cents, currency: 'usd' } },
    applicability_config: { scope: { price_type: 'metered' } },
    category: 'paid',
  });
  await world.flush();
  return grant;
}

async function balanceAs(session: TestSession, tenantId: string): Promise<number> {
  return world.kit.as(session, async (c) => {
    const { rows } = await c.query<{ balance: string }>(`select private.billing_credit_balance($1, 'usd')::text as balance`, [
      tenantId,
    ]);
    return Number(rows[0]?.balance);
  });
}

/** Ends the usage add-on's period: the stand-in invoices the metered usage, credits first. */
async function invoiceUsage(tenantId: string) {
  // The meter events owed for the documents go out first, as the outbox sender would send them.
  await sendOutbox(deps());
  // Invoice times have a resolution of one second: let the second the last document was created in pass.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await world.control(`subscriptions/${await subscriptionOf(tenantId, 'document_usage')}/advance`);
  await world.flush();
}

describe('several subscriptions per tenant', () => {
  it('an annual base plan and a monthly add-on: features of both, limits combined; cancelling the add-on removes only its own', async () => {
    const tenant = await createTenant(world.kit, 'Base and add-on');
    const other = await createTenant(world.kit, 'Base only');
    await subscribe(world, tenant.owner, 'pro_annual');
    await subscribe(world, other.owner, 'pro_annual');
    await world.flush();
    expect(await featureAs(world, tenant.owner, tenant.id, 'priority_support')).toEqual({ enabled: false, lim: null });
    expect(await featureAs(world, tenant.owner, tenant.id, 'seats')).toEqual({ enabled: true, lim: 50 });

    await subscribe(world, tenant.owner, 'team_pack');
    await world.flush();
    const subs = await world.kit.as(tenant.owner, (c) =>
      c.query('select plan_lookup_key, status::text from public.billing_subscriptions order by plan_lookup_key'),
    );
    expect(subs.rows).toEqual([
      { plan_lookup_key: 'pro_annual', status: 'active' },
      { plan_lookup_key: 'team_pack_monthly', status: 'active' },
    ]);
    expect(await featureAs(world, tenant.owner, tenant.id, 'priority_support')).toEqual({ enabled: true, lim: null });
    // seats combine by sum (50 + 10), documents by max (the base plan's 10,000).
    expect(await featureAs(world, tenant.owner, tenant.id, 'seats')).toEqual({ enabled: true, lim: 60 });
    expect(await featureAs(world, tenant.owner, tenant.id, 'documents')).toEqual({ enabled: true, lim: 10000 });
    // The other tenant, on the base plan alone, got none of it.
    expect(await featureAs(world, other.owner, other.id, 'priority_support')).toEqual({ enabled: false, lim: null });
    expect(await featureAs(world, other.owner, other.id, 'seats')).toEqual({ enabled: true, lim: 50 });

    // Cancelling the add-on (what the Portal's "Cancel subscription now" does).
    await world.stripe.subscriptions.cancel(await subscriptionOf(tenant.id, 'team_pack_monthly'));
    await world.flush();
    expect(await featureAs(world, tenant.owner, tenant.id, 'priority_support')).toEqual({ enabled: false, lim: null });
    expect(await featureAs(world, tenant.owner, tenant.id, 'seats')).toEqual({ enabled: true, lim: 50 });
    expect(await featureAs(world, tenant.owner, tenant.id, 'audit_export')).toEqual({ enabled: true, lim: null });
  });

  it('a paused add-on (no entitlement event) grants nothing while the base plan keeps granting', async () => {
    const tenant = await createTenant(world.kit, 'Paused add-on');
    await subscribe(world, tenant.owner, 'pro_annual');
    await subscribe(world, tenant.owner, 'team_pack');
    await world.flush();
    expect(await featureAs(world, tenant.owner, tenant.id, 'priority_support')).toEqual({ enabled: true, lim: null });
    // Stripe pauses it and tells no one; reconciliation finds it.
    await world.control(`subscriptions/${await subscriptionOf(tenant.id, 'team_pack_monthly')}/set`, { status: 'paused' });
    const report = await reconcile(deps());
    expect(report.drift.find((d) => d.tenantId === tenant.id)?.differences).toEqual([
      expect.stringMatching(/status: local active, Stripe paused/),
    ]);
    // Stripe's own entitlement summary still lists the add-on's features (paused keeps them) ...
    const listed = await world.kit.as(tenant.owner, (c) => c.query(`select feature from public.tenant_entitlements order by 1`));
    expect(listed.rows.map((r) => r.feature)).toContain('priority_support');
    // ... but access follows each subscription's status.
    expect(await featureAs(world, tenant.owner, tenant.id, 'priority_support')).toEqual({ enabled: false, lim: null });
    expect(await featureAs(world, tenant.owner, tenant.id, 'seats')).toEqual({ enabled: true, lim: 50 });
    expect(await featureAs(world, tenant.owner, tenant.id, 'audit_export')).toEqual({ enabled: true, lim: null });
  });
});

describe('adding an add-on', () => {
  const checkout = (session: TestSession, plan: string) =>
    startCheckout(
      contextOf(session),
      { plan, returnUrl: 'http://app.test/billing' },
      { stripe: world.stripe, billingPool: world.billingPool, tenantOptions: { pool: world.kit.appServer } },
    );

  it('goes beside a live base plan, once, and only the owner starts it', async () => {
    const tenant = await createTenant(world.kit, 'Add-on rules');
    const member = await addMember(world.kit, tenant.owner, 'member');
    await expect(checkout(tenant.owner, 'team_pack')).rejects.toBeInstanceOf(AddOnNeedsPlanError);
    await subscribe(world, tenant.owner, 'pro_annual');
    await world.flush();
    await expect(checkout(tenant.owner, 'pro')).rejects.toBeInstanceOf(AlreadySubscribedError);
    await expect(checkout(member, 'team_pack')).rejects.toBeInstanceOf(PermissionDeniedError);
    // Positive control: the owner gets a Checkout page for it.
    expect(await checkout(tenant.owner, 'team_pack')).toMatch(/\/c\/pay\//);
    await subscribe(world, tenant.owner, 'team_pack');
    await world.flush();
    await expect(checkout(tenant.owner, 'team_pack')).rejects.toBeInstanceOf(AlreadySubscribedError);
  });
});

describe('credit pools', () => {
  it('a grant appears with its balance; usage draws it down at invoice time; a blocking plan stops usage at exhaustion', async () => {
    const tenant = await createTenant(world.kit, 'Credits block');
    const other = await createTenant(world.kit, 'Credits other');
    await subscribe(world, tenant.owner, 'pro_annual');
    await subscribe(world, tenant.owner, 'document_usage');
    await subscribe(world, other.owner, 'pro');
    await world.flush();
    // A blocking plan with a metered item and no credits: usage is refused outright.
    await expect(createDocument(tenant.owner, 'no credits yet')).rejects.toMatchObject({
      code: '23514',
      message: expect.stringContaining('credits are used up'),
    });

    // 20 cents of credit: four documents at 5 cents.
    const grant = await grantCredits(tenant.id, 20);
    const grants = await world.kit.as(tenant.owner, (c) =>
      c.query('select stripe_credit_grant_id, amount, currency, category from public.billing_credit_grants'),
    );
    expect(grants.rows).toEqual([{ stripe_credit_grant_id: grant.id, amount: 20, currency: 'usd', category: 'paid' }]);
    expect(await balanceAs(tenant.owner, tenant.id)).toBe(20);
    // The other tenant sees none of it; its own pool is empty.
    const seen = await world.kit.as(other.owner, (c) => c.query('select count(*)::int as n from public.billing_credit_grants'));
    expect(seen.rows).toEqual([{ n: 0 }]);
    expect(await balanceAs(other.owner, tenant.id)).toBe(0);

    for (const n of [1, 2, 3, 4]) await createDocument(tenant.owner, `doc ${n}`);
    // Stripe has not invoiced anything: its balance is still 20, but the period's usage uses it up.
    await expect(createDocument(tenant.owner, 'doc 5')).rejects.toMatchObject({ code: '23514' });
    // The other tenant (overage plan, no usage add-on) is not affected.
    await createDocument(other.owner, 'unaffected');

    await invoiceUsage(tenant.id);
    const ledger = await world.kit.as(tenant.owner, (c) =>
      c.query('select type, reason, amount from public.billing_credit_transactions order by type, reason'),
    );
    expect(ledger.rows).toEqual([
      { type: 'credit', reason: 'credits_granted', amount: 20 },
      { type: 'debit', reason: 'credits_applied', amount: 20 },
    ]);
    expect(await balanceAs(tenant.owner, tenant.id)).toBe(0);
    await expect(createDocument(tenant.owner, 'still none')).rejects.toMatchObject({ code: '23514' });

    // A new grant reopens the pool, for exactly what it pays for.
    await grantCredits(tenant.id, 10, { name: 'Top-up' });
    await createDocument(tenant.owner, 'doc 5');
    await createDocument(tenant.owner, 'doc 6');
    await expect(createDocument(tenant.owner, 'doc 7')).rejects.toMatchObject({ code: '23514' });
  });

  it('an overage plan keeps going past the pool; Stripe bills what the credits did not cover', async () => {
    const tenant = await createTenant(world.kit, 'Credits overage');
    await subscribe(world, tenant.owner, 'pro');
    await subscribe(world, tenant.owner, 'document_usage');
    await world.flush();
    await grantCredits(tenant.id, 10);
    for (const n of [1, 2, 3, 4]) await createDocument(tenant.owner, `doc ${n}`);
    await invoiceUsage(tenant.id);
    expect(await balanceAs(tenant.owner, tenant.id)).toBe(0);
    const customer = (await customerOfTenant(world, tenant.id)) as string;
    const [invoice] = (
      await world.stripe.invoices.list({ customer, subscription: await subscriptionOf(tenant.id, 'document_usage'), limit: 1 })
    ).data;
    expect(invoice?.amount_due).toBe(10); // 4 × 5 cents, less 10 cents of credit
    await createDocument(tenant.owner, 'doc 5');
  });

  it('a voided grant leaves the balance by webhook; an expiry no event announces is repaired by reconciliation', async () => {
    const tenant = await createTenant(world.kit, 'Credits end');
    await subscribe(world, tenant.owner, 'pro_annual');
    await subscribe(world, tenant.owner, 'document_usage');
    await world.flush();
    const voided = await grantCredits(tenant.id, 15);
    const expiring = await grantCredits(tenant.id, 25, { name: 'Promotional' });
    expect(await balanceAs(tenant.owner, tenant.id)).toBe(40);

    await world.stripe.billing.creditGrants.voidGrant(voided.id);
    await world.flush();
    expect(await balanceAs(tenant.owner, tenant.id)).toBe(25);

    await world.control(`credit_grants/${expiring.id}/set`, { end: 'expire' });
    expect(await balanceAs(tenant.owner, tenant.id)).toBe(25); // nothing told us yet
    const dry = await reconcile(deps(), { dryRun: true });
    expect(dry.drift.find((d) => d.tenantId === tenant.id)?.differences.join('\n')).toMatch(/expires_at/);
    expect(await balanceAs(tenant.owner, tenant.id)).toBe(25);
    await reconcile(deps());
    expect(await balanceAs(tenant.owner, tenant.id)).toBe(0);
    await expect(createDocument(tenant.owner, 'pool ended')).rejects.toMatchObject({ code: '23514' });
    const again = await reconcile(deps());
    expect(again.drift.find((d) => d.tenantId === tenant.id)).toBeUndefined();
  });
});
