/**
 * The operator's side of staff membership, shared by `pnpm admin:grant-staff <email>` and
 * `pnpm admin:revoke-staff <email>`. They write private.staff_members as the database's
 * migration/break-glass login (DB_URL: `postgres` on Supabase), which apps never hold; the staff
 * console (apps/admin) has no way to change who is staff.
 *
 * A new staff member gets the `staff` claim at their next sign-in or token refresh and must still
 * complete MFA (aal2) in the console. Revoking takes effect on their next query: every staff
 * function checks the table, not only the claim; their existing sessions are left alone (end them
 * in the console, or with Supabase's admin sign-out, if needed).
 */
import pg from 'pg';
import { z } from 'zod';

const env = z
  .object({
    DB_URL: z
      .string({
        error:
          'DB_URL is not set: run through `pnpm admin:grant-staff` (local stack) or set DB_URL to the postgres login of your project',
      })
      .url('DB_URL must be a postgresql:// URL (the postgres login; `pnpm stack env` prints the local one)'),
  })
  .parse(process.env);

const email = z.string().trim().toLowerCase().email('give the e-mail address of an existing user');

export async function changeStaff(action: 'grant' | 'revoke', argv: string[]): Promise<number> {
  const parsed = email.safeParse(argv[0] ?? '');
  if (!parsed.success || argv.length !== 1) {
    console.error(`usage: pnpm admin:${action}-staff <email>  (${parsed.error?.issues[0]?.message ?? 'one address only'})`);
    return 2;
  }
  const client = new pg.Client({ connectionString: env.DB_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; email: string }>(
      'select id, email from auth.users where lower(email) = $1 and deleted_at is null',
      [parsed.data],
    );
    const user = rows[0];
    if (action === 'grant') {
      if (!user) {
        console.error(`no user with the e-mail ${parsed.data}: they must sign up first`);
        return 1;
      }
      const inserted = await client.query(
        `insert into private.staff_members (user_id, email, granted_by) values ($1, $2, $3)
         on conflict (user_id) do nothing`,
        [user.id, user.email, `script:${process.env.USER ?? 'operator'}`],
      );
      console.log(
        inserted.rowCount === 1
          ? `${user.email} is staff now (next sign-in or refresh carries the claim; the console asks for MFA).`
          : `${user.email} already is staff.`,
      );
      return 0;
    }
    const removed = await client.query('delete from private.staff_members where user_id = $1 or lower(email) = $2', [
      user?.id ?? null,
      parsed.data,
    ]);
    console.log(
      removed.rowCount ? `${parsed.data} is no longer staff (effective on their next query).` : `${parsed.data} was not staff.`,
    );
    return 0;
  } finally {
    await client.end();
  }
}

export function run(action: 'grant' | 'revoke'): void {
  changeStaff(action, process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
