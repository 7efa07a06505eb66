export { LOCAL_STRIPE_SECRET_KEY, LOCAL_STRIPE_WEBHOOK_SECRET } from './keys';
export { API_VERSION as STRIPE_STAND_IN_API_VERSION } from './objects';
export { type RunningStripeServer, type StripeServerOptions, startStripeServer } from './server';
