/**
 * The stand-in's fixed, clearly-local test-mode keys, printed by `pnpm stack env` like the
 * Supabase keys. They only open the local stand-in; never configure them against Stripe.
 */
export const LOCAL_STRIPE_SECRET_KEY = 'sk_test_bulkhead_local_4c2f7a91d3e85b60';
export const LOCAL_STRIPE_WEBHOOK_SECRET = 'whsec_bulkhead_local_9e1b5d7c3a2f4e8d6b0c';
export const DEFAULT_STRIPE_WEBHOOK_URL = 'http://127.0.0.1:3000/api/stripe/webhook';
