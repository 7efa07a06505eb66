import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { type RunningStripeServer, type StripeServerOptions, startStripeServer } from '../../src/stripe/server';

/**
 * The contract suite's world: a stand-in on a free port, stripe-node pointed at it exactly as
 * the kit configures it (host/port/protocol from STRIPE_API_URL), a control client for
 * /_local, and a webhook receiver that records raw bodies and can be told to fail.
 */
export const TEST_KEY = 'sk_test_contract_suite_key';
export const WEBHOOK_SECRET = 'whsec_contract_suite_secret';

export function stripeFor(url: string, key = TEST_KEY): Stripe {
  const { hostname, port, protocol } = new URL(url);
  return new Stripe(key, {
    host: hostname,
    port: Number(port),
    protocol: protocol.replace(':', '') as 'http',
    maxNetworkRetries: 0,
  });
}

export interface World {
  server: RunningStripeServer;
  stripe: Stripe;
  control(path: string, body?: Record<string, unknown>): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startWorld(options: Partial<StripeServerOptions> = {}): Promise<World> {
  const server = await startStripeServer({ port: 0, secretKey: TEST_KEY, log: () => undefined, ...options });
  return {
    server,
    stripe: stripeFor(server.url),
    async control(path, body) {
      const response = await fetch(`${server.url}/_local/${path}`, {
        method: body === undefined && path.includes('deliveries') ? 'GET' : 'POST',
        headers: { Authorization: `Bearer ${TEST_KEY}`, 'Content-Type': 'application/json' },
        body: body === undefined && path.includes('deliveries') ? undefined : JSON.stringify(body ?? {}),
      });
      const json = (await response.json()) as Record<string, unknown>;
      if (!response.ok) throw new Error(`/_local/${path}: ${JSON.stringify(json)}`);
      return json;
    },
    stop: () => server.stop(),
  };
}

export interface Received {
  body: string;
  signature: string;
  event: { id: string; type: string; data: { object: Record<string, unknown> } };
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Status to answer with, per call (default 200); null leaves the request unanswered (a timeout). */
  answer: (received: Received, index: number) => number | null;
  stop(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    received: [],
    answer: () => 200,
    stop: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const received = { body, signature: String(req.headers['stripe-signature'] ?? ''), event: JSON.parse(body) };
      const index = receiver.received.push(received) - 1;
      const status = receiver.answer(received, index);
      if (status !== null) res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  receiver.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** A small catalog: a feature per plan, two licensed plans and a metered price. */
export async function seedCatalog(stripe: Stripe) {
  const documents = await stripe.entitlements.features.create({
    name: 'Documents',
    lookup_key: 'documents',
    metadata: { limit: '100' },
  });
  const sso = await stripe.entitlements.features.create({ name: 'SSO', lookup_key: 'sso' });
  const team = await stripe.products.create({ name: 'Team', metadata: { plan: 'team' } });
  const business = await stripe.products.create({ name: 'Business', metadata: { plan: 'business' } });
  await stripe.products.createFeature(team.id, { entitlement_feature: documents.id });
  await stripe.products.createFeature(business.id, { entitlement_feature: documents.id });
  await stripe.products.createFeature(business.id, { entitlement_feature: sso.id });
  const teamPrice = await stripe.prices.create({
    product: team.id,
    currency: 'usd',
    unit_amount: 1000,
    recurring: { interval: 'month', usage_type: 'licensed' },
    lookup_key: 'team_monthly',
  });
  const businessPrice = await stripe.prices.create({
    product: business.id,
    currency: 'usd',
    unit_amount: 5000,
    recurring: { interval: 'month', usage_type: 'licensed' },
    lookup_key: 'business_monthly',
  });
  return { documents, sso, team, business, teamPrice, businessPrice };
}

/** Follows a Checkout Session's url and presses "Pay", as a browser would. */
export async function payCheckout(url: string, email = 'owner@example.com'): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    body: new URLSearchParams({ email }),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    redirect: 'manual',
  });
}
