import type pg from 'pg';

/**
 * What shadow mode found, per table and caller, and the gate in front of enforcement: a table
 * whose findings nobody has explained is not enforced unless someone forces it with a reason
 * (which the enforce migration and bulkhead_adopt.state_log keep).
 */

export interface CallerFindings {
  table: string;
  caller: string;
  roles: string[];
  rows: number;
  users: number;
  callerTenants: number;
  firstSeen: Date;
  lastSeen: Date;
  /** Findings newer than the explanation (or all of them, without one). */
  unexplained: number;
  explanation: string | null;
}

export async function shadowReport(client: pg.ClientBase, table?: string): Promise<CallerFindings[]> {
  const { rows } = await client.query<{
    table_name: string;
    caller: string;
    roles: string[];
    rows: number;
    users: number;
    caller_tenants: number;
    first_seen: Date;
    last_seen: Date;
    unexplained: number;
    reason: string | null;
  }>(
    `select f.table_name, f.caller, array_agg(distinct f.caller_role) as roles,
            count(distinct f.row_key)::int as rows, count(distinct f.caller_user)::int as users,
            count(distinct f.caller_tenant)::int as caller_tenants,
            min(f.seen_at) as first_seen, max(f.seen_at) as last_seen,
            count(*) filter (where e.explained_at is null or f.seen_at > e.explained_at)::int as unexplained,
            min(e.reason) as reason
       from bulkhead_adopt.shadow_findings f
       left join bulkhead_adopt.shadow_explanations e on e.table_name = f.table_name and e.caller = f.caller
      where $1::text is null or f.table_name = $1
      group by f.table_name, f.caller
      order by f.table_name, f.caller`,
    [table ?? null],
  );
  return rows.map((r) => ({
    table: r.table_name,
    caller: r.caller,
    roles: r.roles,
    rows: r.rows,
    users: r.users,
    callerTenants: r.caller_tenants,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    unexplained: r.unexplained,
    explanation: r.reason,
  }));
}

/** Marks a table's findings from one caller as explained (until new ones arrive). */
export async function explainFindings(client: pg.ClientBase, table: string, caller: string, reason: string): Promise<void> {
  if (reason.trim().length < 10) throw new Error('write down why these findings are expected (at least 10 characters)');
  await client.query(
    `insert into bulkhead_adopt.shadow_explanations (table_name, caller, reason) values ($1, $2, $3)
     on conflict (table_name, caller) do update set reason = excluded.reason, explained_at = now()`,
    [table, caller, reason.trim()],
  );
}

export function formatReport(findings: CallerFindings[]): string {
  if (findings.length === 0) return 'shadow mode recorded no rows that enforcement would hide.';
  const lines = ['table / caller: rows hidden under enforcement (distinct), roles, users, unexplained findings'];
  let current = '';
  for (const f of findings) {
    if (f.table !== current) {
      lines.push(f.table);
      current = f.table;
    }
    lines.push(
      `  ${f.caller}: ${f.rows} row(s), roles ${f.roles.join(', ')}, ${f.users} user(s), seen ${f.firstSeen.toISOString()} – ${f.lastSeen.toISOString()}, ` +
        (f.unexplained > 0 ? `${f.unexplained} UNEXPLAINED` : `explained: ${f.explanation}`),
    );
  }
  return lines.join('\n');
}
