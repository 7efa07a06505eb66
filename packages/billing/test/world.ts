import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RunningStripeServer, startStripeServer } from '@bulkhead/local-stack/stripe';
import type { TestCluster } from '@bulkhead/local-stack/testing';
import { type TenantContext, tenantContextFromClaims } from '@bulkhead/tenancy';
import pg from 'pg';
import type Stripe from 'stripe';
import { TenancyTestKit, type TestSession } from '../../tenancy/test/helpers/index';
import { catalog } from '../src/catalog/bundled';
import { syncCatalog } from '../src/catalog/sync';
import { startCheckout } from '../src/sessions';
import { createStripe } from '../src/stripe';
import { receiveWebhook, type WebhookResponse } from '../src/webhooks/receive';

/**
 * The billing suites' world: a migrated test database (the tenancy kit's, with real sessions and
 * the real claims hook), the billing_sync login, the local Stripe stand-in on a free port with the
 * catalog synced into it, and a webhook endpoint that runs the kit's receiveWebhook() on what the
 * stand-in delivers — signed, over HTTP, as Stripe would.
 */
export const SECRET_KEY = 'sk_test_billing_suite_key';
export const WEBHOOK_SECRET = 'whsec_billing_suite_secret';

export interface BillingWorld {
  kit: TenancyTestKit;
  billingPool: pg.Pool;
  server: RunningStripeServer;
  stripe: Stripe;
  /** What the webhook endpoint answered, in arrival order. */
  responses: WebhookResponse[];
  /** Replaces the endpoint's behaviour before processing (e.g. to fail on purpose). */
  intercept: ((body: string) => WebhookResponse | undefined) | null;
  control(path: string, body?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Waits until every queued webhook has been delivered (the shuffle window released). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function openWorld(cluster: TestCluster): Promise<BillingWorld> {
  const kit = await TenancyTestKit.open(cluster);
  const billingPool = new pg.Pool({ connectionString: kit.db.loginUrl('billing_sync'), max: 6 });
  const world = { kit, billingPool, responses: [], intercept: null } as unknown as BillingWorld;

  // Deliveries being handled right now: close() waits for them, so none still holds a pooled
  // connection when the test database is dropped (which terminates it, an uncaught error).
  const handling = new Set<Promise<void>>();
  const endpoint = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const done = handle().finally(() => handling.delete(done));
      handling.add(done);
    });
    const handle = async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const response =
        world.intercept?.(body) ??
        (await receiveWebhook(body, String(req.headers['stripe-signature'] ?? ''), {
          pool: billingPool,
          stripe: world.stripe,
          webhookSecret: WEBHOOK_SECRET,
          livemode: false,
        }));
      world.responses.push(response);
      res.writeHead(response.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(response.body));
    };
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  const endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/api/stripe/webhook`;

  const server = await startStripeServer({
    port: 0,
    secretKey: SECRET_KEY,
    webhook: { url: endpointUrl, secret: WEBHOOK_SECRET },
    log: () => undefined,
  });
  world.server = server;
  world.stripe = createStripe({ secretKey: SECRET_KEY, apiUrl: server.url });
  world.control = async (path, body) => {
    const method = body === undefined && path.includes('deliveries') ? 'GET' : 'POST';
    const response = await fetch(`${server.url}/_local/${path}`, {
      method,
      headers: { Authorization: `Bearer ${SECRET_KEY}`, 'Content-Type': 'application/json' },
      body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`/_local/${path}: ${JSON.stringify(json)}`);
    return json;
  };
  world.flush = async () => {
    await world.control('webhooks/flush', { timeout_ms: 60_000 });
  };
  world.close = async () => {
    // Let deliveries in flight finish before their database pool goes away.
    await world.flush().catch(() => undefined);
    await server.stop();
    await Promise.allSettled([...handling]);
    await new Promise<void>((resolve) => {
      endpoint.closeAllConnections();
      endpoint.close(() => resolve());
    });
    await billingPool.end();
    await kit.close();
  };
  await syncCatalog(catalog, { stripe: world.stripe, pool: billingPool });
  // The catalog's own events (product.created, …) arrive now, not in the middle of a test.
  await world.flush();
  return world;
}

/** The tenant context the web app would build from the session's verified token. */
export function contextOf(session: TestSession): TenantContext {
  return tenantContextFromClaims(session.claims as never);
}

/** The owner starts Checkout for a plan and presses Pay on the stand-in's page. Returns the session URL. */
export async function subscribe(world: BillingWorld, owner: TestSession, plan = 'pro'): Promise<string> {
  const url = await startCheckout(
    contextOf(owner),
    { plan, returnUrl: 'http://app.test/billing' },
    { stripe: world.stripe, billingPool: world.billingPool, tenantOptions: { pool: world.kit.appServer } },
  );
  const paid = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams({ email: 'owner@example.com' }),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    redirect: 'manual',
  });
  if (paid.status !== 303) throw new Error(`paying the checkout page answered ${paid.status}: ${await paid.text()}`);
  return url;
}

/** What private.has_feature() / feature_limit() answer for the session's own tenant, as that user. */
export async function featureAs(world: BillingWorld, session: TestSession, tenantId: string, feature: string) {
  return world.kit.as(session, async (client) => {
    const { rows } = await client.query<{ enabled: boolean; lim: number | null }>(
      'select private.has_feature($1, $2) as enabled, private.feature_limit($1, $2) as lim',
      [tenantId, feature],
    );
    return rows[0] as { enabled: boolean; lim: number | null };
  });
}

/** The Stripe customer of a tenant, as billing_sync sees it. */
export async function customerOfTenant(world: BillingWorld, tenantId: string): Promise<string | undefined> {
  const { rows } = await world.billingPool.query<{ stripe_customer_id: string }>(
    'select stripe_customer_id from public.billing_customers where tenant_id = $1',
    [tenantId],
  );
  return rows[0]?.stripe_customer_id;
}
