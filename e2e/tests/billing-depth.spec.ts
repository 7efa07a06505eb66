import { expect, type Page, test } from '@playwright/test';
import Stripe from 'stripe';
import { readWorld } from '../harness';
import { createDocument, formError, userWithWorkspace } from './support';

/**
 * Billing depth through the browser and the local Stripe stand-in: a tenant on the annual base
 * plan adds the monthly add-on (features of both unlock), cancels the add-on in the Portal (only
 * its features lock), adds the usage add-on, receives a credit grant (made with stripe-node, as an
 * operator would in Stripe's dashboard), uses it up, and the plan's rule (block) refuses more
 * usage; the period's invoice then draws the balance down. Pages reload until Stripe's webhooks
 * have landed, with no timing assumptions.
 */
function stripeClient(): { stripe: Stripe; apiUrl: string; key: string } {
  const { env } = readWorld();
  const apiUrl = env.STRIPE_API_URL as string;
  const key = env.STRIPE_SECRET_KEY as string;
  const { hostname, port, protocol } = new URL(apiUrl);
  const stripe = new Stripe(key, { host: hostname, port: Number(port), protocol: protocol.slice(0, -1) as 'http' });
  return { stripe, apiUrl, key };
}

/** Reloads the billing page until `check` passes (the webhook has been processed). */
async function untilBilling(page: Page, check: () => Promise<void>) {
  await expect(async () => {
    await page.goto('/billing');
    await check();
  }).toPass({ timeout: 30_000 });
}

const feature = (page: Page, name: string) => page.getByTestId(`feature-${name}`);

async function pay(page: Page) {
  await expect(page.getByRole('heading', { name: 'Subscribe' })).toBeVisible();
  await page.getByRole('button', { name: 'Pay' }).click();
  await expect(page).toHaveURL(/\/billing\?checkout=success$/);
}

