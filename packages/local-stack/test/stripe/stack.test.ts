import { afterAll, describe, expect, it } from 'vitest';
import { createThrowawayStack } from '../../src/throwaway-stack';
import { stripeFor } from './harness';

/**
 * The stand-in as `pnpm stack` runs it: its variables in `pnpm stack env`, the web app's
 * webhook route registered, the account kept across down/up and emptied by reset.
 */
const webhookUrl = 'http://127.0.0.1:3999/api/stripe/webhook';
const throwaway = await createThrowawayStack({ stripeWebhookUrl: webhookUrl });
afterAll(() => throwaway.dispose());

describe('pnpm stack with the Stripe stand-in', () => {
  it('prints STRIPE_* variables, registers the webhook route, keeps the account across restarts, reset empties it', async () => {
    await throwaway.cli('up');
    const env = await throwaway.env();
    expect(env.STRIPE_API_URL).toBe(`http://127.0.0.1:${throwaway.ports.stripe}`);
    expect(env.STRIPE_SECRET_KEY).toMatch(/^sk_test_bulkhead_local_/);
    expect(env.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_bulkhead_local_/);

    const stripe = stripeFor(env.STRIPE_API_URL ?? '', env.STRIPE_SECRET_KEY);
    const endpoints = await stripe.webhookEndpoints.list();
    expect(endpoints.data.map((e) => e.url)).toEqual([webhookUrl]);
    const customer = await stripe.customers.create({ email: 'stack@example.com' });

    await throwaway.cli('down');
    await throwaway.cli('up');
    expect((await stripe.customers.retrieve(customer.id)).id).toBe(customer.id);
    expect((await stripe.webhookEndpoints.list()).data).toHaveLength(1);

    const reset = await throwaway.cli('reset');
    expect(reset.stdout).toContain('local Stripe stand-in reset');
    await expect(stripe.customers.retrieve(customer.id)).rejects.toMatchObject({ statusCode: 404 });
    expect((await stripe.webhookEndpoints.list()).data.map((e) => e.url)).toEqual([webhookUrl]);
  });
});
