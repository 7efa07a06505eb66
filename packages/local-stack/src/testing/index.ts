export { LOCAL_DB_PASSWORD } from '../keys';
export { freePort } from '../ports';
export {
  createEmptyDatabase,
  createTestDatabase,
  type StartedTestCluster,
  startTestCluster,
  type TestCluster,
  type TestDatabase,
} from './cluster';

// Test files read the suite's cluster with `inject('cluster')` (see global-setup.ts).
declare module 'vitest' {
  export interface ProvidedContext {
    cluster: import('./cluster').TestCluster;
  }
}
