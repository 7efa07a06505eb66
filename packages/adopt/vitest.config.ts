import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['../local-stack/src/testing/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
