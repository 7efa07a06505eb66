/**
 * `pnpm tenancy:adopt`: moves an existing single-tenant schema to enforced tenancy, table by
 * table (packages/adopt, docs/adopting.md). See `pnpm tenancy:adopt --help`.
 */
import { main } from '../packages/adopt/src/cli';
import { invocationDir } from '../packages/adopt/src/env';

main(process.argv.slice(2), invocationDir()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
