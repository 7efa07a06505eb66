import 'server-only';

// @bulkhead/billing: the tenant-scoped billing API — reading the current tenant's billing state
// and starting Checkout or the Billing Portal as its owner. What reaches beyond one tenant
// (webhooks, the outbox sender, reconciliation, catalog sync) lives behind its own subpath.
export { catalog } from './catalog/bundled';
export type { Catalog, CatalogPlan } from './catalog/schema';
export { checkoutUrl, portalUrl } from './owner-actions';
export {
  AddOnNeedsPlanError,
  AlreadySubscribedError,
  CatalogNotSyncedError,
  checkoutForOwner,
  openPortal,
  ownerGate,
  portalForOwner,
  type SessionDeps,
  startCheckout,
  UnknownPlanError,
} from './sessions';
export {
  type AddOnState,
  type BillingState,
  type CreditEntryView,
  type CreditGrantView,
  type CreditsState,
  type FeatureState,
  readBillingState,
} from './state';
