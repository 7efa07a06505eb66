import { Button, Card } from '@bulkhead/ui';
import { sql } from 'drizzle-orm';
import type { Metadata } from 'next';
import { signOut } from '@/app/(auth)/actions';
import { loadForUser } from '@/lib/context';
import { ChangePasswordForm, EndSessionButton } from './account-forms';

export const metadata: Metadata = { title: 'Account' };

type SessionRow = {
  id: string;
  created_at: Date;
  refreshed_at: Date | null;
  user_agent: string | null;
  ip: string | null;
  is_current: boolean;
};

export default async function AccountPage() {
  const { email, sessions } = await loadForUser('/account', async (db, claims) => {
    const { rows } = await db.execute<SessionRow>(
      sql`select id, created_at, refreshed_at, user_agent, ip, is_current from public.my_sessions()`,
    );
    return { email: claims.email ?? '', sessions: rows };
  });
  return (
    <div className="flex flex-col gap-6">
      <h1 className="text-2xl font-semibold">Account</h1>
      <Card title="Password">
        <p className="mb-3 text-sm text-zinc-500">Signed in as {email}. Changing the password signs out every other device.</p>
        <ChangePasswordForm />
      </Card>
      <Card title="Active sessions">
        <ul className="divide-y divide-zinc-200 text-sm dark:divide-zinc-800" aria-label="Active sessions">
          {sessions.map((s) => (
            <li
              key={s.id}
              className="flex items-center justify-between gap-4 py-2"
              data-testid={s.is_current ? 'session-current' : 'session-other'}
            >
              <span>
                {s.user_agent ?? 'Unknown device'}
                {s.ip ? ` · ${s.ip}` : ''} · last active{' '}
                {new Date(s.refreshed_at ?? s.created_at).toISOString().slice(0, 16).replace('T', ' ')} UTC
                {s.is_current && <strong className="ml-2 text-emerald-700 dark:text-emerald-400">this device</strong>}
              </span>
              {!s.is_current && <EndSessionButton sessionId={s.id} />}
            </li>
          ))}
        </ul>
      </Card>
      <Card title="Sign out">
        <div className="flex flex-wrap gap-3">
          <form action={signOut}>
            <input type="hidden" name="scope" value="local" />
            <Button type="submit" variant="secondary">
              Sign out of this device
            </Button>
          </form>
          <form action={signOut}>
            <input type="hidden" name="scope" value="global" />
            <Button type="submit" variant="danger">
              Sign out of all devices
            </Button>
          </form>
        </div>
      </Card>
    </div>
  );
}
