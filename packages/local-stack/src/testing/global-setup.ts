import type { TestProject } from 'vitest/node';
import { startTestCluster } from './cluster';

/**
 * vitest globalSetup shared by every package's database suite: one cluster per suite, handed
 * to the test files through `inject('cluster')`.
 */
export default async function setup(project: TestProject) {
  const cluster = await startTestCluster();
  const { stop, ...shared } = cluster;
  project.provide('cluster', shared);
  return stop;
}
