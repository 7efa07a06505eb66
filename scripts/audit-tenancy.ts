/**
 * `pnpm audit:tenancy`: the tenancy audit (packages/audit). Static mode by default; see
 * `pnpm audit:tenancy --help` and docs/runbook.md.
 */
import { main } from '../packages/audit/src/cli';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