test('annual base plan + monthly add-on, cancelling the add-on locks only its features; credits drawn down, exhaustion blocks', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const { stripe, apiUrl, key } = stripeClient();
  const owner = await userWithWorkspace(browser, 'depth', 'Depth Co');
  const { page } = owner;

  // The annual base plan.
  await page.goto('/billing');
  await page.getByRole('button', { name: 'Upgrade to Pro (annual)' }).click();
  await pay(page);
  await untilBilling(page, async () => {
    await expect(feature(page, 'audit_export')).toHaveAttribute('data-enabled', 'true', { timeout: 1_000 });
  });
  await expect(page.getByTestId('billing-plan')).toHaveText('Pro (annual)');
  await expect(feature(page, 'priority_support')).toHaveAttribute('data-enabled', 'false');
  await expect(feature(page, 'priority_support')).toContainText('unlocked by Team pack');
  await expect(feature(page, 'seats')).toContainText('up to 50');

  // The monthly add-on: a second subscription for the same customer.
  await page.getByRole('button', { name: 'Add Team pack' }).click();
  await pay(page);
  // The add-on's features and its seats come from different events (entitlement summary,
  // subscription), which may arrive in either order: wait until both are in.
  await untilBilling(page, async () => {
    await expect(feature(page, 'priority_support')).toHaveAttribute('data-enabled', 'true', { timeout: 1_000 });
    await expect(feature(page, 'seats')).toContainText('up to 60', { timeout: 1_000 }); // 50 + 10: seats add up
  });
  await expect(feature(page, 'audit_export')).toHaveAttribute('data-enabled', 'true');
  await expect(page.getByTestId('addon-team_pack')).toHaveAttribute('data-live', 'true');
  await expect(page.getByTestId('billing-plan')).toHaveText('Pro (annual)');

  // Cancel the add-on in the Portal: its section only.
  await page.getByRole('button', { name: 'Manage billing' }).click();
  const addOn = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Team pack' }) });
  const base = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Pro (annual)' }) });
  await expect(addOn.getByTestId('subscription-status')).toHaveText('active');
  await addOn.getByRole('button', { name: 'Cancel subscription now' }).click();
  await expect(addOn.getByTestId('subscription-status')).toHaveText('canceled');
  await expect(base.getByTestId('subscription-status')).toHaveText('active');
  await untilBilling(page, async () => {
    await expect(feature(page, 'priority_support')).toHaveAttribute('data-enabled', 'false', { timeout: 1_000 });
  });
  await expect(feature(page, 'audit_export')).toHaveAttribute('data-enabled', 'true');
  await expect(feature(page, 'seats')).toContainText('up to 50');
  await expect(page.getByTestId('billing-status')).toHaveText('Active');

  // The usage add-on: documents are metered, paid from credits, and this plan blocks at exhaustion.
  await page.getByRole('button', { name: 'Add Document usage' }).click();
  await pay(page);
  await untilBilling(page, async () => {
    await expect(page.getByTestId('addon-document_usage')).toHaveAttribute('data-live', 'true', { timeout: 1_000 });
  });
  await expect(page.getByTestId('credit-rule')).toHaveText('usage stops until more credits are added');

  // An operator grants 10 cents of credit (two documents at 5 cents) in Stripe.
  const [customer] = (await stripe.customers.list({ email: owner.email, limit: 1 })).data;
  if (!customer) throw new Error('the tenant has no Stripe customer');
  await stripe.billing.creditGrants.create({
    customer: customer.id,
    name: 'Launch credits',
    amount: { type: 'monetary', monetary: { value: 10, currency: 'usd' } },
    applicability_config: { scope: { price_type: 'metered' } },
    category: 'promotional',
  });
  await untilBilling(page, async () => {
    await expect(page.getByTestId('credit-balance')).toHaveText('$0.10', { timeout: 1_000 });
  });
  await expect(page.getByTestId('credit-grant')).toContainText('Launch credits');
  await expect(page.getByTestId('credit-grant')).toContainText('$0.10');
  await expect(page.getByTestId('credit-entry').first()).toHaveAttribute('data-reason', 'credits_granted');

  // Usage: two documents fit; the third would pass the pool, so the database refuses it.
  await createDocument(page, 'Paid by credits 1');
  await createDocument(page, 'Paid by credits 2');
  await page.goto('/documents');
  await page.getByLabel('Title').fill('One too many');
  await page.getByRole('button', { name: 'Create document' }).click();
  await expect(formError(page)).toContainText('credits are used up');
  await page.goto('/billing');
  await expect(page.getByTestId('credit-unbilled')).toHaveText('$0.10');

  // The meter events go out with the web app's outbox (after any webhook); nudge one and wait for them.
  const [meter] = (await stripe.billing.meters.list({ limit: 10 })).data.filter(
    (m) => m.event_name === 'bulkhead_document_created',
  );
  if (!meter) throw new Error('the catalog meter is missing');
  await stripe.customers.update(customer.id, { metadata: { e2e_nudge: String(Date.now()) } });
  const minute = (seconds: number) => Math.floor(seconds / 60) * 60;
  await expect(async () => {
    const now = Math.floor(Date.now() / 1000);
    const summaries = await stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: minute(now - 3600),
      end_time: minute(now + 120),
    });
    expect(summaries.data.reduce((sum, s) => sum + s.aggregated_value, 0)).toBe(2);
  }).toPass({ timeout: 30_000 });

  // The period ends: the invoice applies the credits, and the balance drops to zero.
  const usageSub = (await stripe.subscriptions.list({ customer: customer.id })).data.find((s) =>
    s.items.data.some((i) => i.price.lookup_key === 'document_usage'),
  );
  if (!usageSub) throw new Error('no usage subscription');
  const advanced = await fetch(`${apiUrl}/_local/subscriptions/${usageSub.id}/advance`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}` },
  });
  expect(advanced.status).toBe(200);
  await untilBilling(page, async () => {
    await expect(page.getByTestId('credit-balance')).toHaveText('$0.00', { timeout: 1_000 });
  });
  await expect(page.locator('[data-testid="credit-entry"][data-reason="credits_applied"]')).toContainText(
    'applied to an invoice',
  );
  await expect(page.getByTestId('credit-unbilled')).toHaveText('$0.00');

  // Exhausted on a blocking plan: still no more usage.
  await page.goto('/documents');
  await page.getByLabel('Title').fill('Still too many');
  await page.getByRole('button', { name: 'Create document' }).click();
  await expect(formError(page)).toContainText('credits are used up');
});
