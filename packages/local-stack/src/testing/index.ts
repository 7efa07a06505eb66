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
