'use client';

import { Button, Field, FormMessage } from '@bulkhead/ui';
import { useActionState, useEffect, useRef, useState } from 'react';
import { changeMemberRole, inviteMember, leaveWorkspace, removeMember, revokeInvitation } from './actions';

const roles = ['owner', 'admin', 'member', 'viewer'] as const;
const selectStyle = 'rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-950';

export function InviteForm() {
  const [state, formAction, pending] = useActionState(inviteMember, null);
  const [origin, setOrigin] = useState('');
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => setOrigin(window.location.origin), []);
  useEffect(() => {
    if (state?.ok) form.current?.reset();
  }, [state]);
  const fieldErrors = state && !state.ok ? state.fieldErrors : undefined;
  const link = state?.ok ? `${origin}/invite/${state.data.token}` : null;
  return (
    <div className="flex flex-col gap-3">
      <form ref={form} action={formAction} className="flex flex-wrap items-end gap-3">
        <div className="min-w-64 flex-1">
          <Field label="Email" name="email" type="email" required errors={fieldErrors?.email} />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="invite-role" className="text-sm font-medium">
            Role
          </label>
          <select id="invite-role" name="role" defaultValue="member" className={`${selectStyle} py-2`}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <Button type="submit" disabled={pending}>
          {pending ? 'Inviting…' : 'Create invitation link'}
        </Button>
      </form>
      <FormMessage state={state} />
      {link && state?.ok && (
        <div role="status" className="rounded-md bg-emerald-50 p-3 text-sm dark:bg-emerald-950">
          <p>
            Send this link to <strong>{state.data.email}</strong>. It works once, for that address, and is shown only now.
          </p>
          <input
            readOnly
            aria-label="Invitation link"
            data-testid="invitation-link"
            value={link}
            onFocus={(e) => e.currentTarget.select()}
            className="mt-2 w-full rounded border border-emerald-300 bg-white px-2 py-1 font-mono text-xs dark:bg-zinc-950"
          />
        </div>
      )}
    </div>
  );
}

export function MemberRow({
  member,
  isSelf,
  canManage,
  canGrantOwner,
}: {
  member: { userId: string; email: string; role: string };
  isSelf: boolean;
  canManage: boolean;
  canGrantOwner: boolean;
}) {
  const [roleState, roleAction, changing] = useActionState(changeMemberRole, null);
  const [removeState, removeAction, removing] = useActionState(removeMember, null);
  return (
    <tr data-testid={`member-${member.email}`}>
      <td className="py-2">
        {member.email} {isSelf && <span className="text-xs text-zinc-500">(you)</span>}
      </td>
      <td className="py-2">
        {canManage ? (
          <form action={roleAction} className="flex items-center gap-2">
            <input type="hidden" name="userId" value={member.userId} />
            <select aria-label={`Role of ${member.email}`} name="role" defaultValue={member.role} className={selectStyle}>
              {roles
                .filter((r) => canGrantOwner || r !== 'owner')
                .map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
            </select>
            <button
              type="submit"
              disabled={changing}
              className="text-xs font-medium text-indigo-700 hover:underline dark:text-indigo-400"
            >
              Save role
            </button>
          </form>
        ) : (
          <span className="capitalize">{member.role}</span>
        )}
        <FormMessage state={roleState} />
      </td>
      <td className="py-2 text-right">
        {canManage && (
          <form
            action={removeAction}
            onSubmit={(e) => {
              if (!window.confirm(`Remove ${member.email} from this workspace?`)) e.preventDefault();
            }}
          >
            <input type="hidden" name="userId" value={member.userId} />
            <button
              type="submit"
              disabled={removing}
              className="text-xs font-medium text-red-700 hover:underline dark:text-red-400"
            >
              Remove
            </button>
          </form>
        )}
        <FormMessage state={removeState} />
      </td>
    </tr>
  );
}

export function InvitationList({
  invitations,
}: {
  invitations: { id: string; email: string; role: string; expiresAt: string }[];
}) {
  return (
    <ul className="divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
      {invitations.map((invitation) => (
        <InvitationRow key={invitation.id} invitation={invitation} />
      ))}
    </ul>
  );
}

function InvitationRow({ invitation }: { invitation: { id: string; email: string; role: string; expiresAt: string } }) {
  const [state, action, pending] = useActionState(revokeInvitation, null);
  return (
    <li className="flex items-center justify-between gap-4 py-2">
      <span>
        {invitation.email} · {invitation.role} · expires {invitation.expiresAt.slice(0, 10)}
      </span>
      <form action={action}>
        <input type="hidden" name="id" value={invitation.id} />
        <button type="submit" disabled={pending} className="text-xs font-medium text-red-700 hover:underline dark:text-red-400">
          Revoke
        </button>
      </form>
      <FormMessage state={state} />
    </li>
  );
}

export function LeaveButton() {
  const [state, action, pending] = useActionState(leaveWorkspace, null);
  return (
    <form
      action={action}
      onSubmit={(e) => {
        if (!window.confirm('Leave this workspace?')) e.preventDefault();
      }}
    >
      <FormMessage state={state} />
      <Button type="submit" variant="danger" disabled={pending}>
        Leave workspace
      </Button>
    </form>
  );
}
