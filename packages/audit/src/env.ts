import { z } from 'zod';

/**
 * The audit's environment, validated on first use. DATABASE_URL is the live-mode target when
 * --live has no URL; INIT_CWD is where the user ran `pnpm audit:tenancy` (pnpm runs the script
 * from the package folder), so relative paths on the command line mean what the user meant.
 */
const schema = z.object({
  DATABASE_URL: z.string().url('DATABASE_URL must be a postgres:// connection string').optional(),
  INIT_CWD: z.string().min(1).optional(),
});

export interface AuditEnv {
  databaseUrl: string | undefined;
  invocationDir: string | undefined;
}

let cached: AuditEnv | undefined;

/** Throws a message naming the bad variable; the CLI turns it into exit status 2. */
export function auditEnv(): AuditEnv {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(`the environment is invalid:\n${z.prettifyError(parsed.error)}`);
  }
  cached = { databaseUrl: parsed.data.DATABASE_URL, invocationDir: parsed.data.INIT_CWD };
  return cached;
}
