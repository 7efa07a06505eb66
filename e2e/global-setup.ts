import { startWorld } from './harness';

/** One world for every spec; the returned function is Playwright's global teardown. */
export default async function globalSetup() {
  return startWorld();
}
