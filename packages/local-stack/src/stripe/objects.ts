/**
 * The shapes of the Stripe objects the stand-in keeps, as the API returns them (API version
 * below). Only fields the kit can meet are modelled; fields Stripe always sends but the
 * stand-in has no behaviour for carry their inert defaults (null, [] or false) so that code
 * reading them sees what a test-mode account would send.
 */
export const API_VERSION = '2026-10-28.endive';

export type Metadata = Record<string, string>;

export interface ApiList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
  total_count?: number;
}

export interface Customer {
  id: string;
  object: 'customer';
  address: null;
  balance: number;
  created: number;
  currency: string | null;
  default_source: null;
  delinquent: boolean;
  description: string | null;
  discount: null;
  email: string | null;
  invoice_prefix: string;
  invoice_settings: { custom_fields: null; default_payment_method: string | null; footer: null; rendering_options: null };
  livemode: boolean;
  metadata: Metadata;
  name: string | null;
  next_invoice_sequence: number;
  phone: string | null;
  preferred_locales: string[];
  shipping: null;
  tax_exempt: 'none';
  test_clock: null;
}

export interface Product {
  id: string;
  object: 'product';
  active: boolean;
  created: number;
  default_price: string | null;
  description: string | null;
  images: string[];
  livemode: boolean;
  marketing_features: Array<{ name: string }>;
  metadata: Metadata;
  name: string;
  package_dimensions: null;
  shippable: null;
  statement_descriptor: string | null;
  tax_code: null;
  unit_label: string | null;
  updated: number;
  url: string | null;
}

export interface Recurring {
  interval: 'day' | 'week' | 'month' | 'year';
  interval_count: number;
  meter: string | null;
  trial_period_days: null;
  usage_type: 'licensed' | 'metered';
}

export interface Price {
  id: string;
  object: 'price';
  active: boolean;
  billing_scheme: 'per_unit';
  created: number;
  currency: string;
  custom_unit_amount: null;
  livemode: boolean;
  lookup_key: string | null;
  metadata: Metadata;
  nickname: string | null;
  product: string;
  recurring: Recurring | null;
  tax_behavior: 'unspecified';
  tiers_mode: null;
  transform_quantity: null;
  type: 'one_time' | 'recurring';
  unit_amount: number | null;
  unit_amount_decimal: string | null;
}

export interface Feature {
  id: string;
  object: 'entitlements.feature';
  active: boolean;
  livemode: boolean;
  lookup_key: string;
  metadata: Metadata;
  name: string;
}

export interface ProductFeature {
  id: string;
  object: 'product_feature';
  entitlement_feature: Feature;
  livemode: boolean;
}

export interface SubscriptionItem {
  id: string;
  object: 'subscription_item';
  billing_thresholds: null;
  created: number;
  current_period_end: number;
  current_period_start: number;
  discounts: string[];
  metadata: Metadata;
  price: Price;
  quantity?: number;
  subscription: string;
  tax_rates: never[];
}

export type SubscriptionStatus =
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'canceled'
  | 'unpaid'
  | 'paused';

export interface Subscription {
  id: string;
  object: 'subscription';
  application: null;
  application_fee_percent: null;
  automatic_tax: { disabled_reason: null; enabled: boolean; liability: null };
  billing_cycle_anchor: number;
  billing_cycle_anchor_config: null;
  billing_mode: { flexible: null; type: 'classic' };
  cancel_at: number | null;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  cancellation_details: { comment: string | null; feedback: string | null; reason: string | null };
  collection_method: 'charge_automatically';
  created: number;
  currency: string;
  customer: string;
  days_until_due: null;
  default_payment_method: string | null;
  default_source: null;
  description: string | null;
  discounts: string[];
  ended_at: number | null;
  invoice_settings: { account_tax_ids: null; issuer: { type: 'self' } };
  items: ApiList<SubscriptionItem>;
  latest_invoice: string | null;
  livemode: boolean;
  metadata: Metadata;
  next_pending_invoice_item_invoice: null;
  on_behalf_of: null;
  pause_collection: null;
  payment_settings: null;
  pending_invoice_item_interval: null;
  pending_setup_intent: null;
  pending_update: null;
  schedule: null;
  start_date: number;
  status: SubscriptionStatus;
  test_clock: null;
  transfer_data: null;
  trial_end: number | null;
  trial_settings: { end_behavior: { missing_payment_method: 'cancel' | 'create_invoice' | 'pause' } };
  trial_start: number | null;
}

export interface InvoiceLine {
  id: string;
  object: 'line_item';
  amount: number;
  currency: string;
  description: string;
  discountable: boolean;
  invoice: string;
  livemode: boolean;
  metadata: Metadata;
  parent: {
    type: 'subscription_item_details';
    invoice_item_details: null;
    subscription_item_details: { invoice_item: null; proration: boolean; subscription: string; subscription_item: string };
  };
  period: { end: number; start: number };
  pricing: { price_details: { price: string; product: string }; type: 'price_details'; unit_amount_decimal: string | null };
  /** Billing credits applied to this line before tax (one entry per debit transaction). */
  pretax_credit_amounts: PretaxCreditAmount[];
  quantity: number | null;
}

