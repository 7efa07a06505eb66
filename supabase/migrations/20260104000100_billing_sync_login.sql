-- billing_sync becomes a database login: the Stripe webhook route, the outbox sender and the
-- reconciliation job connect as it.
--
-- The kit-roles migration created billing_sync NOLOGIN and reserved it for this work. It stays
-- without BYPASSRLS and NOINHERIT, so FORCE row level security binds it: it reaches the billing
-- tables only through the `to billing_sync` policies the following migrations write, and no other
-- tenant table at all. No password here: the local stack sets the local one after migrating;
-- docs/runbook.md and docs/billing.md say how to set it on a hosted project.

alter role billing_sync login;

-- It reads the billing helpers' schema (the inbox, the outbox and the free tier live in private).
grant usage on schema private to billing_sync;
