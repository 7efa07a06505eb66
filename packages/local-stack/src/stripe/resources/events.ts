import { invalidRequest, noSuch } from '../errors';
import { newId, nowSeconds, randomTail } from '../ids';
import type { StripeEvent, WebhookEndpoint } from '../objects';
import { bool, createdFilter, mergeMetadata, requireStr, str, strings } from '../params';
import { route } from '../route';
import type { StandIn } from '../standin';
import { pendingWebhooks, pendingWebhooksByEvent } from '../webhooks/delivery';

/**
 * Events (retrieve and list, newest first, only the last 30 days as on Stripe) and webhook
 * endpoints (the signing `secret` is returned on create only).
 */
const RETENTION_SECONDS = 30 * 86_400;

function visible(s: StandIn, event: StripeEvent): StripeEvent {
  return { ...event, pending_webhooks: pendingWebhooks(s.state, event.id) };
}

function publicEndpoint(endpoint: WebhookEndpoint & { secret: string }): WebhookEndpoint {
  const { secret: _secret, ...rest } = endpoint;
  return rest;
}

function getEndpoint(s: StandIn, id: string) {
  const endpoint = s.state.webhookEndpoints[id];
  if (!endpoint) throw noSuch('webhook endpoint', id);
  return endpoint;
}

function enabledEvents(values: string[] | undefined): string[] | undefined {
  if (values?.length === 0) throw invalidRequest('enabled_events must list at least one event type, or *.', 'enabled_events');
  return values;
}

/** Registers (or updates) the stack's endpoint with this URL and secret; used at start-up and after a reset. */
export function ensureWebhookEndpoint(s: StandIn, url: string, secret: string): WebhookEndpoint {
  // One stack endpoint, whatever URL it had before: a changed BULKHEAD_STRIPE_WEBHOOK_URL moves it.
  const existing = Object.values(s.state.webhookEndpoints).find((e) => e.metadata.bulkhead_local === 'stack');
  if (existing) {
    existing.url = url;
    existing.secret = secret;
    existing.status = 'enabled';
    s.changed();
    return publicEndpoint(existing);
  }
  const endpoint = {
    id: newId('we', 24),
    object: 'webhook_endpoint' as const,
    api_version: null,
    application: null,
    created: nowSeconds(),
    description: 'The local stack: the web app webhook route',
    enabled_events: ['*'],
    livemode: false,
    metadata: { bulkhead_local: 'stack' },
    status: 'enabled' as const,
    url,
    secret,
  };
  s.state.webhookEndpoints[endpoint.id] = endpoint;
  s.changed();
  return publicEndpoint(endpoint);
}

export const eventRoutes = [
  route('GET', '/v1/events/:id', ({ s, params, path }) => {
    const event = s.state.events.find((e) => e.id === path.id);
    if (!event || event.created < nowSeconds() - RETENTION_SECONDS) throw noSuch('event', path.id ?? '');
    return s.render(visible(s, event), params);
  }),
  route('GET', '/v1/events', ({ s, params }) => {
    const type = str(params, 'type');
    const types = strings(params, 'types');
    if (type && types) throw invalidRequest('You may only specify one of these parameters: type, types.', 'types');
    const created = createdFilter(params);
    const deliverySuccess = bool(params, 'delivery_success');
    const oldest = nowSeconds() - RETENTION_SECONDS;
    const pending = pendingWebhooksByEvent(s.state);
    // `type` may end in `*` to match a family (customer.subscription.*), as on Stripe.
    const matchesType = (t: string) => {
      const wanted = type ? [type] : types;
      if (!wanted) return true;
      return wanted.some((w) => (w.endsWith('*') ? t.startsWith(w.slice(0, -1)) : t === w));
    };
    const items = [...s.state.events]
      .reverse()
      .filter(
        (e) =>
          e.created >= oldest &&
          matchesType(e.type) &&
          created(e.created) &&
          (deliverySuccess === undefined || ((pending.get(e.id) ?? 0) === 0) === deliverySuccess),
      )
      .map((e) => ({ ...e, pending_webhooks: pending.get(e.id) ?? 0 }));
    return s.renderList(items, params, '/v1/events');
  }),
  route('POST', '/v1/webhook_endpoints', ({ s, params }) => {
    const url = requireStr(params, 'url');
    if (!/^https?:\/\//.test(url)) throw invalidRequest('Invalid URL: must be an http(s) URL.', 'url', 'url_invalid');
    const events = enabledEvents(strings(params, 'enabled_events'));
    if (!events) throw invalidRequest('Missing required param: enabled_events.', 'enabled_events', 'parameter_missing');
    const endpoint = {
      id: newId('we', 24),
      object: 'webhook_endpoint' as const,
      api_version: str(params, 'api_version') || null,
      application: null,
      created: nowSeconds(),
      description: str(params, 'description') || null,
      enabled_events: events,
      livemode: false,
      metadata: mergeMetadata({}, params),
      status: 'enabled' as const,
      url,
      secret: `whsec_${randomTail(32)}`,
    };
    s.state.webhookEndpoints[endpoint.id] = endpoint;
    s.changed();
    // The only answer that carries the secret.
    return s.render({ ...publicEndpoint(endpoint), secret: endpoint.secret }, params);
  }),
  route('GET', '/v1/webhook_endpoints/:id', ({ s, params, path }) =>
    s.render(publicEndpoint(getEndpoint(s, path.id ?? '')), params),
  ),
  route('POST', '/v1/webhook_endpoints/:id', ({ s, params, path }) => {
    const endpoint = getEndpoint(s, path.id ?? '');
    const url = str(params, 'url');
    if (url) endpoint.url = url;
    endpoint.enabled_events = enabledEvents(strings(params, 'enabled_events')) ?? endpoint.enabled_events;
    const disabled = bool(params, 'disabled');
    if (disabled !== undefined) endpoint.status = disabled ? 'disabled' : 'enabled';
    endpoint.metadata = mergeMetadata(endpoint.metadata, params);
    s.changed();
    return s.render(publicEndpoint(endpoint), params);
  }),
  route('GET', '/v1/webhook_endpoints', ({ s, params }) =>
    s.renderList(s.newestFirst(s.state.webhookEndpoints).map(publicEndpoint), params, '/v1/webhook_endpoints'),
  ),
  route('DELETE', '/v1/webhook_endpoints/:id', ({ s, path }) => {
    const endpoint = getEndpoint(s, path.id ?? '');
    delete s.state.webhookEndpoints[endpoint.id];
    s.changed();
    return { id: endpoint.id, object: 'webhook_endpoint', deleted: true };
  }),
];
