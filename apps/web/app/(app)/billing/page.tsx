import { type CreditsState, readBillingState } from '@bulkhead/billing';
import { can } from '@bulkhead/tenancy';
import { Card } from '@bulkhead/ui';
import type { Metadata } from 'next';
import { loadForTenant } from '@/lib/context';
import { ManageForm, UpgradeForm } from './billing-forms';

export const metadata: Metadata = { title: 'Billing' };

/** The tenant's plan, seats, usage and features. Every member sees it; owners change it. */
export default async function BillingPage({ searchParams }: { searchParams: Promise<{ checkout?: string }> }) {
  const { checkout } = await searchParams;
  const data = await loadForTenant('/billing', async (db, context) => ({
    state: await readBillingState(db, context.tenantId),
    role: context.tenantRole,
  }));
  const { state } = data;
  const owner = can(data.role, 'billing.manage');
  return (
    <div className="flex flex-col gap-6">
      <h1 className="text-2xl font-semibold">Billing</h1>
      {checkout === 'success' && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          Thanks! Your plan updates as soon as Stripe confirms the payment.
        </p>
      )}
      <Card title="Plan">
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-zinc-500">Plan</dt>
          <dd data-testid="billing-plan">{state.plan?.name ?? 'Free'}</dd>
          <dt className="text-zinc-500">Status</dt>
          <dd data-testid="billing-status">{state.status ? describeStatus(state.status, state.paidAccess) : 'Free tier'}</dd>
          {state.periodEnd && state.paidAccess && (
            <>
              <dt className="text-zinc-500">{state.cancelAtPeriodEnd ? 'Ends on' : 'Renews on'}</dt>
              <dd>{formatDate(state.periodEnd)}</dd>
            </>
          )}
          <dt className="text-zinc-500">Seats</dt>
          <dd data-testid="billing-seats">
            {state.seats.used} of {state.seats.limit ?? 'unlimited'} used
            {state.seats.billed !== null && state.paidAccess ? ` · ${state.seats.billed} billed` : ''}
          </dd>
          <dt className="text-zinc-500">Documents</dt>
          <dd>
            {state.documents.total} of {state.documents.limit ?? 'unlimited'} · {state.documents.createdThisPeriod} created this
            period
          </dd>
        </dl>
      </Card>
      <Card title="Features">
        <ul className="flex flex-col gap-2 text-sm" aria-label="Features">
          {state.features.map((f) => (
            <li
              key={f.feature}
              data-testid={`feature-${f.feature}`}
              data-enabled={f.enabled ? 'true' : 'false'}
              className="flex gap-2"
            >
              <span className="font-medium">{featureName(f.feature)}</span>
              {f.enabled ? (
                <span className="text-emerald-700 dark:text-emerald-400">
                  {f.limit === null ? 'included' : `up to ${f.limit.toLocaleString('en')}`}
                </span>
              ) : (
                <span className="text-zinc-500">Locked — unlocked by {f.unlockedBy.join(' or ') || 'no plan'}</span>
              )}
            </li>
          ))}
        </ul>
      </Card>
      <Card title="Add-ons">
        <ul className="flex flex-col gap-3 text-sm" aria-label="Add-ons">
          {state.addOns.map((a) => (
            <li key={a.key} data-testid={`addon-${a.key}`} data-live={a.live ? 'true' : 'false'} className="flex flex-col gap-1">
              <span className="font-medium">
                {a.name} · {formatPrice(a.price.unitAmount, a.price.currency)}{' '}
                {a.price.usage === 'metered' ? 'per document' : `per ${a.price.interval}`}
              </span>
              <span className="text-zinc-500">{a.description}</span>
              <span data-testid={`addon-${a.key}-status`}>
                {a.live ? 'Added' : a.status ? describeStatus(a.status, false) : 'Not added'}
              </span>
              {owner && state.paidAccess && !a.live && <UpgradeForm plan={a.key} label={`Add ${a.name}`} />}
            </li>
          ))}
        </ul>
        {!state.paidAccess && <p className="mt-2 text-sm text-zinc-500">Add-ons go beside a paid plan.</p>}
      </Card>
      <CreditsCard credits={state.credits} />
      <Card title="Change plan">
        {owner ? (
          <div className="flex flex-col gap-4">
            <div className="flex flex-wrap gap-4">
              {state.plans
                .filter((p) => p.key !== state.plan?.key)
                .map((p) => (
                  <div key={p.key} className="flex flex-col gap-1 text-sm">
                    <span className="font-medium">
                      {p.name} · {formatPrice(p.price.unitAmount, p.price.currency)} per {p.perSeat ? 'seat per ' : ''}
                      {p.price.interval}
                    </span>
                    <span className="text-zinc-500">{p.description}</span>
                    {!state.paidAccess && <UpgradeForm plan={p.key} label={`Upgrade to ${p.name}`} />}
                  </div>
                ))}
            </div>
            {(state.hasCustomer || state.paidAccess) && <ManageForm />}
          </div>
        ) : (
          <p className="text-sm text-zinc-500">Only owners can change the plan or open the billing portal.</p>
        )}
      </Card>
    </div>
  );
}

