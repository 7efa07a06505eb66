import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMigrations } from '@bulkhead/local-stack';
import type { TestCluster } from '@bulkhead/local-stack/testing';
import { TenancyTestKit } from '../helpers';

/**
 * A kit database with one extra migration on top of the kit's own: a copy of
 * supabase/migrations plus one fixture from ./fixtures, applied by the same runner, as the same
 * `postgres` login a hosted project uses. The kit's migrations are already in the cloned template,
 * so only the fixture is pending.
 */

const kitMigrations = fileURLToPath(new URL('../../../../supabase/migrations', import.meta.url));
export const fixturesDir = fileURLToPath(new URL('./fixtures', import.meta.url));

export async function openWithFixture(cluster: TestCluster, fixture: string): Promise<TenancyTestKit> {
  const kit = await TenancyTestKit.open(cluster);
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-attack-fixture-'));
  try {
    for (const file of readdirSync(kitMigrations))
      if (file.endsWith('.sql')) copyFileSync(join(kitMigrations, file), join(dir, file));
    copyFileSync(join(fixturesDir, fixture), join(dir, fixture));
    // The bootstrap grants this on the template; a database cloned from it does not inherit database ACLs.
    await kit.adminQuery(
      `do $$ begin execute format('grant create, temporary on database %I to postgres', current_database()); end $$`,
    );
    const applied = await applyMigrations(kit.db.migrationUrl, dir);
    if (applied.length !== 1 || applied[0]?.file !== fixture) {
      throw new Error(`expected only ${fixture} to be pending, applied: ${applied.map((m) => m.file).join(', ')}`);
    }
    return kit;
  } catch (error) {
    await kit.close();
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
