import type { Node } from 'libpg-query';
import { type CheckId, checkById, resolveCheck, type Severity, severityRank } from './checks';
import { type AuditConfig, tenantTableSpecs } from './config';
import type { Catalog, DbFunction, Policy, PolicyCommand, Relation, SourceLocation } from './model';
import { deparseExpression, functionCalls, identifiersAndStrings, isLiteralTrue, orBranches } from './sql';

/** One problem: a check that failed on one object. */
export interface Finding {
  id: CheckId;
  name: string;
  severity: Severity;
  /** schema.name, or schema.table.member for policies, constraints and columns. */
  object: string;
  message: string;
  why: string;
  fix: string;
  /** Static mode: the migration file and line that defined the object. */
  location?: SourceLocation;
}

export interface SuppressedFinding extends Finding {
  justification: string;
}

export interface AuditResult {
  mode: Catalog['mode'];
  target: string;
  findings: Finding[];
  suppressed: SuppressedFinding[];
  /** Tenant tables the audit found, for the report. */
  tenantTables: string[];
}

const writeCommands: PolicyCommand[] = ['insert', 'update', 'delete'];
const commandsOf = (command: PolicyCommand): PolicyCommand[] =>
  command === 'all' ? ['select', 'insert', 'update', 'delete'] : [command];
const privilegeOf: Record<string, string> = { select: 'SELECT', insert: 'INSERT', update: 'UPDATE', delete: 'DELETE' };
const authFunctions = ['auth.uid', 'auth.jwt', 'auth.role', 'auth.email', 'current_setting'];
const metadataNames = ['user_metadata', 'raw_user_meta_data'];

class Collector {
  readonly findings: Finding[] = [];
  add(id: CheckId, object: string, message: string, location?: SourceLocation): void {
    const check = checkById(id);
    this.findings.push({
      id,
      name: check.name,
      severity: check.severity,
      object,
      message,
      why: check.why,
      fix: check.fix,
      ...(location ? { location } : {}),
    });
  }
}

interface Context {
  catalog: Catalog;
  config: AuditConfig;
  out: Collector;
  bypasses(role: string): boolean;
  /** BH005 findings on policies only for cross-tenant roles: policy object → justification. */
  crossTenant: Map<string, string>;
}

function isTableKind(relation: Relation): boolean {
  return relation.kind === 'table' || relation.kind === 'partitioned table';
}

/** Tenant tables and their tenant column. */
function tenantTables(catalog: Catalog, config: AuditConfig, ignored: Set<string>): Map<Relation, string> {
  const listed = new Map(tenantTableSpecs(config).map((spec) => [spec.table, spec.tenantColumn]));
  const out = new Map<Relation, string>();
  for (const [key, relation] of catalog.relations) {
    if (ignored.has(relation.schema) || !isTableKind(relation)) continue;
    const column = listed.get(key) ?? config.tenantColumn;
    if (listed.has(key) || relation.columns.some((c) => c.name === config.tenantColumn)) out.set(relation, column);
  }
  return out;
}

function policyObject(relation: Relation, policy: Policy): string {
  return `${relation.schema}.${relation.name}.${policy.name}`;
}

function tableObject(relation: Relation): string {
  return `${relation.schema}.${relation.name}`;
}

function expressions(policy: Policy) {
  return [policy.using, policy.withCheck].filter((e): e is NonNullable<typeof e> => e !== null);
}

/** Roles that hold a privilege on the table (directly, by column, or via PUBLIC) and are bound by its policies. */
function boundHolders(ctx: Context, relation: Relation, privilege: string): string[] {
  const holders = new Set<string>();
  for (const [grantee, privileges] of relation.acl) if (privileges.has(privilege)) holders.add(grantee);
  for (const column of relation.columns) {
    for (const [grantee, privileges] of column.acl) if (privileges.has(privilege)) holders.add(grantee);
  }
  return [...holders].filter((role) => role !== relation.owner && !ctx.bypasses(role)).sort();
}

