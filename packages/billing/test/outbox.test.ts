import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addMember, createTenant } from '../../tenancy/test/helpers/index';
import { catalog } from '../src/catalog/bundled';
import { sendOutbox } from '../src/outbox/send';
import { createStripe } from '../src/stripe';
import { type BillingWorld, customerOfTenant, openWorld, SECRET_KEY, subscribe } from './world';

/** Seats and usage reach Stripe through the outbox, once each, with retries. */
let world: BillingWorld;

beforeAll(async () => {
  world = await openWorld(inject('cluster'));
});
afterAll(async () => {
  await world?.close();
});

const deps = () => ({ pool: world.billingPool, stripe: world.stripe });

async function meterCount(customer: string): Promise<number> {
  const meter = (await world.stripe.billing.meters.list({ limit: 100 })).data.find(
    (m) => m.event_name === catalog.meter.eventName,
  );
  if (!meter) throw new Error('meter not synced');
  const minute = Math.floor(Date.now() / 60_000) * 60;
  const summaries = await world.stripe.billing.meters.listEventSummaries(meter.id, {
    customer,
    start_time: minute - 3600,
    end_time: minute + 3600,
  });
  return summaries.data.reduce((sum, s) => sum + s.aggregated_value, 0);
}

describe('usage', () => {
  it('one meter event per created document, counted once even when sent again', async () => {
    const tenant = await createTenant(world.kit, 'Usage');
    const free = await createTenant(world.kit, 'Usage free');
    await subscribe(world, tenant.owner);
    await world.flush();
    const customer = (await customerOfTenant(world, tenant.id)) as string;
    for (const title of ['a', 'b', 'c'])
      await world.kit.rpc(tenant.owner, 'insert into public.documents (title) values ($1)', [title]);
    await world.kit.rpc(free.owner, `insert into public.documents (title) values ('free')`);

    const report = await sendOutbox(deps());
    expect(report.failed).toBe(0);
    const rows = await world.kit.adminQuery(
      `select tenant_id, status from private.billing_outbox where kind = 'usage' and tenant_id = any($1::uuid[]) order by tenant_id`,
      [[tenant.id, free.id]],
    );
    expect(rows.filter((r) => r.tenant_id === tenant.id).map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    expect(rows.filter((r) => r.tenant_id === free.id).map((r) => r.status)).toEqual(['skipped']); // no customer, nothing to bill
    expect(await meterCount(customer)).toBe(3);

    // A send that Stripe accepted but we failed to record is repeated: the identifier makes it count once.
    await world.kit.adminQuery(`update private.billing_outbox set status = 'pending' where tenant_id = $1 and kind = 'usage'`, [
      tenant.id,
    ]);
    await sendOutbox(deps());
    expect(await meterCount(customer)).toBe(3);

    // A document id that comes back (members choose ids) is a new event, not a repeat of the old one.
    const id = '00000000-0000-4000-8000-0000000000ff';
    await world.kit.rpc(tenant.owner, `insert into public.documents (id, title) values ($1, 'again')`, [id]);
    await world.kit.rpc(tenant.owner, 'delete from public.documents where id = $1', [id]);
    await world.kit.rpc(tenant.owner, `insert into public.documents (id, title) values ($1, 'again')`, [id]);
    expect((await sendOutbox(deps())).failed).toBe(0);
    expect(await meterCount(customer)).toBe(5);
  });

  it('a failed send is retried later with backoff, and then succeeds', async () => {
    const tenant = await createTenant(world.kit, 'Flaky');
    await subscribe(world, tenant.owner);
    await world.flush();
    await world.kit.rpc(tenant.owner, `insert into public.documents (title) values ('flaky')`);
    // Stripe unreachable: the send fails.
    const unreachable = createStripe({ secretKey: SECRET_KEY, apiUrl: 'http://127.0.0.1:9' });
    const first = await sendOutbox({ pool: world.billingPool, stripe: unreachable });
    expect(first.failed).toBeGreaterThanOrEqual(1);
    const [failed] = await world.kit.adminQuery(
      `select status, attempts, last_error is not null as has_error, next_attempt_at > now() as later from private.billing_outbox where tenant_id = $1 and kind = 'usage'`,
      [tenant.id],
    );
    expect(failed).toEqual({ status: 'failed', attempts: 1, has_error: true, later: true });
    // Not due yet: a second run leaves it alone.
    expect((await sendOutbox({ pool: world.billingPool, stripe: unreachable })).failed).toBe(0);

    // Stripe is back and the row is due: it is sent.
    await world.kit.adminQuery(`update private.billing_outbox set next_attempt_at = now() where tenant_id = $1`, [tenant.id]);
    expect((await sendOutbox(deps())).failed).toBe(0);
    const [sent] = await world.kit.adminQuery(
      `select status, attempts from private.billing_outbox where tenant_id = $1 and kind = 'usage'`,
      [tenant.id],
    );
    expect(sent).toEqual({ status: 'sent', attempts: 2 });
  });
});

describe('seats', () => {
  it('the plan item quantity follows the member count', async () => {
    const tenant = await createTenant(world.kit, 'Team');
    await subscribe(world, tenant.owner, 'pro');
    await world.flush();
    const customer = (await customerOfTenant(world, tenant.id)) as string;
    const quantity = async () => (await world.stripe.subscriptions.list({ customer })).data[0]?.items.data[0]?.quantity;
    expect(await quantity()).toBe(1);

    const member = await addMember(world.kit, tenant.owner, 'member');
    await addMember(world.kit, tenant.owner, 'viewer');
    await sendOutbox(deps());
    expect(await quantity()).toBe(3);

    await world.kit.rpc(tenant.owner, 'select public.remove_member($1)', [member.user.id]);
    await sendOutbox(deps());
    expect(await quantity()).toBe(2);
    const pending = await world.kit.adminQuery(
      `select count(*)::int as n from private.billing_outbox where tenant_id = $1 and status in ('pending', 'failed')`,
      [tenant.id],
    );
    expect(pending).toEqual([{ n: 0 }]);
  });
});
