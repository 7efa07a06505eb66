-- The catalog's combination and credit rules, mirrored for the database to enforce with.
--
--   private.billing_feature_rules  how the limits of several live subscriptions granting one
--       local feature combine: `sum` (seats, usage: an add-on adds to the base plan) or `max`
--       (tiers: the best plan wins). A feature without a row combines by `max`.
--   private.billing_credit_rules   per plan price (lookup key), what happens to metered usage once
--       the tenant's credit pool is used up: `block` (the database refuses more usage) or
--       `overage` (Stripe bills what the credits do not cover). A price without a row: overage.
--
-- Like private.billing_free_features these say the same for every tenant, so they are not tenant
-- tables. Their source is supabase/billing-catalog.json; `pnpm billing:sync-catalog` keeps them in
-- line with it, and the rows below are the file's values so a fresh database works before a sync.
-- Members read them (the helpers run as the caller); only billing_sync writes.

set local role tenancy_owner;

create table private.billing_feature_rules (
  feature text not null primary key check (feature ~ '^[a-z0-9_]{1,64}$'),
  combine text not null check (combine in ('sum', 'max')),
  updated_at timestamptz not null default now()
);
comment on table private.billing_feature_rules is 'How limits from several live subscriptions combine per local feature (sum or max; default max). Source: supabase/billing-catalog.json.';

create table private.billing_credit_rules (
  price_lookup_key text not null primary key check (price_lookup_key ~ '^[a-z0-9_]{1,64}$'),
  when_exhausted text not null check (when_exhausted in ('block', 'overage')),
  updated_at timestamptz not null default now()
);
comment on table private.billing_credit_rules is 'Per plan price: block metered usage once the credit pool is used up, or bill it as overage. Source: supabase/billing-catalog.json.';

insert into private.billing_feature_rules (feature, combine) values
  ('seats', 'sum'),
  ('documents', 'max');

insert into private.billing_credit_rules (price_lookup_key, when_exhausted) values
  ('pro_annual', 'block');

revoke all on table private.billing_feature_rules from public, anon, authenticated, service_role;
revoke all on table private.billing_credit_rules from public, anon, authenticated, service_role;
grant select on table private.billing_feature_rules to authenticated;
grant select on table private.billing_credit_rules to authenticated;
grant select, insert, update, delete on table private.billing_feature_rules to billing_sync;
grant select, insert, update, delete on table private.billing_credit_rules to billing_sync;

reset role;
