import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The staff console must reach the database only as app_server → authenticated, with the staff
 * member's own token: no service-role or secret key, no DB_URL (the migration login), no role
 * that bypasses row level security. This scans every file the app is built from — code, its
 * .env.example and next.config — and fails on any reference to one.
 */

const appRoot = fileURLToPath(new URL('..', import.meta.url));
const skipped = new Set(['node_modules', '.next', 'test', 'next-env.d.ts', 'tsconfig.tsbuildinfo']);

/** What a privileged credential looks like in code or configuration. */
const forbidden: Array<{ what: string; pattern: RegExp }> = [
  { what: 'the service-role key', pattern: /service[_-]?role/i },
  { what: 'the secret key', pattern: /\bSECRET_KEY\b|sb_secret_/ },
  { what: 'DB_URL (the migration login)', pattern: /\bDB_URL\b/ },
  { what: 'the JWT secret', pattern: /\bJWT_SECRET\b/ },
  { what: 'a role that bypasses RLS', pattern: /\bbypassrls\b|\bsupabase_admin\b|postgres(?:ql)?:\/\/postgres[:@]/i },
  { what: 'the billing login', pattern: /\bBILLING_DATABASE_URL\b|\bbilling_sync\b/ },
];

function findReferences(files: Array<{ path: string; text: string }>): string[] {
  const found: string[] = [];
  for (const { path, text } of files) {
    text.split('\n').forEach((line, index) => {
      for (const { what, pattern } of forbidden) if (pattern.test(line)) found.push(`${path}:${index + 1} references ${what}`);
    });
  }
  return found;
}

function appFiles(dir = appRoot): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  for (const name of readdirSync(dir)) {
    if (skipped.has(name)) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...appFiles(full));
    else out.push({ path: relative(appRoot, full), text: readFileSync(full, 'utf8') });
  }
  return out;
}

describe('apps/admin', () => {
  const files = appFiles();

  it('scans its code, .env.example and next.config', () => {
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['.env.example', 'next.config.ts', 'proxy.ts', 'lib/staff.ts', 'package.json']));
    expect(paths.some((p) => p.startsWith('app/(console)/'))).toBe(true);
  });

  it('references no service-role or secret key, no DB_URL and no BYPASSRLS role', () => {
    expect(findReferences(files)).toEqual([]);
  });

  it('would notice one (the scan is not blind)', () => {
    const planted = [
      { path: '.env.example', text: 'SERVICE_ROLE_KEY=eyJ...' },
      { path: 'lib/db.ts', text: "const url = process.env.DB_URL ?? 'postgresql://postgres:postgres@127.0.0.1:54322/postgres';" },
      { path: 'lib/admin.ts', text: "createClient(url, 'sb_secret_abc')" },
      { path: 'next.config.ts', text: 'env: { SECRET_KEY: process.env.SECRET_KEY }' },
    ];
    const found = findReferences(planted);
    expect(found).toEqual(
      expect.arrayContaining([
        '.env.example:1 references the service-role key',
        'lib/db.ts:1 references DB_URL (the migration login)',
        'lib/db.ts:1 references a role that bypasses RLS',
        'lib/admin.ts:1 references the secret key',
        'next.config.ts:1 references the secret key',
      ]),
    );
  });
});