export interface PretaxCreditAmount {
  amount: number;
  credit_balance_transaction: string;
  discount: null;
  type: 'credit_balance_transaction';
}

export interface Invoice {
  id: string;
  object: 'invoice';
  account_country: string;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  attempt_count: number;
  attempted: boolean;
  billing_reason: 'subscription_create' | 'subscription_cycle' | 'subscription_update';
  collection_method: 'charge_automatically';
  created: number;
  currency: string;
  customer: string;
  customer_email: string | null;
  customer_name: string | null;
  hosted_invoice_url: null;
  lines: ApiList<InvoiceLine>;
  livemode: boolean;
  metadata: Metadata;
  next_payment_attempt: number | null;
  number: string;
  parent: {
    type: 'subscription_details';
    quote_details: null;
    subscription_details: { metadata: Metadata; subscription: string };
  };
  period_end: number;
  period_start: number;
  status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  status_transitions: { finalized_at: number | null; marked_uncollectible_at: null; paid_at: number | null; voided_at: null };
  subtotal: number;
  total: number;
  /** Every billing credit applied to the invoice's lines; `total` is `subtotal` less these. */
  total_pretax_credit_amounts: PretaxCreditAmount[];
}

export interface CheckoutSession {
  id: string;
  object: 'checkout.session';
  amount_subtotal: number;
  amount_total: number;
  cancel_url: string | null;
  client_reference_id: string | null;
  created: number;
  currency: string;
  customer: string | null;
  customer_email: string | null;
  expires_at: number;
  invoice: string | null;
  livemode: boolean;
  metadata: Metadata;
  mode: 'subscription';
  payment_method_collection: 'always';
  payment_status: 'paid' | 'unpaid' | 'no_payment_required';
  status: 'open' | 'complete' | 'expired';
  subscription: string | null;
  success_url: string;
  ui_mode: 'hosted';
  url: string | null;
}

/** What Checkout keeps about a session that the API only shows through `expand[]=line_items`. */
export interface CheckoutPlan {
  lineItems: Array<{ price: string; quantity: number }>;
  subscriptionMetadata: Metadata;
  trialPeriodDays: number | null;
}

export interface PortalSession {
  id: string;
  object: 'billing_portal.session';
  configuration: string;
  created: number;
  customer: string;
  flow: null;
  livemode: boolean;
  locale: null;
  on_behalf_of: null;
  return_url: string | null;
  url: string;
}

export interface Meter {
  id: string;
  object: 'billing.meter';
  created: number;
  customer_mapping: { event_payload_key: string; type: 'by_id' };
  default_aggregation: { formula: 'sum' | 'count' | 'last' };
  display_name: string;
  event_name: string;
  event_time_window: null;
  livemode: boolean;
  status: 'active' | 'inactive';
  status_transitions: { deactivated_at: number | null };
  updated: number;
  value_settings: { event_payload_key: string };
}

export interface MeterEvent {
  object: 'billing.meter_event';
  created: number;
  event_name: string;
  identifier: string;
  livemode: boolean;
  payload: Record<string, string>;
  timestamp: number;
}

export interface MonetaryAmount {
  monetary: { currency: string; value: number };
  type: 'monetary';
}

export interface CreditGrant {
  id: string;
  object: 'billing.credit_grant';
  amount: MonetaryAmount;
  applicability_config: { scope: { price_type: 'metered' } | { prices: Array<{ id: string }> } };
  category: 'paid' | 'promotional';
  created: number;
  customer: string;
  customer_account: null;
  effective_at: number;
  expires_at: number | null;
  livemode: boolean;
  metadata: Metadata;
  name: string | null;
  priority: number;
  test_clock: null;
  updated: number;
  voided_at: number | null;
}

export interface CreditBalanceTransaction {
  id: string;
  object: 'billing.credit_balance_transaction';
  created: number;
  credit: { amount: MonetaryAmount; credits_application_invoice_voided: null; type: 'credits_granted' } | null;
  credit_grant: string;
  debit: {
    amount: MonetaryAmount;
    credits_applied: { invoice: string; invoice_line_item: string } | null;
    type: 'credits_applied' | 'credits_expired' | 'credits_voided';
  } | null;
  effective_at: number;
  livemode: boolean;
  test_clock: null;
  type: 'credit' | 'debit';
}

export interface WebhookEndpoint {
  id: string;
  object: 'webhook_endpoint';
  api_version: string | null;
  application: null;
  created: number;
  description: string | null;
  enabled_events: string[];
  livemode: boolean;
  metadata: Metadata;
  status: 'enabled' | 'disabled';
  url: string;
}

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}
