import { z } from 'zod';

/**
 * The adoption tool's environment: only the database it works on, and only as a fallback for
 * `--db`. Read lazily so that importing the package (tests, the benchmark) never needs it.
 */
const schema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((value) => /^postgres(ql)?:\/\//.test(value), 'DATABASE_URL must be a postgresql:// connection string')
    .optional(),
});

export function adoptEnv(): { databaseUrl: string | undefined } {
  const parsed = schema.safeParse({ DATABASE_URL: process.env.DATABASE_URL || undefined });
  if (!parsed.success) throw new Error(`invalid environment: ${z.prettifyError(parsed.error)}`);
  return { databaseUrl: parsed.data.DATABASE_URL };
}

/** Where `pnpm tenancy:adopt` was typed (pnpm runs the script inside the package): relative paths start there. */
export function invocationDir(): string {
  return process.env.INIT_CWD || process.cwd();
}
