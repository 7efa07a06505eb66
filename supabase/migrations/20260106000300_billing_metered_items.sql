-- What the database needs to price usage that has not been invoiced yet.
--
-- Items gain the price's usage type (licensed or metered) and unit amount; subscriptions gain
-- usage_billed_through: when Stripe last invoiced the subscription (its newest invoice's creation).
-- Stripe settles credits only at invoice time, so a "block at exhaustion" rule has to count the
-- usage since then against the cached credit balance itself (see the credit pool enforcement).
-- All three are re-fetched from Stripe with the subscription, like every other billing column.

set local role tenancy_owner;

-- An enum, as Stripe's recurring.usage_type is: a closed set the database can check.
create type public.billing_usage_type as enum ('licensed', 'metered');

alter table public.billing_subscription_items
  add column usage_type public.billing_usage_type not null default 'licensed',
  add column unit_amount integer check (unit_amount >= 0),
  add column currency text;
comment on column public.billing_subscription_items.usage_type is 'The price''s recurring usage type: metered items bill the meter''s usage at the end of each period.';
comment on column public.billing_subscription_items.unit_amount is 'The price''s unit amount in the currency''s minor unit (what one unit of usage costs).';

alter table public.billing_subscriptions
  add column usage_billed_through timestamptz;
comment on column public.billing_subscriptions.usage_billed_through is 'When Stripe last invoiced this subscription: usage recorded after it is not yet billed (nor paid by credits).';

reset role;
