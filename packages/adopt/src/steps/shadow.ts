import { ident } from '../sql';
import { header, names, recordStep, type StepContext, TENANT } from './context';

/**
 * Step 5: shadow mode. Access stays exactly as before; every row the tenant policy would hide
 * from the caller is recorded in bulkhead_adopt.shadow_findings (table, key, caller, tenants,
 * time). Run production traffic for a while, then `pnpm tenancy:adopt report` shows which
 * callers enforcement would break.
 *
 * How "as before" holds: a table without row level security gets it enabled (not forced: the
 * owner and BYPASSRLS roles are unaffected, as before) with one PERMISSIVE policy per role group
 * whose body always returns true; a table that already had policies gets the same policies as
 * RESTRICTIVE ones, which AND a true into what its own policies allow. Callers that enforcement
 * will serve (`authenticated`) are compared with their live tenant; every other role that has
 * privileges on the table will lose them, so everything it touches is recorded.
 */

const observe = (ctx: StepContext, tenant: string) => {
  const n = names(ctx);
  return `bulkhead_adopt.shadow_observe(${n.label}, ${n.key}::text, ${TENANT}, ${tenant})`;
};

export function shadowGroups(ctx: StepContext): { authenticated: boolean; others: string[] } {
  const bound = ctx.original.boundRoles;
  return { authenticated: bound.includes('authenticated'), others: bound.filter((r) => r !== 'authenticated').sort() };
}

/** The shadow policies alone (also recreated when enforcement is rolled back). */
export function shadowPoliciesSql(ctx: StepContext): string {
  const n = names(ctx);
  const kind = ctx.original.rls ? 'restrictive' : 'permissive';
  const groups = shadowGroups(ctx);
  const roles = [...(groups.authenticated ? ['authenticated'] : []), ...groups.others];
  const out: string[] = [];
  if (roles.length > 0) {
    const list = roles.map(ident).join(', ');
    out.push(
      `grant usage on schema bulkhead_adopt to ${list};`,
      `grant execute on function bulkhead_adopt.shadow_observe(text, text, uuid, uuid) to ${list};`,
      `grant insert on table bulkhead_adopt.shadow_findings to ${list};`,
    );
  }
  if (groups.authenticated) {
    const body = observe(ctx, '(select private.current_tenant_id())');
    out.push(`create policy adopt_shadow_authenticated on ${n.table} as ${kind} for all to authenticated
  using (${body})
  with check (${body});`);
  }
  if (groups.others.length > 0) {
    const body = observe(ctx, 'null::uuid');
    out.push(`create policy adopt_shadow_other_roles on ${n.table} as ${kind} for all to ${groups.others.map(ident).join(', ')}
  using (${body})
  with check (${body});`);
  }
  return out.join('\n');
}

export function shadowStep(ctx: StepContext): string {
  const n = names(ctx);
  return `${header(`Adoption step 5 of ${n.display}: shadow mode`, [
    'Access stays as it was; rows the tenant policy would hide from a caller are recorded in',
    'bulkhead_adopt.shadow_findings. Costs one function call per row a query touches (docs/adopting.md).',
    "Name the caller per request with set_config('bulkhead.caller', '<route>', true).",
    `Report: pnpm tenancy:adopt report --table ${n.display}`,
    `Rollback: pnpm tenancy:adopt rollback --table ${n.display} --to constrain`,
  ])}
${ctx.original.rls ? '-- Row level security was already enabled: the shadow policies are restrictive.' : `alter table ${n.table} enable row level security;`}
${shadowPoliciesSql(ctx)}

${recordStep(ctx, 'constrain', 'shadow', null)}
`;
}

export function dropShadowPoliciesSql(ctx: StepContext): string {
  const n = names(ctx);
  return `drop policy if exists adopt_shadow_authenticated on ${n.table};
drop policy if exists adopt_shadow_other_roles on ${n.table};`;
}

export function undoShadow(ctx: StepContext): string {
  const n = names(ctx);
  return `${dropShadowPoliciesSql(ctx)}
${ctx.original.rls ? '' : `alter table ${n.table} disable row level security;`}
${recordStep(ctx, 'shadow', 'constrain', null)}`;
}
