/**
 * Test helpers for everything that touches tenant data on a real PostgreSQL:
 *
 *   auth.ts     users and sessions as auth.* rows; GoTrue-shaped input claims; the real claims hook
 *   request.ts  one request transaction (set local role + request.jwt.claims), statement outcomes
 *   kit.ts      TenancyTestKit: a migrated database, its connections, sign-in/refresh/sign-out
 *   tenants.ts  tenants and members created through the tenant flows
 *   two-tenants.ts  the isolation fixture: tenants A and B, their rows, and every kind of attacker
 *
 * Rule of the suite: claims always come from the hook (never hand-written JSON), and every
 * "cannot" is asserted next to the matching "can", so a test that silently ran nothing fails.
 */
export * from './auth';
export * from './kit';
export * from './request';
export * from './tenants';
export * from './two-tenants';
