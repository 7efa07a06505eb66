import { sql } from 'drizzle-orm';
import {
  boolean,
  customType,
  foreignKey,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Drizzle's view of the tenant schema, for typed queries inside withTenant(). The SQL migrations
 * in supabase/migrations are the source of truth (RLS, grants, triggers and functions live only
 * there); test/schema/drizzle-drift.test.ts fails when this file and the migrated database
 * disagree on tables, columns, types, nullability or keys.
 */
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  status: text('status', { enum: ['active', 'suspended'] })
    .notNull()
    .default('active'),
  ownerCount: integer('owner_count').notNull().default(0),
  ...timestamps,
});

export const memberships = pgTable(
  'memberships',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    userId: uuid('user_id').notNull(),
    role: text('role', { enum: ['owner', 'admin', 'member', 'viewer'] }).notNull(),
    lastSelectedAt: timestamp('last_selected_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique().on(t.tenantId, t.userId),
    index('memberships_user_id_idx').on(t.userId),
  ],
);

export const invitations = pgTable(
  'invitations',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .default(sql`private.current_tenant_id()`)
      .references(() => tenants.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    email: text('email').notNull(),
    role: text('role', { enum: ['owner', 'admin', 'member', 'viewer'] }).notNull(),
    tokenHash: bytea('token_hash').notNull(),
    invitedBy: uuid('invited_by').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    acceptedBy: uuid('accepted_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

export const documents = pgTable(
  'documents',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .default(sql`private.current_tenant_id()`)
      .references(() => tenants.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    authorId: uuid('author_id').notNull().default(sql`private.current_user_id()`),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

export const auditLog = pgTable(
  'audit_log',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull().defaultRandom(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    actorId: uuid('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type', { enum: ['tenant', 'user', 'invitation'] }),
    targetId: uuid('target_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

// Billing (supabase/migrations/20260104*): members read these; only billing_sync writes them
// (packages/billing), so the app never inserts through Drizzle.
export const billingSubscriptionStatus = pgEnum('billing_subscription_status', [
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
]);

export const billingUsageType = pgEnum('billing_usage_type', ['licensed', 'metered']);
export const billingCreditCategory = pgEnum('billing_credit_category', ['paid', 'promotional']);
export const billingCreditEntryType = pgEnum('billing_credit_entry_type', ['credit', 'debit']);

export const billingCustomers = pgTable(
  'billing_customers',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    stripeCustomerId: text('stripe_customer_id').notNull(),
    livemode: boolean('livemode').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId)],
);

export const billingSubscriptions = pgTable(
  'billing_subscriptions',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    stripeSubscriptionId: text('stripe_subscription_id').notNull(),
    stripeCustomerId: text('stripe_customer_id').notNull(),
    status: billingSubscriptionStatus('status').notNull(),
    statusSince: timestamp('status_since', { withTimezone: true }).notNull().defaultNow(),
    planLookupKey: text('plan_lookup_key'),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    trialEnd: timestamp('trial_end', { withTimezone: true }),
    livemode: boolean('livemode').notNull(),
    stripeCreated: timestamp('stripe_created', { withTimezone: true }).notNull(),
    syncedAt: timestamp('synced_at', { withTimezone: true }).notNull().defaultNow(),
    usageBilledThrough: timestamp('usage_billed_through', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.stripeSubscriptionId)],
);

export const billingSubscriptionItems = pgTable(
  'billing_subscription_items',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull().defaultRandom(),
    stripeItemId: text('stripe_item_id').notNull(),
    stripeSubscriptionId: text('stripe_subscription_id').notNull(),
    stripePriceId: text('stripe_price_id').notNull(),
    priceLookupKey: text('price_lookup_key'),
    quantity: integer('quantity').notNull().default(1),
    currentPeriodStart: timestamp('current_period_start', { withTimezone: true }),
    currentPeriodEnd: timestamp('current_period_end', { withTimezone: true }),
    usageType: billingUsageType('usage_type').notNull().default('licensed'),
    unitAmount: integer('unit_amount'),
    currency: text('currency'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique().on(t.tenantId, t.stripeItemId),
    foreignKey({
      columns: [t.tenantId, t.stripeSubscriptionId],
      foreignColumns: [billingSubscriptions.tenantId, billingSubscriptions.stripeSubscriptionId],
    }).onDelete('cascade'),
  ],
);

export const tenantEntitlements = pgTable(
  'tenant_entitlements',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    feature: text('feature').notNull(),
    limitValue: integer('limit_value'),
    source: text('source').notNull().default('stripe'),
    stripeFeatureId: text('stripe_feature_id'),
    syncedAt: timestamp('synced_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.feature)],
);

export const billingReconciliationRuns = pgTable(
  'billing_reconciliation_runs',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    runId: uuid('run_id').notNull(),
    dryRun: boolean('dry_run').notNull(),
    differences: jsonb('differences').$type<string[]>().notNull(),
    repaired: boolean('repaired').notNull(),
    checkedAt: timestamp('checked_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

// Billing depth (supabase/migrations/20260106*): what each subscription grants, and credit pools.
export const billingSubscriptionEntitlements = pgTable(
  'billing_subscription_entitlements',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull().defaultRandom(),
    stripeSubscriptionId: text('stripe_subscription_id').notNull(),
    feature: text('feature').notNull(),
    limitValue: integer('limit_value'),
    stripeFeatureId: text('stripe_feature_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique().on(t.tenantId, t.stripeSubscriptionId, t.stripeFeatureId),
    foreignKey({
      columns: [t.tenantId, t.stripeSubscriptionId],
      foreignColumns: [billingSubscriptions.tenantId, billingSubscriptions.stripeSubscriptionId],
    }).onDelete('cascade'),
  ],
);

export const billingCreditGrants = pgTable(
  'billing_credit_grants',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    stripeCreditGrantId: text('stripe_credit_grant_id').notNull(),
    name: text('name'),
    category: billingCreditCategory('category').notNull(),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    priority: integer('priority'),
    effectiveAt: timestamp('effective_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    voidedAt: timestamp('voided_at', { withTimezone: true }),
    stripeCreated: timestamp('stripe_created', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.stripeCreditGrantId)],
);

export const billingCreditTransactions = pgTable(
  'billing_credit_transactions',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull().defaultRandom(),
    stripeTransactionId: text('stripe_transaction_id').notNull(),
    stripeCreditGrantId: text('stripe_credit_grant_id').notNull(),
    type: billingCreditEntryType('type').notNull(),
    reason: text('reason').notNull(),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    effectiveAt: timestamp('effective_at', { withTimezone: true }).notNull(),
    stripeInvoiceId: text('stripe_invoice_id'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique().on(t.tenantId, t.stripeTransactionId),
    foreignKey({
      columns: [t.tenantId, t.stripeCreditGrantId],
      foreignColumns: [billingCreditGrants.tenantId, billingCreditGrants.stripeCreditGrantId],
    }).onDelete('cascade'),
  ],
);