function CreditsCard({ credits }: { credits: CreditsState }) {
  const money = (cents: number) => formatPrice(cents, credits.currency);
  return (
    <Card title="Credits">
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-zinc-500">Balance</dt>
        <dd data-testid="credit-balance">{money(credits.balance)}</dd>
        <dt className="text-zinc-500">Usage not yet invoiced</dt>
        <dd data-testid="credit-unbilled">{money(credits.unbilled)}</dd>
        <dt className="text-zinc-500">When credits run out</dt>
        <dd data-testid="credit-rule">
          {credits.whenExhausted === 'block'
            ? 'usage stops until more credits are added'
            : credits.whenExhausted === 'overage'
              ? 'usage continues and is billed as overage'
              : 'no metered usage on your plan'}
        </dd>
      </dl>
      {credits.grants.length > 0 && (
        <table className="mt-4 w-full text-left text-sm" aria-label="Credit grants">
          <thead className="text-zinc-500">
            <tr>
              <th className="font-normal">Grant</th>
              <th className="font-normal">Amount</th>
              <th className="font-normal">Type</th>
              <th className="font-normal">Expires</th>
            </tr>
          </thead>
          <tbody>
            {credits.grants.map((g) => (
              <tr key={g.id} data-testid="credit-grant">
                <td>{g.name ?? 'Credit grant'}</td>
                <td>{formatPrice(g.amount, g.currency)}</td>
                <td>{g.category === 'promotional' ? 'Promotional' : 'Prepaid'}</td>
                <td>{g.voidedAt ? 'Voided' : g.expiresAt ? formatDate(g.expiresAt) : 'Never'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {credits.history.length > 0 && (
        <ul className="mt-4 flex flex-col gap-1 text-sm" aria-label="Credit history">
          {credits.history.map((t) => (
            <li key={t.id} data-testid="credit-entry" data-type={t.type} data-reason={t.reason}>
              {formatDate(t.effectiveAt)} · {t.type === 'credit' ? '+' : '−'}
              {formatPrice(t.amount, t.currency)} · {describeEntry(t.reason)}
              {t.grantName ? ` (${t.grantName})` : ''}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function describeEntry(reason: string): string {
  const labels: Record<string, string> = {
    credits_granted: 'granted',
    credits_applied: 'applied to an invoice',
    credits_expired: 'expired',
    credits_voided: 'voided',
    credits_application_invoice_voided: 'returned from a voided invoice',
  };
  return labels[reason] ?? reason.replaceAll('_', ' ');
}

function describeStatus(status: string, paidAccess: boolean): string {
  const labels: Record<string, string> = {
    trialing: 'Trial',
    active: 'Active',
    past_due: 'Payment failed — please update your payment method',
    paused: 'Paused',
    canceled: 'Canceled',
    unpaid: 'Unpaid',
    incomplete: 'Waiting for payment',
    incomplete_expired: 'Checkout expired',
  };
  const label = labels[status] ?? status;
  return paidAccess ? label : `${label} (free tier features)`;
}

function featureName(feature: string): string {
  const names: Record<string, string> = {
    documents: 'Documents',
    seats: 'Members',
    audit_export: 'Audit log export',
    priority_support: 'Priority support',
  };
  return names[feature] ?? feature.replaceAll('_', ' ');
}

function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString('en', { year: 'numeric', month: 'short', day: 'numeric' });
}

function formatPrice(cents: number, currency: string): string {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).format(cents / 100);
}
