import type { AccessTokenClaims, TestSession } from './auth';
import { setUserMetadata } from './auth';
import type { TenancyTestKit } from './kit';
import { addMember, createTenant } from './tenants';

/**
 * The isolation fixture: tenants A and B, built through the tenant flows, with one row of each
 * tenant table per tenant and the people an attacker could be.
 *
 *   A: owner, admin, member, viewer, bystander (a member whose row others try to change),
 *      removed   (was a member; holds a token issued before remove_member, still unexpired),
 *      revoked   (a member whose session was signed out; holds a token issued before),
 *      spoofer   (a member of A who wrote B's tenant id into their user_metadata, then refreshed).
 *   B: owner, member, bystander.
 *
 * Each tenant has a document (by its owner), a pending invitation, and audit entries, and one row
 * in each billing table (written as billing_sync writes them: no tenant user may).
 */

export interface TenantRows {
  id: string;
  slug: string;
  owner: TestSession;
  documentId: string;
  invitationId: string;
  bystanderUserId: string;
  auditEntryId: string;
  /** Row ids ((tenant_id, id) keys) of the tenant's billing rows. */
  billing: {
    customerId: string;
    subscriptionId: string;
    stripeSubscriptionId: string;
    itemId: string;
    entitlementId: string;
    reconciliationId: string;
    subscriptionEntitlementId: string;
    creditGrantId: string;
    stripeCreditGrantId: string;
    creditTransactionId: string;
  };
}

export interface TwoTenants {
  a: TenantRows & {
    admin: TestSession;
    member: TestSession;
    viewer: TestSession;
    /** The removed member's last token (issued while a member). */
    removed: AccessTokenClaims;
    /** The revoked session's last token (issued before sign-out). */
    revoked: AccessTokenClaims;
    spoofer: TestSession;
  };
  b: TenantRows & { member: TestSession };
}

async function tenantRows(kit: TenancyTestKit, name: string) {
  const tenant = await createTenant(kit, name);
  const bystander = await addMember(kit, tenant.owner, 'member');
  const documentId = await kit.rpc<string>(
    tenant.owner,
    `insert into public.documents (title, body) values ($1, 'body') returning id`,
    [`${name} plan`],
  );
  await kit.rpc(tenant.owner, 'select public.invite_member($1, $2)', [`pending-${tenant.slug}@example.test`, 'member']);
  const [invitation] = await kit.adminQuery<{ id: string }>(
    'select id from public.invitations where tenant_id = $1 and accepted_at is null',
    [tenant.id],
  );
  const [audit] = await kit.adminQuery<{ id: string }>(
    `select id from public.audit_log where tenant_id = $1 and action = 'tenant.created'`,
    [tenant.id],
  );
  if (!invitation || !audit) throw new Error('fixture: missing invitation or audit entry');
  return {
    billing: await billingRows(kit, tenant.id),
    id: tenant.id,
    slug: tenant.slug,
    owner: tenant.owner,
    documentId,
    invitationId: invitation.id,
    bystanderUserId: bystander.user.id,
    auditEntryId: audit.id,
  };
}