function checkTenantTable(ctx: Context, relation: Relation): void {
  const { out } = ctx;
  const object = tableObject(relation);
  const at = relation.source;

  // BH001 / BH002 / BH003: RLS that actually binds.
  if (!relation.rlsEnabled) out.add('BH001', object, `${object} is a tenant table without row level security.`, at);
  if (!relation.rlsForced)
    out.add(
      'BH002',
      object,
      `${object} is a tenant table without FORCE ROW LEVEL SECURITY: its owner (${relation.owner}) bypasses every policy.`,
      at,
    );
  const owner = ctx.catalog.roles.get(relation.owner);
  if (owner && (owner.superuser || owner.bypassrls)) {
    const attribute = owner.superuser ? 'SUPERUSER' : 'BYPASSRLS';
    out.add('BH003', object, `${object} is owned by ${relation.owner}, which has ${attribute}: FORCE cannot bind the owner.`, at);
  }

  // BH004: a granted command that no policy covers.
  if (relation.rlsEnabled) {
    for (const command of ['select', 'insert', 'update', 'delete'] as const) {
      if (relation.policies.some((p) => commandsOf(p.command).includes(command))) continue;
      const holders = boundHolders(ctx, relation, privilegeOf[command] as string);
      if (holders.length === 0) continue;
      out.add(
        'BH004',
        object,
        `${command.toUpperCase()} on ${object} is granted to ${holders.join(', ')} but no policy covers it: it silently affects no rows.`,
        at,
      );
    }
  }

  const helpers = new Set(ctx.config.tenantHelpers);
  for (const policy of relation.policies) {
    const pObject = policyObject(relation, policy);
    // BH005: permissive policy without the tenant helper. Exempt: a SELECT policy only for the
    // claims hook's role, which reads memberships before any tenant context exists.
    const hookOnly =
      ctx.config.claimsHook !== null && policy.command === 'select' && policy.roles.every((r) => r === ctx.config.hookRole);
    // A policy only for BYPASSRLS roles never applies.
    const inert = policy.roles.every((r) => r !== 'public' && ctx.bypasses(r));
    if (!policy.permissive || hookOnly || inert) continue;
    const callsHelper = (ast: Node) => functionCalls(ast).some((c) => helpers.has(c.name));
    const exprs = expressions(policy);
    const scope = `Policy ${policy.name} on ${object} (${policy.command}, to ${policy.roles.join(', ')})`;
    if (!exprs.some((e) => callsHelper(e.ast))) {
      const crossTenant = ctx.config.crossTenantRoles.filter((c) => policy.roles.includes(c.role));
      if (crossTenant.length > 0 && crossTenant.length === policy.roles.length) {
        ctx.crossTenant.set(
          pObject,
          crossTenant.map((c) => `${c.role} acts for every tenant by design: ${c.justification}`).join(' '),
        );
      }
      out.add(
        'BH005',
        pObject,
        `${scope} does not call ${[...helpers].join(' or ')}: nothing in it limits rows to the caller’s current tenant.`,
        policy.source,
      );
      continue;
    }
    // Each top-level OR branch admits rows on its own: every one must be tenant-scoped.
    // (A literal true is BH008's finding, not this one.)
    const loose = exprs
      .filter((e) => !isLiteralTrue(e.ast))
      .flatMap((e) => orBranches(e.ast))
      .filter((branch) => !callsHelper(branch));
    if (loose.length > 0) {
      out.add(
        'BH005',
        pObject,
        `${scope} ORs in ${loose.map((b) => `\`${deparseExpression(b)}\``).join(', ')}, which does not call ${[...helpers].join(' or ')}: that branch admits rows of any tenant on its own.`,
        policy.source,
      );
    }
  }
}

function checkPolicies(ctx: Context, relation: Relation): void {
  const { out } = ctx;
  const object = tableObject(relation);
  const wrapped = new Set([...ctx.config.tenantHelpers, ...ctx.config.policyHelpers, ...authFunctions]);
  for (const policy of relation.policies) {
    const pObject = policyObject(relation, policy);
    const exprs = expressions(policy);
    // BH006: helper or auth.* called per row.
    const unwrapped = [
      ...new Set(
        exprs
          .flatMap((e) => functionCalls(e.ast))
          .filter((c) => wrapped.has(c.name) && !c.wrapped)
          .map((c) => c.name),
      ),
    ];
    if (unwrapped.length > 0) {
      out.add(
        'BH006',
        pObject,
        `Policy ${policy.name} on ${object} calls ${unwrapped.map((n) => `${n}()`).join(', ')} without (select …): evaluated once per row.`,
        policy.source,
      );
    }
    // BH007: user-writable metadata.
    const mentions = exprs.flatMap((e) => identifiersAndStrings(e.ast)).filter((s) => metadataNames.some((m) => s.includes(m)));
    if (mentions.length > 0) {
      out.add(
        'BH007',
        pObject,
        `Policy ${policy.name} on ${object} reads ${[...new Set(mentions)].join(', ')}, which users can write themselves.`,
        policy.source,
      );
    }
    // BH008: always-true write policies.
    if (policy.permissive) {
      const commands = commandsOf(policy.command);
      const usingTrue = policy.using !== null && isLiteralTrue(policy.using.ast);
      // Without WITH CHECK, UPDATE/ALL check new rows with USING; an INSERT policy checks nothing.
      const effectiveCheck = policy.withCheck ?? (policy.command === 'insert' ? null : policy.using);
      const checkTrue = effectiveCheck === null || isLiteralTrue(effectiveCheck.ast);
      const problems: string[] = [];
      if (usingTrue && commands.some((c) => c === 'update' || c === 'delete')) problems.push('USING (true)');
      if (checkTrue && commands.some((c) => c === 'insert' || c === 'update')) {
        problems.push(policy.withCheck === null && policy.command === 'insert' ? 'no WITH CHECK' : 'WITH CHECK (true)');
      }
      if (problems.length > 0 && commands.some((c) => writeCommands.includes(c))) {
        out.add(
          'BH008',
          pObject,
          `Policy ${policy.name} on ${object} (${policy.command}) has ${problems.join(' and ')}: the role writes rows of any tenant.`,
          policy.source,
        );
      }
    }
  }

  // BH009: permissive policies OR-ed for the same role and command.
  const overlaps: string[] = [];
  for (const command of ['select', 'insert', 'update', 'delete'] as const) {
    const permissive = relation.policies.filter((p) => p.permissive && commandsOf(p.command).includes(command));
    if (permissive.length < 2) continue;
    const roles = new Set(permissive.flatMap((p) => p.roles));
    const seen = new Set<string>();
    for (const role of [...roles].sort()) {
      if (role !== 'public' && ctx.bypasses(role)) continue;
      const applicable = permissive.filter((p) => p.roles.includes(role) || p.roles.includes('public')).map((p) => p.name);
      if (applicable.length < 2) continue;
      const key = applicable.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      overlaps.push(`${command} for ${role}: ${applicable.join(', ')}`);
    }
  }
  if (overlaps.length > 0) {
    out.add(
      'BH009',
      object,
      `${object} has permissive policies that are OR-ed together (${overlaps.join('; ')}).`,
      relation.source,
    );
  }
}

function checkTenantSchema(ctx: Context, relation: Relation, tenantColumn: string, tenant: Map<Relation, string>): void {
  const { out } = ctx;
  const object = tableObject(relation);

  // BH010: an index leading with the tenant column.
  if (!relation.indexes.some((i) => i.columns[0] === tenantColumn)) {
    out.add('BH010', object, `${object} has no index whose first column is ${tenantColumn}.`, relation.source);
  }

  // BH011 / BH012: keys include the tenant column.
  for (const constraint of relation.constraints) {
    const cObject = `${object}.${constraint.name}`;
    if (constraint.kind === 'foreign') {
      const target = constraint.references ? ctx.catalog.relations.get(constraint.references.relation) : undefined;
      const targetColumn = target ? tenant.get(target) : undefined;
      if (!target || targetColumn === undefined || !constraint.references) continue;
      const position = constraint.columns.indexOf(tenantColumn);
      if (position < 0 || constraint.references.columns[position] !== targetColumn) {
        out.add(
          'BH011',
          cObject,
          `Foreign key ${constraint.name} (${constraint.columns.join(', ')}) → ${constraint.references.relation} (${constraint.references.columns.join(', ')}) does not pair ${object}.${tenantColumn} with ${constraint.references.relation}.${targetColumn}: a row can reference another tenant’s row.`,
          constraint.source ?? relation.source,
        );
      }
    } else if (!constraint.columns.includes(tenantColumn)) {
      out.add(
        'BH012',
        cObject,
        `${constraint.kind === 'primary' ? 'Primary key' : 'Unique constraint'} ${constraint.name} (${constraint.columns.join(', ')}) on ${object} does not include ${tenantColumn}.`,
        constraint.source ?? relation.source,
      );
    }
  }
  for (const index of relation.indexes) {
    if (!index.unique || index.constraintBacked || index.columns.includes(tenantColumn)) continue;
    out.add(
      'BH012',
      `${object}.${index.name}`,
      `Unique index ${index.name} (${index.columns.map((c) => c ?? '(expression)').join(', ')}) on ${object} does not include ${tenantColumn}.`,
      index.source ?? relation.source,
    );
  }

  // BH013: sequential keys.
  for (const column of relation.columns) {
    if (column.sequential) {
      out.add('BH013', `${object}.${column.name}`, `${object}.${column.name} is a serial or identity column.`, relation.source);
    }
  }

  // BH018: anon / PUBLIC privileges (MAINTAIN is left out: PostgreSQL 17 adds it to ALL, 15 has none).
  const granted = new Set<string>();
  for (const [grantee, privileges] of relation.acl) {
    if (grantee !== 'anon' && grantee !== 'PUBLIC') continue;
    for (const p of privileges) if (p !== 'MAINTAIN') granted.add(`${p} to ${grantee}`);
  }
  for (const column of relation.columns) {
    for (const [grantee, privileges] of column.acl) {
      if (grantee !== 'anon' && grantee !== 'PUBLIC') continue;
      for (const p of privileges) granted.add(`${p} (${column.name}) to ${grantee}`);
    }
  }
  if (granted.size > 0) {
    out.add('BH018', object, `${object} grants ${[...granted].sort().join(', ')}.`, relation.source);
  }
}

function functionObject(f: DbFunction): string {
  return `${f.schema}.${f.name}`;
}

function executors(f: DbFunction): string[] {
  return [...f.acl].filter(([, privileges]) => privileges.has('EXECUTE')).map(([grantee]) => grantee);
}

function checkFunction(ctx: Context, f: DbFunction): void {
  const { out, config } = ctx;
  const object = functionObject(f);
  const signature = `${object}(${f.argTypes.join(', ')})`;
  const isHook = config.claimsHook === object;
  if (f.securityDefiner && f.searchPath === null) {
    out.add('BH014', object, `${signature} is SECURITY DEFINER without set search_path.`, f.source);
  }
  const callers = executors(f).filter((r) => r !== f.owner);
  if (f.securityDefiner && !isHook) {
    const helper = config.tenantHelpers.includes(object) || config.policyHelpers.includes(object);
    // Tenant helpers are called by every policy as the caller: authenticated must execute them.
    const api = callers.filter((r) => r === 'anon' || r === 'PUBLIC' || (r === 'authenticated' && !helper));
    if (api.length > 0) {
      out.add('BH015', object, `${signature} is SECURITY DEFINER and executable by ${api.join(', ')}.`, f.source);
    }
  }
  if (isHook) {
    const others = callers.filter((r) => r !== config.hookRole);
    if (others.length > 0) {
      out.add('BH019', object, `The claims hook ${signature} is executable by ${others.join(', ')}.`, f.source);
    }
  }
}

function checkExposed(ctx: Context, relation: Relation): void {
  const object = tableObject(relation);
  if (relation.kind === 'view' && !relation.securityInvoker) {
    ctx.out.add(
      'BH016',
      object,
      `View ${object} runs with its owner’s (${relation.owner}) rights: security_invoker is not set.`,
      relation.source,
    );
  }
  if (relation.kind === 'materialized view' || relation.kind === 'foreign table') {
    ctx.out.add(
      'BH017',
      object,
      `${relation.kind === 'foreign table' ? 'Foreign table' : 'Materialized view'} ${object} is in an exposed schema and cannot have RLS.`,
      relation.source,
    );
  }
}

/** Does an object named in the config exist (relation, member of a relation, or function)? */
function objectExists(catalog: Catalog, object: string): boolean {
  if (catalog.relations.has(object)) return true;
  if (catalog.functions.some((f) => functionObject(f) === object)) return true;
  const dot = object.lastIndexOf('.');
  const relation = catalog.relations.get(object.slice(0, dot));
  if (!relation) return false;
  const member = object.slice(dot + 1);
  return (
    relation.policies.some((p) => p.name === member) ||
    relation.constraints.some((k) => k.name === member) ||
    relation.indexes.some((i) => i.name === member) ||
    relation.columns.some((c) => c.name === member)
  );
}

export function sortFindings<T extends Finding>(findings: T[]): T[] {
  return findings.sort(
    (a, b) =>
      severityRank[b.severity] - severityRank[a.severity] ||
      a.id.localeCompare(b.id) ||
      a.object.localeCompare(b.object) ||
      a.message.localeCompare(b.message),
  );
}

export function runChecks(catalog: Catalog, config: AuditConfig): AuditResult {
  const out = new Collector();
  const ignored = new Set(config.ignoredSchemas);
  const ctx: Context = {
    catalog,
    config,
    out,
    bypasses: (role) => {
      const r = catalog.roles.get(role);
      return !!r && (r.superuser || r.bypassrls);
    },
    crossTenant: new Map(),
  };

  for (const note of catalog.notes) {
    out.add(note.kind === 'parse-error' ? 'BH000' : 'BH022', note.object, note.message, note.source);
  }

  const tenant = tenantTables(catalog, config, ignored);
  const exposed = new Set(config.exposedSchemas);
  for (const relation of catalog.relations.values()) {
    if (ignored.has(relation.schema)) continue;
    const tenantColumn = tenant.get(relation);
    if (tenantColumn !== undefined) {
      checkTenantTable(ctx, relation);
      checkTenantSchema(ctx, relation, tenantColumn, tenant);
    }
    if (relation.policies.length > 0) checkPolicies(ctx, relation);
    if (exposed.has(relation.schema)) checkExposed(ctx, relation);
  }
  for (const f of catalog.functions) if (!ignored.has(f.schema)) checkFunction(ctx, f);

  // Config entries: tenant tables that do not exist, allow-list entries for missing objects.
  for (const spec of tenantTableSpecs(config)) {
    if (!catalog.relations.has(spec.table)) {
      out.add('BH020', spec.table, `tenantTables lists ${spec.table}, which does not exist.`);
    }
  }

  for (const { role } of config.crossTenantRoles) {
    if (!catalog.roles.has(role)) out.add('BH020', role, `crossTenantRoles lists ${role}, which does not exist.`);
  }

  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  const used = new Set<number>();
  for (const finding of out.findings) {
    const crossTenant = finding.id === 'BH005' ? ctx.crossTenant.get(finding.object) : undefined;
    if (crossTenant) {
      suppressed.push({ ...finding, justification: crossTenant });
      continue;
    }
    const index = config.allow.findIndex(
      (entry) => resolveCheck(entry.check)?.id === finding.id && entry.object === finding.object,
    );
    const entry = config.allow[index];
    if (entry) {
      used.add(index);
      suppressed.push({ ...finding, justification: entry.justification });
    } else {
      findings.push(finding);
    }
  }
  const extra = new Collector();
  config.allow.forEach((entry, index) => {
    if (used.has(index)) return;
    const check = resolveCheck(entry.check);
    if (!objectExists(catalog, entry.object)) {
      extra.add(
        'BH020',
        entry.object,
        `The allow-list entry for ${check?.id ?? entry.check} names ${entry.object}, which does not exist.`,
      );
    } else {
      extra.add(
        'BH021',
        entry.object,
        `The allow-list entry for ${check?.id ?? entry.check} on ${entry.object} matches no finding.`,
      );
    }
  });
  findings.push(...extra.findings);

  return {
    mode: catalog.mode,
    target: catalog.target,
    findings: sortFindings(findings),
    suppressed: sortFindings(suppressed),
    tenantTables: [...tenant.keys()].map(tableObject).sort(),
  };
}

export function exitCode(result: AuditResult, failOn: Severity): 0 | 1 {
  return result.findings.some((f) => severityRank[f.severity] >= severityRank[failOn]) ? 1 : 0;
}
