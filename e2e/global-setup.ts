import { startWorld, stopWorld } from './harness';

export default async function globalSetup() {
  await startWorld();
  return stopWorld;
}
