import { sendDueOutbox } from '@bulkhead/billing/outbox';
import { handleStripeWebhook } from '@bulkhead/billing/webhooks';
import { after } from 'next/server';

/**
 * Stripe's webhook endpoint. The signature covers the exact bytes Stripe sent, so the body is
 * read raw (request.text()) and never parsed before verification. 400: refused (bad signature,
 * stale timestamp, wrong mode), nothing stored. 500: processing failed, Stripe retries. After
 * answering a verified delivery, the outbox sender runs once: seat and usage updates owed to Stripe go out soon after
 * the changes that caused them, without a separate worker.
 */
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function POST(request: Request): Promise<Response> {
  const body = await request.text();
  const result = await handleStripeWebhook(body, request.headers.get('stripe-signature'));
  // Only after a verified delivery: a refused request (anyone can post here) costs no database work.
  if (result.status === 200) {
    after(async () => {
      try {
        await sendDueOutbox();
      } catch (error) {
        console.error('[billing] outbox send failed:', error instanceof Error ? error.message : error);
      }
    });
  }
  return Response.json(result.body, { status: result.status });
}