/** One row per billing table for the tenant, as the webhook handler (billing_sync) would write them. */
async function billingRows(kit: TenancyTestKit, tenantId: string): Promise<TenantRows['billing']> {
  const suffix = tenantId.replaceAll('-', '').slice(0, 16);
  const one = async (sql: string, params: unknown[]) => {
    const [row] = await kit.adminQuery<{ id: string }>(sql, params);
    if (!row) throw new Error(`fixture: ${sql}`);
    return row.id;
  };
  const stripeSubscriptionId = `sub_fixture${suffix}`;
  const stripeCreditGrantId = `credgr_fixture${suffix}`;
  return {
    customerId: await one(
      `insert into public.billing_customers (tenant_id, stripe_customer_id, livemode) values ($1, $2, false) returning id`,
      [tenantId, `cus_fixture${suffix}`],
    ),
    subscriptionId: await one(
      `insert into public.billing_subscriptions (tenant_id, stripe_subscription_id, stripe_customer_id, status, livemode, stripe_created)
       values ($1, $2, $3, 'active', false, now()) returning id`,
      [tenantId, stripeSubscriptionId, `cus_fixture${suffix}`],
    ),
    stripeSubscriptionId,
    itemId: await one(
      `insert into public.billing_subscription_items (tenant_id, stripe_item_id, stripe_subscription_id, stripe_price_id, quantity)
       values ($1, $2, $3, 'price_fixture', 1) returning id`,
      [tenantId, `si_fixture${suffix}`, stripeSubscriptionId],
    ),
    entitlementId: await one(
      `insert into public.tenant_entitlements (tenant_id, feature, limit_value) values ($1, 'fixture_feature', 1) returning id`,
      [tenantId],
    ),
    reconciliationId: await one(
      `insert into public.billing_reconciliation_runs (tenant_id, run_id, dry_run, differences, repaired)
       values ($1, gen_random_uuid(), false, '["fixture"]', true) returning id`,
      [tenantId],
    ),
    subscriptionEntitlementId: await one(
      `insert into public.billing_subscription_entitlements (tenant_id, stripe_subscription_id, feature, limit_value, stripe_feature_id)
       values ($1, $2, 'fixture_feature', 1, 'feat_fixture') returning id`,
      [tenantId, stripeSubscriptionId],
    ),
    stripeCreditGrantId,
    creditGrantId: await one(
      `insert into public.billing_credit_grants (tenant_id, stripe_credit_grant_id, category, amount, currency, stripe_created)
       values ($1, $2, 'paid', 1000, 'usd', now()) returning id`,
      [tenantId, stripeCreditGrantId],
    ),
    creditTransactionId: await one(
      `insert into public.billing_credit_transactions (tenant_id, stripe_transaction_id, stripe_credit_grant_id, type, reason, amount, currency, effective_at)
       values ($1, $2, $3, 'credit', 'credits_granted', 1000, 'usd', now()) returning id`,
      [tenantId, `cbtxn_fixture${suffix}`, stripeCreditGrantId],
    ),
  };
}

export async function createTwoTenants(kit: TenancyTestKit): Promise<TwoTenants> {
  const a = await tenantRows(kit, 'Tenant A');
  const b = await tenantRows(kit, 'Tenant B');

  const admin = await addMember(kit, a.owner, 'admin');
  const member = await addMember(kit, a.owner, 'member');
  const viewer = await addMember(kit, a.owner, 'viewer');

  const removedSession = await addMember(kit, a.owner, 'member');
  await kit.rpc(a.owner, 'select public.remove_member($1)', [removedSession.user.id]);

  const revokedSession = await addMember(kit, a.owner, 'member');
  await kit.signOut(revokedSession);

  const spooferSession = await addMember(kit, a.owner, 'member');
  await setUserMetadata(kit.admin, spooferSession.user, { tenant_id: b.id, tenant_role: 'owner' });
  const spoofer = await kit.refresh(spooferSession);

  const bMember = await addMember(kit, b.owner, 'member');

  return {
    a: { ...a, admin, member, viewer, removed: removedSession.claims, revoked: revokedSession.claims, spoofer },
    b: { ...b, member: bMember },
  };
}

/** A digest of every tenant table's full contents, read as the superuser: equal digests, no change. */
export async function tenantDataDigest(kit: TenancyTestKit): Promise<Record<string, string>> {
  const digest: Record<string, string> = {};
  for (const table of [
    'tenants',
    'memberships',
    'invitations',
    'documents',
    'audit_log',
    'billing_customers',
    'billing_subscriptions',
    'billing_subscription_items',
    'tenant_entitlements',
    'billing_reconciliation_runs',
    'billing_subscription_entitlements',
    'billing_credit_grants',
    'billing_credit_transactions',
  ]) {
    const [row] = await kit.adminQuery<{ md5: string | null }>(
      `select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as md5 from public.${table} t`,
    );
    digest[table] = row?.md5 ?? '';
  }
  return digest;
}
