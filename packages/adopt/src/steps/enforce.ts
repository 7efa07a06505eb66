import type { Policy } from '../catalog';
import { ident } from '../sql';
import { deriveTriggerSql } from './column';
import { header, names, recordStep, type StepContext, TENANT } from './context';
import { dropShadowPoliciesSql, shadowPoliciesSql } from './shadow';

/**
 * Step 6: enforcement, the kit's pattern for every tenant table (supabase/migrations/*_documents.sql):
 * one policy per command `to authenticated` comparing tenant_id with the wrapped helper, ENABLE +
 * FORCE, privileges only for `authenticated` (the ones it had, minus UPDATE of the key and the
 * tenant), tenant_id defaulting to the caller's tenant, and ownership moved to tenancy_owner,
 * which has no BYPASSRLS, so FORCE binds. The app's own policies from before adoption are dropped:
 * OR-ed with the tenant policies they would reopen what these close.
 */

const CHECK = `${TENANT} = (select private.current_tenant_id())`;
const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

function policyNames(ctx: StepContext) {
  const t = ctx.mapping.table.name;
  return {
    select: `${t}_tenant_select`,
    insert: `${t}_tenant_insert`,
    update: `${t}_tenant_update`,
    delete: `${t}_tenant_delete`,
  };
}

function createPolicySql(table: string, p: Policy): string {
  const roles = p.roles.map((r) => (r === 'public' ? 'public' : ident(r))).join(', ');
  return `create policy ${ident(p.name)} on ${table} as ${p.permissive ? 'permissive' : 'restrictive'} for ${p.command} to ${roles}${
    p.using ? `\n  using (${p.using})` : ''
  }${p.withCheck ? `\n  with check (${p.withCheck})` : ''};`;
}

function grantees(ctx: StepContext): string[] {
  return Object.keys(ctx.original.grants).map((r) => (r === 'public' ? 'public' : ident(r)));
}

export function enforceStep(ctx: StepContext, reason: string | null): string {
  const n = names(ctx);
  const o = ctx.original;
  const p = policyNames(ctx);
  const had = new Set(o.grants.authenticated ?? []);
  const tablePrivileges = ['SELECT', 'INSERT', 'DELETE'].filter((x) => had.has(x));
  const updatable = o.columns.map((c) => c.name).filter((c) => c !== TENANT && c !== o.key.column);
  const callers = [...new Set(['anon', 'authenticated', ...o.boundRoles])].map(ident).join(', ');
  const revokeFrom = [...new Set(['public', 'anon', 'authenticated', 'service_role', ...grantees(ctx)])].join(', ');
  return `${header(`Adoption step 6 of ${n.display}: enforce tenant isolation`, [
    "Replaces the shadow policies (and the app's own policies from before adoption) with one",
    'tenant policy per command, ENABLE + FORCE row level security, privileges for authenticated',
    'only, and ownership by tenancy_owner (no BYPASSRLS, so FORCE binds even the owner).',
    ...(reason ? [`Enforced over unexplained shadow findings, with this reason: ${reason}`] : []),
    `Rollback: pnpm tenancy:adopt rollback --table ${n.display} --to shadow`,
  ])}
${dropShadowPoliciesSql(ctx)}
${o.policies.map((pol) => `drop policy ${ident(pol.name)} on ${n.table};`).join('\n')}
drop trigger if exists adopt_derive_tenant_id on ${n.table};
drop function if exists ${n.deriveFn}();
drop procedure if exists ${n.backfillProc}(integer);
drop function if exists ${n.batchFn}(integer);

alter table ${n.table} alter column ${TENANT} set default private.current_tenant_id();
alter table ${n.table} enable row level security;
alter table ${n.table} force row level security;

revoke all on table ${n.table} from ${revokeFrom};
${tablePrivileges.length > 0 ? `grant ${tablePrivileges.join(', ').toLowerCase()} on table ${n.table} to authenticated;` : ''}
${had.has('UPDATE') && updatable.length > 0 ? `grant update (${updatable.map(ident).join(', ')}) on table ${n.table} to authenticated;` : ''}

create policy ${ident(p.select)} on ${n.table}
  for select to authenticated
  using (${CHECK});
create policy ${ident(p.insert)} on ${n.table}
  for insert to authenticated
  with check (${CHECK});
create policy ${ident(p.update)} on ${n.table}
  for update to authenticated
  using (${CHECK})
  with check (${CHECK});
create policy ${ident(p.delete)} on ${n.table}
  for delete to authenticated
  using (${CHECK});

alter table ${n.table} owner to tenancy_owner;

${recordStep(ctx, 'shadow', 'enforce', reason)}

-- The last table out of shadow mode closes the findings table to the callers again.
do $close_shadow$
begin
  if not exists (select from bulkhead_adopt.tables where state = 'shadow') then
    revoke usage on schema bulkhead_adopt from ${callers};
    revoke execute on function bulkhead_adopt.shadow_observe(text, text, uuid, uuid) from ${callers};
    revoke insert on table bulkhead_adopt.shadow_findings from ${callers};
  end if;
end
$close_shadow$;
`;
}

export function undoEnforce(ctx: StepContext): string {
  const n = names(ctx);
  const o = ctx.original;
  const p = policyNames(ctx);
  const grants = Object.entries(o.grants)
    .map(([role, privileges]) => {
      const known = privileges.filter((x) => [...TABLE_PRIVILEGES, 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'].includes(x));
      return known.length > 0
        ? `grant ${known.join(', ').toLowerCase()} on table ${n.table} to ${role === 'public' ? 'public' : ident(role)};`
        : '';
    })
    .filter(Boolean);
  return `alter table ${n.table} owner to ${ident(o.owner)};
${Object.values(p)
  .map((name) => `drop policy if exists ${ident(name)} on ${n.table};`)
  .join('\n')}
alter table ${n.table} no force row level security;
alter table ${n.table} alter column ${TENANT} drop default;
revoke all on table ${n.table} from authenticated;
${grants.join('\n')}
${o.policies.map((pol) => createPolicySql(n.table, pol)).join('\n')}
${deriveTriggerSql(ctx)}
${shadowPoliciesSql(ctx)}
${recordStep(ctx, 'enforce', 'shadow', null)}`;
}
