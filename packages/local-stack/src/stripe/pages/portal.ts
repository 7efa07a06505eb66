import { cancelNow, setCancelAtPeriodEnd, setItemPrice, updateSubscription, validateLines } from '../billing';
import { StripeApiError } from '../errors';
import type { Price, Subscription } from '../objects';
import { currentPeriod } from '../periods';
import type { StandIn } from '../standin';
import { escapeHtml, html, money, type PageReply, page, redirect } from './html';

/**
 * The hosted Billing Portal page a portal session's `url` opens: the customer's subscriptions,
 * with a plan switch (to another active recurring licensed price), cancel now, cancel at period
 * end (and undo), and a link back to `return_url`. Changes emit the events the API would.
 */
const date = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

function planItem(subscription: Subscription) {
  return subscription.items.data.find((item) => item.price.recurring?.usage_type !== 'metered');
}

function planName(s: StandIn, price: Price): string {
  const product = s.state.products[price.product];
  const interval = price.recurring ? `/${price.recurring.interval}` : '';
  return `${product?.name ?? price.product} (${money(price.unit_amount, price.currency)}${interval})`;
}

function subscriptionSection(s: StandIn, sessionId: string, subscription: Subscription): string {
  const item = planItem(subscription);
  const period = currentPeriod(subscription);
  const base = `/p/session/${escapeHtml(sessionId)}/subscriptions/${escapeHtml(subscription.id)}`;
  const choices = Object.values(s.state.prices).filter(
    (price) =>
      price.active &&
      price.id !== item?.price.id &&
      price.recurring?.usage_type === 'licensed' &&
      price.currency === subscription.currency &&
      s.state.products[price.product]?.active,
  );
  const live = subscription.status !== 'canceled';
  return `<section data-subscription="${escapeHtml(subscription.id)}">
<h2>${escapeHtml(item ? planName(s, item.price) : subscription.id)}</h2>
<p>Status: <strong data-testid="subscription-status">${escapeHtml(subscription.status)}</strong>${item?.quantity !== undefined ? ` · Quantity: ${item.quantity}` : ''}</p>
<p>Current period: ${date(period.start)} – ${date(period.end)}${subscription.cancel_at_period_end ? ` · <strong>Cancels on ${date(period.end)}</strong>` : ''}</p>
${
  live && item && choices.length > 0
    ? `<form method="post" action="${base}/plan">
<label>New plan <select name="price">${choices.map((p) => `<option value="${escapeHtml(p.id)}">${escapeHtml(planName(s, p))}</option>`).join('')}</select></label>
<button type="submit">Change plan</button>
</form>`
    : ''
}
${
  live
    ? `<form method="post" action="${base}/cancel">
<button type="submit" name="when" value="now">Cancel subscription now</button>
${
  subscription.cancel_at_period_end
    ? '<button type="submit" name="when" value="renew">Don\'t cancel</button>'
    : '<button type="submit" name="when" value="period_end">Cancel at period end</button>'
}
</form>`
    : ''
}
</section>`;
}

export function portalPage(s: StandIn, sessionId: string, error?: string): PageReply {
  const session = s.state.portalSessions[sessionId];
  if (!session) return html(page('Billing', '<h1>This portal session does not exist.</h1>'), 404);
  const customer = s.state.customers[session.customer];
  const subscriptions = s.newestFirst(s.state.subscriptions).filter((sub) => sub.customer === session.customer);
  const body = `
<h1>Billing</h1>
<p>${escapeHtml(customer?.name ?? customer?.email ?? session.customer)}</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
${subscriptions.length === 0 ? '<p>No subscriptions.</p>' : subscriptions.map((sub) => subscriptionSection(s, sessionId, sub)).join('\n')}
${session.return_url ? `<p><a href="${escapeHtml(session.return_url)}">Return</a></p>` : ''}`;
  return html(page('Billing', body));
}

export function portalAction(
  s: StandIn,
  sessionId: string,
  subscriptionId: string,
  action: string,
  form: URLSearchParams,
): PageReply {
  const session = s.state.portalSessions[sessionId];
  const subscription = s.state.subscriptions[subscriptionId];
  if (!session || !subscription || subscription.customer !== session.customer) {
    return html(page('Billing', '<h1>Not found.</h1>'), 404);
  }
  if (subscription.status === 'canceled') return portalPage(s, sessionId, 'This subscription is already canceled.');
  if (action === 'plan') {
    const price = s.state.prices[form.get('price') ?? ''];
    const item = planItem(subscription);
    if (!price?.active || price.recurring?.usage_type !== 'licensed' || !item) {
      return portalPage(s, sessionId, 'Choose one of the plans offered.');
    }
    try {
      updateSubscription(s, subscription, () => {
        setItemPrice(s, item, price);
        validateLines(
          subscription.items.data.map((i) => ({ price: i.price, quantity: i.quantity })),
          'price',
        );
      });
    } catch (error) {
      if (error instanceof StripeApiError) return portalPage(s, sessionId, error.message);
      throw error;
    }
  } else if (action === 'cancel') {
    const when = form.get('when');
    if (when === 'now') cancelNow(s, subscription);
    else if (when === 'period_end' || when === 'renew') {
      updateSubscription(s, subscription, () => setCancelAtPeriodEnd(subscription, when === 'period_end'));
    } else return portalPage(s, sessionId, 'Unknown action.');
  } else {
    return html(page('Billing', '<h1>Not found.</h1>'), 404);
  }
  return redirect(`/p/session/${sessionId}`);
}
