import type { NextConfig } from 'next';

const config: NextConfig = {
  // Workspace packages ship TypeScript source; Next compiles them with the app.
  transpilePackages: ['@bulkhead/tenancy', '@bulkhead/ui'],
  typedRoutes: true,
  poweredByHeader: false,
};

export default config;
