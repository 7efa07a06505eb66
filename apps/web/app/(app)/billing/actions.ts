'use server';

import {
  AddOnNeedsPlanError,
  AlreadySubscribedError,
  CatalogNotSyncedError,
  catalog,
  checkoutUrl,
  portalUrl,
} from '@bulkhead/billing';
import { tenantAction } from '@bulkhead/tenancy/next';
import { ActionRefusedError, type ActionResult } from '@bulkhead/tenancy/server';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { z } from 'zod';

/**
 * Upgrade (Checkout) and Manage (Billing Portal). The wrapper refuses anyone below owner
 * (`billing.manage`); the handler's first query, public.billing_owner_gate(), refuses again in
 * the database. On success the browser goes to Stripe's page.
 */
async function returnUrl(): Promise<string> {
  const h = await headers();
  const host = h.get('x-forwarded-host') ?? h.get('host') ?? '127.0.0.1:3000';
  const proto = h.get('x-forwarded-proto') ?? (host.startsWith('127.0.0.1') || host.startsWith('localhost') ? 'http' : 'https');
  return `${proto}://${host}/billing`;
}

const startCheckout = tenantAction({
  permission: 'billing.manage',
  input: z.object({ plan: z.enum(catalog.plans.map((p) => p.key) as [string, ...string[]], 'Choose a plan from the list.') }),
  run: async ({ db, input, context }) => {
    try {
      return { url: await checkoutUrl(db, context, { plan: input.plan, returnUrl: await returnUrl() }) };
    } catch (error) {
      if (error instanceof CatalogNotSyncedError) {
        console.error(`[billing] ${error.message}`);
        throw new ActionRefusedError('Plans are not set up on Stripe yet. Please try again later.');
      }
      if (error instanceof AddOnNeedsPlanError) throw new ActionRefusedError('Choose a plan first; add-ons go beside it.');
      if (error instanceof AlreadySubscribedError)
        throw new ActionRefusedError('You already have this. Change your plan in Manage billing.');
      throw error;
    }
  },
});

const openPortal = tenantAction({
  permission: 'billing.manage',
  input: z.object({}),
  run: async ({ db, context }) => ({ url: await portalUrl(db, context, { returnUrl: await returnUrl() }) }),
});

export async function upgrade(previous: ActionResult<{ url: string }> | null, form: FormData) {
  const result = await startCheckout(previous, form);
  if (result.ok) redirect(result.data.url as never);
  return result;
}

export async function manage(previous: ActionResult<{ url: string }> | null, form: FormData) {
  const result = await openPortal(previous, form);
  if (result.ok) redirect(result.data.url as never);
  return result;
}
