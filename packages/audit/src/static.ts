import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type {
  AccessPriv,
  AlterDefaultPrivilegesStmt,
  AlterFunctionStmt,
  AlterObjectSchemaStmt,
  AlterOwnerStmt,
  AlterPolicyStmt,
  AlterRoleStmt,
  AlterTableCmd,
  AlterTableStmt,
  ColumnDef,
  Constraint,
  CreateFunctionStmt,
  CreatePolicyStmt,
  CreateRoleStmt,
  CreateSchemaStmt,
  CreateStmt,
  CreateTableAsStmt,
  DefElem,
  DoStmt,
  DropRoleStmt,
  DropStmt,
  FunctionParameter,
  GrantStmt,
  IndexElem,
  IndexStmt,
  Node,
  ObjectWithArgs,
  RangeVar,
  RawStmt,
  RenameStmt,
  RoleSpec,
  TableLikeClause,
  TypeName,
  VariableSetStmt,
  ViewStmt,
} from 'libpg-query';
import {
  type Acl,
  addPrivileges,
  type Catalog,
  type Column,
  cloneAcl,
  type DbFunction,
  functionPrivileges,
  type Note,
  type Policy,
  type PolicyCommand,
  qualified,
  type Relation,
  type RelationKind,
  type Role,
  relationKey,
  removePrivileges,
  type SourceLocation,
  tablePrivileges,
} from './model';
import {
  type ExpressionContext,
  ensureParser,
  formatTypeName,
  isSerialType,
  nameList,
  nodeFields,
  nodeType,
  parsePlpgsql,
  parseSql,
  policyExpression,
  stringValue,
} from './sql';

/**
 * Static mode: replays supabase/migrations/*.sql, parsed by PostgreSQL's own grammar, on a model
 * of a fresh Supabase database, and returns the end state the migrations describe. What it cannot
 * model it reports as a note (BH022) instead of guessing.
 */

export interface StaticOptions {
  /** The login the migrations run as (Supabase: postgres). */
  migrationRole?: string;
  /** Base for the file paths in source locations (SARIF wants paths relative to the repository). */
  relativeTo?: string;
}

export interface MigrationSource {
  /** Path as reported in findings. */
  file: string;
  sql: string;
}

/** Supabase's roles as a hosted project and the local stack have them. */
const supabaseRoles: Role[] = [
  { name: 'supabase_admin', superuser: true, bypassrls: true },
  { name: 'postgres', superuser: false, bypassrls: true },
  { name: 'service_role', superuser: false, bypassrls: true },
  { name: 'supabase_read_only_user', superuser: false, bypassrls: true },
  { name: 'anon', superuser: false, bypassrls: false },
  { name: 'authenticated', superuser: false, bypassrls: false },
  { name: 'authenticator', superuser: false, bypassrls: false },
  { name: 'supabase_auth_admin', superuser: false, bypassrls: false },
  { name: 'supabase_storage_admin', superuser: false, bypassrls: false },
  { name: 'supabase_realtime_admin', superuser: false, bypassrls: false },
  { name: 'dashboard_user', superuser: false, bypassrls: false },
  { name: 'pgbouncer', superuser: false, bypassrls: false },
];

/** Statements that cannot change anything the checks read. */
const irrelevantStatements = new Set([
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
  'CommentStmt',
  'CreateExtensionStmt',
  'AlterExtensionStmt',
  'AlterExtensionContentsStmt',
  'CreateTrigStmt',
  'CreateEventTrigStmt',
  'AlterEventTrigStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'CompositeTypeStmt',
  'CreateEnumStmt',
  'AlterEnumStmt',
  'CreateRangeStmt',
  'CreateDomainStmt',
  'AlterDomainStmt',
  'DefineStmt',
  'AlterTypeStmt',
  'TruncateStmt',
  'NotifyStmt',
  'ListenStmt',
  'UnlistenStmt',
  'LockStmt',
  'GrantRoleStmt',
  'AlterRoleSetStmt',
  'AlterDatabaseSetStmt',
  'CreatePublicationStmt',
  'AlterPublicationStmt',
  'CreateStatsStmt',
  'AlterStatsStmt',
  'ClusterStmt',
  'VacuumStmt',
  'ReindexStmt',
  'CheckPointStmt',
  'DiscardStmt',
  'CreateCastStmt',
  'CreateConversionStmt',
  'CreateOpClassStmt',
  'CreateOpFamilyStmt',
  'AlterOpFamilyStmt',
  'AlterOperatorStmt',
  'CreateTransformStmt',
  'SecLabelStmt',
  'VariableShowStmt',
  'ExplainStmt',
  'CopyStmt',
  'RefreshMatViewStmt',
  'ConstraintsSetStmt',
  'CreateFdwStmt',
  'AlterFdwStmt',
  'CreateForeignServerStmt',
  'AlterForeignServerStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
  'DropUserMappingStmt',
  'AlterTSDictionaryStmt',
  'AlterTSConfigurationStmt',
  'CreatePLangStmt',
  'CallStmt',
  'PrepareStmt',
  'ExecuteStmt',
  'DeallocateStmt',
  'DeclareCursorStmt',
  'FetchStmt',
  'ClosePortalStmt',
  'AlterCollationStmt',
  'ReplicaIdentityStmt',
  'AlterObjectDependsStmt',
  'CreateSubscriptionStmt',
  'AlterSubscriptionStmt',
  'DropSubscriptionStmt',
]);

/** ALTER TABLE sub-commands that cannot change anything the checks read. */
const irrelevantAlterTable = new Set([
  'AT_AlterColumnType',
  'AT_SetNotNull',
  'AT_DropNotNull',
  'AT_SetStatistics',
  'AT_SetStorage',
  'AT_SetCompression',
  'AT_SetOptions',
  'AT_ResetOptions',
  'AT_ValidateConstraint',
  'AT_AlterConstraint',
  'AT_ReplicaIdentity',
  'AT_EnableTrig',
  'AT_EnableAlwaysTrig',
  'AT_EnableReplicaTrig',
  'AT_DisableTrig',
  'AT_EnableTrigAll',
  'AT_DisableTrigAll',
  'AT_EnableTrigUser',
  'AT_DisableTrigUser',
  'AT_ClusterOn',
  'AT_DropCluster',
  'AT_SetLogged',
  'AT_SetUnLogged',
  'AT_SetAccessMethod',
  'AT_SetTableSpace',
  'AT_AttachPartition',
  'AT_DetachPartition',
  'AT_DetachPartitionFinalize',
  'AT_SetIdentity',
  'AT_SetExpression',
  'AT_DropExpression',
  'AT_CookedColumnDefault',
  'AT_SetAttNotNull',
  'AT_DropOids',
  'AT_GenericOptions',
  'AT_AlterColumnGenericOptions',
]);

/** PL/pgSQL statements a DO block may contain, as a person would name them. */
const plpgsqlStatementNames: Record<string, string> = {
  PLpgSQL_stmt_dynexecute: 'EXECUTE of dynamic SQL',
  PLpgSQL_stmt_perform: 'PERFORM',
  PLpgSQL_stmt_call: 'CALL',
  PLpgSQL_stmt_loop: 'a loop',
  PLpgSQL_stmt_while: 'a loop',
  PLpgSQL_stmt_fori: 'a loop',
  PLpgSQL_stmt_fors: 'a loop',
  PLpgSQL_stmt_forc: 'a loop',
  PLpgSQL_stmt_foreach_a: 'a loop',
  PLpgSQL_stmt_dynfors: 'a loop over dynamic SQL',
  PLpgSQL_stmt_case: 'CASE',
};

const NAMEDATALEN = 64;

/** PostgreSQL's makeObjectName(): name1_name2_label, shortened to fit in 63 bytes. */
function makeObjectName(name1: string, name2: string | null, label: string): string {
  let n1 = Buffer.byteLength(name1);
  let n2 = name2 ? Buffer.byteLength(name2) : 0;
  let overhead = label ? label.length + 1 : 0;
  if (name2) overhead += 1;
  const available = NAMEDATALEN - 1 - overhead;
  while (n1 + n2 > available) {
    if (n1 > n2) n1--;
    else n2--;
  }
  const cut = (s: string, bytes: number) => Buffer.from(s).subarray(0, bytes).toString();
  let name = cut(name1, n1);
  if (name2) name += `_${cut(name2, n2)}`;
  if (label) name += `_${label}`;
  return name;
}

/** PostgreSQL's choice of a free name: name1_name2_label, then …_label1, …_label2. */
function chooseName(name1: string, name2: string | null, label: string, taken: (name: string) => boolean): string {
  for (let pass = 0; ; pass++) {
    const name = makeObjectName(name1, name2, pass === 0 ? label : `${label}${pass}`);
    if (!taken(name)) return name;
  }
}

/** ChooseIndexNameAddition / ChooseForeignKeyConstraintNameAddition: columns joined by '_'. */
function nameAddition(columns: string[]): string {
  let out = '';
  for (const column of columns) {
    if (out) out += '_';
    out += column;
    if (Buffer.byteLength(out) >= NAMEDATALEN) break;
  }
  return Buffer.from(out)
    .subarray(0, NAMEDATALEN - 1)
    .toString();
}

/** FigureIndexColname(): the name an index column contributes to a generated index name. */
function indexColumnName(elem: IndexElem): string {
  if (elem.indexcolname) return elem.indexcolname;
  if (elem.name) return elem.name;
  let expr: unknown = elem.expr;
  while (nodeType(expr) === 'TypeCast') expr = nodeFields(expr).arg;
  if (nodeType(expr) === 'FuncCall') return nameList(nodeFields(expr).funcname as Node[]).pop() ?? 'expr';
  if (nodeType(expr) === 'ColumnRef') return nameList(nodeFields(expr).fields as Node[]).pop() ?? 'expr';
  return 'expr';
}

function lineStarts(sql: string): number[] {
  const bytes = Buffer.from(sql);
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) starts.push(i + 1);
  return starts;
}

/** The first byte of a statement that is not whitespace or a comment. */
function skipLeadingTrivia(bytes: Buffer, from: number): number {
  let i = from;
  while (i < bytes.length) {
    const c = bytes[i];
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
    } else if (c === 45 && bytes[i + 1] === 45) {
      while (i < bytes.length && bytes[i] !== 10) i++;
    } else if (c === 47 && bytes[i + 1] === 42) {
      const end = bytes.indexOf('*/', i + 2);
      i = end < 0 ? bytes.length : end + 2;
    } else {
      break;
    }
  }
  return i;
}

function lineOf(starts: number[], byteOffset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= byteOffset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function roleSpecName(spec: RoleSpec | undefined, current: string, session: string): string {
  switch (spec?.roletype) {
    case 'ROLESPEC_PUBLIC':
      return 'PUBLIC';
    case 'ROLESPEC_CURRENT_USER':
    case 'ROLESPEC_CURRENT_ROLE':
      return current;
    case 'ROLESPEC_SESSION_USER':
      return session;
    default:
      return spec?.rolename ?? '?';
  }
}

function defElems(nodes: Node[] | undefined): DefElem[] {
  return (nodes ?? []).filter((node) => nodeType(node) === 'DefElem').map((node) => nodeFields(node) as DefElem);
}

function booleanOption(elem: DefElem): boolean {
  if (elem.arg === undefined) return true;
  const value = (stringValue(elem.arg) ?? 'true').toLowerCase();
  return ['true', 'on', '1', 'yes', 't'].includes(value);
}

function hasNextval(node: unknown): boolean {
  return JSON.stringify(node ?? null).includes('"sval":"nextval"');
}

const fullTableAcl = () => new Set<string>(tablePrivileges);

export class StaticReplay {
  readonly roles = new Map<string, Role>();
  readonly schemas = new Map<string, { owner: string }>();
  readonly relations = new Map<string, Relation>();
  readonly functions = new Map<string, DbFunction>();
  readonly notes: Note[] = [];
  /** `role|schema|kind` (schema '' = global) → ACL template. */
  private readonly defaultAcls = new Map<string, Acl>();
  private readonly sessionRole: string;
  private setRole: string | null = null;
  private localRole: string | null = null;
  private sessionPath: string[] = ['$user', 'public'];
  private localPath: string[] | null = null;
  private here: SourceLocation | undefined;
  private schemaOverride: string | null = null;

  constructor(migrationRole = 'postgres') {
    this.sessionRole = migrationRole;
    for (const role of supabaseRoles) this.roles.set(role.name, { ...role });
    if (!this.roles.has(migrationRole))
      this.roles.set(migrationRole, { name: migrationRole, superuser: false, bypassrls: false });
    for (const schema of ['public', 'extensions']) this.schemas.set(schema, { owner: 'postgres' });
    this.schemas.set('auth', { owner: 'supabase_auth_admin' });
    this.schemas.set('pg_catalog', { owner: 'supabase_admin' });
    // The migration runner (the Supabase CLI, or the local stack) creates its history table
    // before the first migration runs, as the migration role.
    this.schemas.set('supabase_migrations', { owner: migrationRole });
    this.relations.set('supabase_migrations.schema_migrations', {
      ...this.newRelation('supabase_migrations', 'schema_migrations', 'table'),
      owner: migrationRole,
      columns: [],
    });
    // Supabase's defaults: ALL on new tables, functions and sequences in public to the API roles.
    for (const creator of ['postgres', 'supabase_admin']) {
      const tables = new Map([...['anon', 'authenticated', 'service_role'].map((r) => [r, fullTableAcl()] as const)]);
      this.defaultAcls.set(`${creator}|public|r`, tables);
      const functions = new Map([...['anon', 'authenticated', 'service_role'].map((r) => [r, new Set(['EXECUTE'])] as const)]);
      this.defaultAcls.set(`${creator}|public|f`, functions);
    }
    for (const name of ['uid', 'role', 'email', 'jwt']) {
      this.functions.set(`auth.${name}()`, {
        schema: 'auth',
        name,
        argTypes: [],
        kind: 'function',
        owner: 'supabase_auth_admin',
        securityDefiner: false,
        searchPath: null,
        acl: new Map([['supabase_auth_admin', new Set(['EXECUTE'])]]),
      });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Session state.

  private get currentRole(): string {
    return this.localRole ?? this.setRole ?? this.sessionRole;
  }

  private get searchPath(): string[] {
    if (this.schemaOverride) return [this.schemaOverride];
    return (this.localPath ?? this.sessionPath).map((s) => (s === '$user' ? this.currentRole : s));
  }

  private endTransaction(): void {
    this.localRole = null;
    this.localPath = null;
  }

  private note(message: string, object: string): void {
    this.notes.push({ kind: 'unmodelled', message, object, source: this.here });
  }

  private creationSchema(explicit: string | undefined): string {
    if (explicit) return explicit;
    for (const schema of this.searchPath) if (schema !== 'pg_catalog' && this.schemas.has(schema)) return schema;
    return 'public';
  }

  private ensureRole(name: string): void {
    if (name === 'PUBLIC' || this.roles.has(name)) return;
    this.note(
      `role ${name} is not created by these migrations: static mode assumes it has neither SUPERUSER nor BYPASSRLS`,
      name,
    );
    this.roles.set(name, { name, superuser: false, bypassrls: false });
  }

  // ------------------------------------------------------------------------------------------
  // Lookups.

  private findRelation(rv: RangeVar | undefined): Relation | undefined {
    if (!rv?.relname) return undefined;
    if (rv.schemaname) return this.relations.get(qualified(rv.schemaname, rv.relname));
    for (const schema of this.searchPath) {
      const relation = this.relations.get(qualified(schema, rv.relname));
      if (relation) return relation;
    }
    return undefined;
  }

  private relationFromNames(names: string[]): Relation | undefined {
    const relname = names[names.length - 1];
    const schemaname = names.length > 1 ? names[names.length - 2] : undefined;
    return this.findRelation({ relname, schemaname });
  }

  private requireRelation(rv: RangeVar | undefined, what: string): Relation | undefined {
    const relation = this.findRelation(rv);
    if (!relation) {
      const name = rv?.schemaname ? `${rv.schemaname}.${rv.relname}` : (rv?.relname ?? '?');
      this.note(`${what}: relation ${name} is not created by these migrations`, name);
    }
    return relation;
  }

  /** The schema an unqualified user-defined type name resolves to (approximation: the first existing schema in the path). */
  private typeSchema = (_name: string): string | undefined => {
    for (const schema of this.searchPath) if (schema !== 'pg_catalog' && this.schemas.has(schema)) return schema;
    return undefined;
  };

  private argTypes(types: TypeName[]): string[] {
    return types.map((t) => formatTypeName(t, this.typeSchema));
  }

  private findFunctions(owa: ObjectWithArgs | undefined, kinds: ('function' | 'procedure')[]): DbFunction[] {
    const names = nameList(owa?.objname);
    const name = names[names.length - 1] ?? '?';
    const schemas = names.length > 1 ? [names[names.length - 2] as string] : this.searchPath;
    for (const schema of schemas) {
      const candidates = [...this.functions.values()].filter(
        (f) => f.schema === schema && f.name === name && kinds.includes(f.kind),
      );
      if (candidates.length === 0) continue;
      if (owa?.args_unspecified) return candidates;
      const wanted = this.argTypes(
        (owa?.objargs ?? []).filter((n) => nodeType(n) === 'TypeName').map((n) => nodeFields(n) as TypeName),
      ).join(', ');
      const match = candidates.filter((f) => f.argTypes.join(', ') === wanted);
      if (match.length > 0) return match;
    }
    return [];
  }

  private requireFunctions(owa: ObjectWithArgs | undefined, kinds: ('function' | 'procedure')[], what: string): DbFunction[] {
    const found = this.findFunctions(owa, kinds);
    if (found.length === 0) {
      const names = nameList(owa?.objname).join('.');
      this.note(`${what}: function ${names} is not created by these migrations (or its argument types do not match)`, names);
    }
    return found;
  }

  private expressionContext(relation: Relation): ExpressionContext {
    return {
      table: relation.name,
      resolveFunction: (name) => {
        for (const schema of this.searchPath) {
          if (schema === 'pg_catalog') continue;
          for (const f of this.functions.values()) if (f.schema === schema && f.name === name) return schema;
        }
        return undefined;
      },
      resolveRelation: (name) => {
        for (const schema of this.searchPath) if (this.relations.has(qualified(schema, name))) return schema;
        return undefined;
      },
    };
  }

  /** Relation and index names in a schema: what CREATE must not collide with. */
  private namesInSchema(schema: string): Set<string> {
    const names = new Set<string>();
    for (const relation of this.relations.values()) {
      if (relation.schema !== schema) continue;
      names.add(relation.name);
      for (const index of relation.indexes) names.add(index.name);
    }
    return names;
  }

  private constraintNamesInSchema(schema: string): Set<string> {
    const names = new Set<string>();
    for (const relation of this.relations.values()) {
      if (relation.schema !== schema) continue;
      for (const constraint of relation.constraints) names.add(constraint.name);
    }
    return names;
  }

  // ------------------------------------------------------------------------------------------
  // ACLs.

  private initialAcl(owner: string, schema: string, kind: 'r' | 'f'): Acl {
    const global = this.defaultAcls.get(`${owner}||${kind}`);
    const acl = global ? cloneAcl(global) : this.builtinAcl(owner, kind);
    const inSchema = this.defaultAcls.get(`${owner}|${schema}|${kind}`);
    if (inSchema) for (const [grantee, privileges] of inSchema) addPrivileges(acl, grantee, privileges);
    return acl;
  }

  private builtinAcl(owner: string, kind: 'r' | 'f'): Acl {
    if (kind === 'r') return new Map([[owner, fullTableAcl()]]);
    return new Map([
      [owner, new Set(functionPrivileges)],
      ['PUBLIC', new Set(functionPrivileges)],
    ]);
  }

  private static transferOwnership(acl: Acl, from: string, to: string): void {
    const old = acl.get(from);
    if (!old || from === to) return;
    acl.delete(from);
    addPrivileges(acl, to, old);
  }

  // ------------------------------------------------------------------------------------------
  // Replay.

  replayFile(source: MigrationSource): void {
    let parsed: RawStmt[];
    try {
      parsed = parseSql(source.sql).stmts ?? [];
    } catch (error) {
      const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
      const position = details?.cursorPosition;
      const line = position !== undefined ? source.sql.slice(0, position).split('\n').length : 1;
      this.notes.push({
        kind: 'parse-error',
        message: `${source.file} does not parse: ${(error as Error).message}`,
        object: source.file,
        source: { file: source.file, line },
      });
      return;
    }
    const bytes = Buffer.from(source.sql);
    const starts = lineStarts(source.sql);
    for (const raw of parsed) {
      const start = skipLeadingTrivia(bytes, raw.stmt_location ?? 0);
      this.here = { file: source.file, line: lineOf(starts, start) };
      const end = raw.stmt_len ? (raw.stmt_location ?? 0) + raw.stmt_len : bytes.length;
      const text = bytes.subarray(raw.stmt_location ?? 0, end).toString();
      if (raw.stmt) this.statement(raw.stmt, text);
    }
    // Each migration file runs in its own transaction: SET LOCAL ends with it.
    this.endTransaction();
    this.here = undefined;
  }

  private statement(node: Node, text: string): void {
    const type = nodeType(node) ?? '?';
    const f = nodeFields(node);
    switch (type) {
      case 'CreateStmt':
        this.createTable(f as CreateStmt, 'table');
        break;
      case 'CreateForeignTableStmt':
        this.createTable((f.base ?? {}) as CreateStmt, 'foreign table');
        break;
      case 'CreateTableAsStmt':
        this.createTableAs(f as CreateTableAsStmt);
        break;
      case 'ViewStmt':
        this.createView(f as ViewStmt);
        break;
      case 'AlterTableStmt':
        this.alterTable(f as AlterTableStmt);
        break;
      case 'IndexStmt':
        this.createIndex(f as IndexStmt);
        break;
      case 'CreatePolicyStmt':
        this.createPolicy(f as CreatePolicyStmt);
        break;
      case 'AlterPolicyStmt':
        this.alterPolicy(f as AlterPolicyStmt);
        break;
      case 'GrantStmt':
        this.grant(f as GrantStmt);
        break;
      case 'AlterDefaultPrivilegesStmt':
        this.alterDefaultPrivileges(f as AlterDefaultPrivilegesStmt);
        break;
      case 'CreateFunctionStmt':
        this.createFunction(f as CreateFunctionStmt);
        break;
      case 'AlterFunctionStmt':
        this.alterFunction(f as AlterFunctionStmt);
        break;
      case 'CreateRoleStmt':
        this.createRole(f as CreateRoleStmt);
        break;
      case 'AlterRoleStmt':
        this.alterRole(f as AlterRoleStmt);
        break;
      case 'DropRoleStmt':
        for (const spec of (f as DropRoleStmt).roles ?? []) this.roles.delete(nodeFields(spec).rolename as string);
        break;
      case 'CreateSchemaStmt':
        this.createSchema(f as CreateSchemaStmt, text);
        break;
      case 'DropStmt':
        this.drop(f as DropStmt);
        break;
      case 'RenameStmt':
        this.rename(f as RenameStmt);
        break;
      case 'AlterObjectSchemaStmt':
        this.setSchema(f as AlterObjectSchemaStmt);
        break;
      case 'AlterOwnerStmt':
        this.alterOwner(f as AlterOwnerStmt);
        break;
      case 'VariableSetStmt':
        this.set(f as VariableSetStmt);
        break;
      case 'TransactionStmt': {
        const kind = f.kind as string | undefined;
        if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE')
          this.endTransaction();
        if (kind === 'TRANS_STMT_ROLLBACK')
          this.note('ROLLBACK: static mode keeps the effects of the rolled-back statements', 'transaction');
        return;
      }
      case 'DoStmt':
        this.doBlock(f as DoStmt, text);
        break;
      default:
        if (!irrelevantStatements.has(type)) this.note(`${type.replace(/Stmt$/, '')} statements are not modelled`, type);
    }
  }

  // Tables -----------------------------------------------------------------------------------

  private newRelation(schema: string, name: string, kind: RelationKind): Relation {
    const owner = this.currentRole;
    return {
      schema,
      name,
      kind,
      owner,
      rlsEnabled: false,
      rlsForced: false,
      securityInvoker: false,
      columns: [],
      constraints: [],
      indexes: [],
      policies: [],
      acl: this.initialAcl(owner, schema, 'r'),
      source: this.here,
    };
  }

  private createTable(stmt: CreateStmt, kind: RelationKind): void {
    const schema = this.creationSchema(stmt.relation?.schemaname);
    const name = stmt.relation?.relname ?? '?';
    const key = qualified(schema, name);
    if (this.relations.has(key)) {
      if (!stmt.if_not_exists) this.note(`table ${key} is created twice`, key);
      return;
    }
    const relation = this.newRelation(schema, name, stmt.partspec ? 'partitioned table' : kind);
    this.relations.set(key, relation);
    for (const parentNode of stmt.inhRelations ?? []) {
      const parent = this.findRelation(nodeFields(parentNode) as RangeVar);
      if (!parent) {
        this.note(`parent table of ${key} is not created by these migrations`, key);
        continue;
      }
      for (const column of parent.columns) {
        if (!relation.columns.some((c) => c.name === column.name)) {
          relation.columns.push({ name: column.name, sequential: column.sequential, acl: new Map() });
        }
      }
      this.note(
        `${stmt.partbound ? 'partition' : 'inheritance child'} ${key}: constraints and indexes cloned from ${relationKey(parent)} are not modelled`,
        key,
      );
    }
    const deferred: Constraint[] = [];
    for (const element of stmt.tableElts ?? []) {
      const type = nodeType(element);
      if (type === 'ColumnDef') this.addColumn(relation, nodeFields(element) as ColumnDef, deferred);
      else if (type === 'Constraint') deferred.push(nodeFields(element) as Constraint);
      else if (type === 'TableLikeClause') this.likeClause(relation, nodeFields(element) as TableLikeClause);
    }
    for (const constraint of [...deferred, ...((stmt.constraints ?? []).map((n) => nodeFields(n)) as Constraint[])]) {
      this.addConstraint(relation, constraint);
    }
  }

  private likeClause(relation: Relation, like: TableLikeClause): void {
    const source = this.findRelation(like.relation);
    if (!source) {
      this.note(`LIKE ${like.relation?.relname}: the source table is not created by these migrations`, relationKey(relation));
      return;
    }
    const includeIdentity = ((like.options ?? 0) & (1 << 4)) !== 0;
    for (const column of source.columns) {
      relation.columns.push({ name: column.name, sequential: includeIdentity && column.sequential, acl: new Map() });
    }
    if (((like.options ?? 0) & ((1 << 5) | (1 << 7))) !== 0) {
      this.note(
        `LIKE ${relationKey(source)} INCLUDING INDEXES/CONSTRAINTS: the copied indexes are not modelled`,
        relationKey(relation),
      );
    }
  }

  private addColumn(relation: Relation, def: ColumnDef, deferred: Constraint[]): void {
    const name = def.colname ?? '?';
    if (relation.columns.some((c) => c.name === name)) return;
    const column: Column = { name, sequential: isSerialType(def.typeName), acl: new Map() };
    relation.columns.push(column);
    for (const node of def.constraints ?? []) {
      const constraint = nodeFields(node) as Constraint;
      switch (constraint.contype) {
        case 'CONSTR_IDENTITY':
          column.sequential = true;
          break;
        case 'CONSTR_DEFAULT':
          if (hasNextval(constraint.raw_expr)) column.sequential = true;
          break;
        case 'CONSTR_PRIMARY':
        case 'CONSTR_UNIQUE':
          deferred.push({ ...constraint, keys: [{ String: { sval: name } }] });
          break;
        case 'CONSTR_FOREIGN':
          deferred.push({ ...constraint, fk_attrs: [{ String: { sval: name } }] });
          break;
        default:
          break;
      }
    }
  }

  private addConstraint(relation: Relation, c: Constraint): void {
    const schema = relation.schema;
    const taken = (n: string) => this.namesInSchema(schema).has(n) || this.constraintNamesInSchema(schema).has(n);
    switch (c.contype) {
      case 'CONSTR_PRIMARY':
      case 'CONSTR_UNIQUE': {
        const primary = c.contype === 'CONSTR_PRIMARY';
        if (c.indexname) {
          const index = relation.indexes.find((i) => i.name === c.indexname);
          if (!index) {
            this.note(`constraint USING INDEX ${c.indexname}: index not found`, relationKey(relation));
            return;
          }
          const name = c.conname ?? index.name;
          index.name = name;
          index.constraintBacked = true;
          relation.constraints.push({
            name,
            kind: primary ? 'primary' : 'unique',
            columns: index.columns.map((col) => col ?? '?'),
            source: this.here,
          });
          return;
        }
        const columns = nameList(c.keys);
        const name =
          c.conname ??
          (primary
            ? chooseName(relation.name, null, 'pkey', taken)
            : chooseName(relation.name, nameAddition(columns), 'key', taken));
        relation.constraints.push({ name, kind: primary ? 'primary' : 'unique', columns, source: this.here });
        relation.indexes.push({ name, columns, unique: true, constraintBacked: true, source: this.here });
        return;
      }
      case 'CONSTR_FOREIGN': {
        const columns = nameList(c.fk_attrs);
        const target = this.findRelation(c.pktable);
        let refColumns = nameList(c.pk_attrs);
        if (refColumns.length === 0 && target) {
          refColumns = target.constraints.find((k) => k.kind === 'primary')?.columns ?? [];
        }
        const targetKey = target
          ? relationKey(target)
          : qualified(c.pktable?.schemaname ?? this.creationSchema(undefined), c.pktable?.relname ?? '?');
        const name =
          c.conname ??
          chooseName(relation.name, nameAddition(columns), 'fkey', (n) => this.constraintNamesInSchema(schema).has(n));
        relation.constraints.push({
          name,
          kind: 'foreign',
          columns,
          references: { relation: targetKey, columns: refColumns },
          source: this.here,
        });
        return;
      }
      default:
        return;
    }
  }

  private createTableAs(stmt: CreateTableAsStmt): void {
    const rel = stmt.into?.rel;
    const schema = this.creationSchema(rel?.schemaname);
    const name = rel?.relname ?? '?';
    const key = qualified(schema, name);
    if (this.relations.has(key)) return;
    const kind: RelationKind = stmt.objtype === 'OBJECT_MATVIEW' ? 'materialized view' : 'table';
    this.relations.set(key, this.newRelation(schema, name, kind));
    if (kind === 'table') this.note(`CREATE TABLE ${key} AS: the columns of the new table are not modelled`, key);
  }

  private createView(stmt: ViewStmt): void {
    const schema = this.creationSchema(stmt.view?.schemaname);
    const name = stmt.view?.relname ?? '?';
    const key = qualified(schema, name);
    let invoker = false;
    for (const option of defElems(stmt.options)) if (option.defname === 'security_invoker') invoker = booleanOption(option);
    const existing = this.relations.get(key);
    if (existing && stmt.replace) {
      // CREATE OR REPLACE VIEW replaces all reloptions: without WITH (security_invoker) it is reset.
      existing.securityInvoker = invoker;
      existing.source = this.here;
      return;
    }
    const view = this.newRelation(schema, name, 'view');
    view.securityInvoker = invoker;
    this.relations.set(key, view);
  }

  private alterTable(stmt: AlterTableStmt): void {
    if (stmt.objtype === 'OBJECT_SEQUENCE' || stmt.objtype === 'OBJECT_INDEX' || stmt.objtype === 'OBJECT_TYPE') return;
    const relation = this.findRelation(stmt.relation);
    if (!relation) {
      if (!stmt.missing_ok) this.requireRelation(stmt.relation, 'ALTER');
      return;
    }
    const deferred: Constraint[] = [];
    for (const node of stmt.cmds ?? []) {
      const cmd = nodeFields(node) as AlterTableCmd;
      const subtype = cmd.subtype ?? '?';
      switch (subtype) {
        case 'AT_AddColumn':
          this.addColumn(relation, nodeFields(cmd.def) as ColumnDef, deferred);
          break;
        case 'AT_DropColumn':
          this.dropColumn(relation, cmd.name ?? '?');
          break;
        case 'AT_ColumnDefault': {
          const column = relation.columns.find((c) => c.name === cmd.name);
          if (column) column.sequential = cmd.def ? hasNextval(cmd.def) : false;
          break;
        }
        case 'AT_AddIdentity': {
          const column = relation.columns.find((c) => c.name === cmd.name);
          if (column) column.sequential = true;
          break;
        }
        case 'AT_DropIdentity': {
          const column = relation.columns.find((c) => c.name === cmd.name);
          if (column) column.sequential = false;
          break;
        }
        case 'AT_AddConstraint':
          deferred.push(nodeFields(cmd.def) as Constraint);
          break;
        case 'AT_DropConstraint':
          this.dropConstraint(relation, cmd.name ?? '?', cmd.missing_ok ?? false);
          break;
        case 'AT_EnableRowSecurity':
          relation.rlsEnabled = true;
          break;
        case 'AT_DisableRowSecurity':
          relation.rlsEnabled = false;
          break;
        case 'AT_ForceRowSecurity':
          relation.rlsForced = true;
          break;
        case 'AT_NoForceRowSecurity':
          relation.rlsForced = false;
          break;
        case 'AT_ChangeOwner': {
          const owner = roleSpecName(cmd.newowner, this.currentRole, this.sessionRole);
          this.ensureRole(owner);
          StaticReplay.transferOwnership(relation.acl, relation.owner, owner);
          relation.owner = owner;
          break;
        }
        case 'AT_SetRelOptions':
        case 'AT_ReplaceRelOptions':
          for (const option of defElems((nodeFields(cmd.def).items as Node[] | undefined) ?? [])) {
            if (option.defname === 'security_invoker') relation.securityInvoker = booleanOption(option);
          }
          break;
        case 'AT_ResetRelOptions':
          for (const option of defElems((nodeFields(cmd.def).items as Node[] | undefined) ?? [])) {
            if (option.defname === 'security_invoker') relation.securityInvoker = false;
          }
          break;
        default:
          if (!irrelevantAlterTable.has(subtype)) {
            this.note(`ALTER TABLE … ${subtype.replace(/^AT_/, '')} is not modelled`, relationKey(relation));
          }
      }
    }
    for (const constraint of deferred) this.addConstraint(relation, constraint);
  }

  private dropColumn(relation: Relation, name: string): void {
    relation.columns = relation.columns.filter((c) => c.name !== name);
    relation.indexes = relation.indexes.filter((i) => !i.columns.includes(name));
    relation.constraints = relation.constraints.filter((k) => !k.columns.includes(name));
    const key = relationKey(relation);
    for (const other of this.relations.values()) {
      other.constraints = other.constraints.filter(
        (k) => !(k.references?.relation === key && k.references.columns.includes(name)),
      );
    }
  }

  private dropConstraint(relation: Relation, name: string, missingOk: boolean): void {
    const constraint = relation.constraints.find((k) => k.name === name);
    if (!constraint) {
      if (!missingOk)
        this.note(`constraint ${name} on ${relationKey(relation)} is not known to static mode`, relationKey(relation));
      return;
    }
    relation.constraints = relation.constraints.filter((k) => k !== constraint);
    if (constraint.kind !== 'foreign') relation.indexes = relation.indexes.filter((i) => i.name !== name);
  }

  private createIndex(stmt: IndexStmt): void {
    const relation = this.requireRelation(stmt.relation, 'CREATE INDEX');
    if (!relation) return;
    const elems = (stmt.indexParams ?? []).map((node) => nodeFields(node) as IndexElem);
    const columns = elems.map((elem) => elem.name ?? null);
    const taken = (n: string) => this.namesInSchema(relation.schema).has(n);
    let name = stmt.idxname;
    if (name && taken(name)) {
      if (!stmt.if_not_exists) this.note(`index ${name} is created twice`, relationKey(relation));
      return;
    }
    name ??= chooseName(relation.name, nameAddition(elems.map(indexColumnName)), 'idx', taken);
    relation.indexes.push({ name, columns, unique: stmt.unique ?? false, constraintBacked: false, source: this.here });
  }

  // Policies ---------------------------------------------------------------------------------

  private policyRoles(nodes: Node[] | undefined): string[] {
    const roles = (nodes ?? []).map((n) => roleSpecName(nodeFields(n) as RoleSpec, this.currentRole, this.sessionRole));
    const out = roles.map((r) => (r === 'PUBLIC' ? 'public' : r));
    return out.length > 0 ? out : ['public'];
  }

  private createPolicy(stmt: CreatePolicyStmt): void {
    const relation = this.requireRelation(stmt.table, 'CREATE POLICY');
    if (!relation) return;
    const ctx = this.expressionContext(relation);
    const policy: Policy = {
      name: stmt.policy_name ?? '?',
      command: (stmt.cmd_name ?? 'all') as PolicyCommand,
      permissive: stmt.permissive ?? false,
      roles: this.policyRoles(stmt.roles),
      using: stmt.qual ? policyExpression(stmt.qual, ctx) : null,
      withCheck: stmt.with_check ? policyExpression(stmt.with_check, ctx) : null,
      source: this.here,
    };
    relation.policies = relation.policies.filter((p) => p.name !== policy.name);
    relation.policies.push(policy);
  }

  private alterPolicy(stmt: AlterPolicyStmt): void {
    const relation = this.requireRelation(stmt.table, 'ALTER POLICY');
    const policy = relation?.policies.find((p) => p.name === stmt.policy_name);
    if (!relation || !policy) {
      if (relation)
        this.note(
          `policy ${stmt.policy_name} on ${relationKey(relation)} is not created by these migrations`,
          relationKey(relation),
        );
      return;
    }
    const ctx = this.expressionContext(relation);
    if (stmt.roles?.length) policy.roles = this.policyRoles(stmt.roles);
    if (stmt.qual) policy.using = policyExpression(stmt.qual, ctx);
    if (stmt.with_check) policy.withCheck = policyExpression(stmt.with_check, ctx);
    policy.source = this.here;
  }

  // Privileges -------------------------------------------------------------------------------

  private privilegeList(nodes: Node[] | undefined, all: readonly string[]): { privileges: string[]; columns: string[] }[] {
    if (!nodes || nodes.length === 0) return [{ privileges: [...all], columns: [] }];
    return nodes.map((node) => {
      const priv = nodeFields(node) as AccessPriv;
      const columns = nameList(priv.cols);
      const name = priv.priv_name?.toUpperCase();
      return { privileges: name ? [name] : [...all], columns };
    });
  }

  private applyAcl(acl: Acl, grant: boolean, grantees: string[], privileges: string[]): void {
    for (const grantee of grantees) {
      if (grant) addPrivileges(acl, grantee, privileges);
      else removePrivileges(acl, grantee, privileges);
    }
  }

  private grant(stmt: GrantStmt): void {
    const grant = stmt.is_grant ?? false;
    if (!grant && stmt.grant_option) return; // REVOKE GRANT OPTION FOR keeps the privilege itself
    const grantees = (stmt.grantees ?? []).map((n) =>
      roleSpecName(nodeFields(n) as RoleSpec, this.currentRole, this.sessionRole),
    );
    const objtype = stmt.objtype ?? '?';
    const all = stmt.targtype === 'ACL_TARGET_ALL_IN_SCHEMA';
    if (objtype === 'OBJECT_TABLE') {
      const targets: Relation[] = [];
      if (all) {
        const schemas = nameList(stmt.objects);
        for (const relation of this.relations.values()) if (schemas.includes(relation.schema)) targets.push(relation);
      } else {
        for (const node of stmt.objects ?? []) {
          const relation = this.requireRelation(nodeFields(node) as RangeVar, grant ? 'GRANT' : 'REVOKE');
          if (relation) targets.push(relation);
        }
      }
      for (const relation of targets) {
        for (const { privileges, columns } of this.privilegeList(stmt.privileges, tablePrivileges)) {
          if (columns.length === 0) {
            this.applyAcl(relation.acl, grant, grantees, privileges);
            // REVOKE on the table also revokes the same privileges on every column.
            if (!grant) for (const column of relation.columns) this.applyAcl(column.acl, false, grantees, privileges);
          } else {
            for (const name of columns) {
              const column = relation.columns.find((c) => c.name === name);
              if (column) this.applyAcl(column.acl, grant, grantees, privileges);
            }
          }
        }
      }
      return;
    }
    if (objtype === 'OBJECT_FUNCTION' || objtype === 'OBJECT_PROCEDURE' || objtype === 'OBJECT_ROUTINE') {
      const kinds: ('function' | 'procedure')[] =
        objtype === 'OBJECT_FUNCTION' ? ['function'] : objtype === 'OBJECT_PROCEDURE' ? ['procedure'] : ['function', 'procedure'];
      const targets: DbFunction[] = [];
      if (all) {
        const schemas = nameList(stmt.objects);
        for (const f of this.functions.values()) if (schemas.includes(f.schema) && kinds.includes(f.kind)) targets.push(f);
      } else {
        for (const node of stmt.objects ?? []) {
          targets.push(...this.requireFunctions(nodeFields(node) as ObjectWithArgs, kinds, grant ? 'GRANT' : 'REVOKE'));
        }
      }
      for (const f of targets) this.applyAcl(f.acl, grant, grantees, ['EXECUTE']);
      return;
    }
    // Schemas, sequences, types, databases…: no check reads them.
  }

  private alterDefaultPrivileges(stmt: AlterDefaultPrivilegesStmt): void {
    let roles = [this.currentRole];
    let schemas = [''];
    for (const option of defElems(stmt.options)) {
      const items = (nodeFields(option.arg).items as Node[] | undefined) ?? [];
      if (option.defname === 'roles') {
        roles = items.map((n) => roleSpecName(nodeFields(n) as RoleSpec, this.currentRole, this.sessionRole));
      }
      if (option.defname === 'schemas') schemas = nameList(items);
    }
    const action = stmt.action ?? {};
    const kind = action.objtype === 'OBJECT_TABLE' ? 'r' : action.objtype === 'OBJECT_FUNCTION' ? 'f' : null;
    if (!kind) return; // sequences, types, schemas
    const grant = action.is_grant ?? false;
    if (!grant && action.grant_option) return;
    const grantees = (action.grantees ?? []).map((n) =>
      roleSpecName(nodeFields(n) as RoleSpec, this.currentRole, this.sessionRole),
    );
    const all = kind === 'r' ? tablePrivileges : functionPrivileges;
    const privileges = this.privilegeList(action.privileges, all).flatMap((p) => p.privileges);
    for (const role of roles) {
      for (const schema of schemas) {
        const key = `${role}|${schema}|${kind}`;
        let acl = this.defaultAcls.get(key);
        if (!acl) {
          acl = schema === '' ? this.builtinAcl(role, kind) : new Map();
          this.defaultAcls.set(key, acl);
        }
        this.applyAcl(acl, grant, grantees, privileges);
      }
    }
  }

  // Functions --------------------------------------------------------------------------------

  private createFunction(stmt: CreateFunctionStmt): void {
    const names = nameList(stmt.funcname);
    const name = names[names.length - 1] ?? '?';
    const schema = this.creationSchema(names.length > 1 ? names[names.length - 2] : undefined);
    const params = (stmt.parameters ?? []).map((n) => nodeFields(n) as FunctionParameter);
    const inputs = params.filter((p) => p.mode !== 'FUNC_PARAM_OUT' && p.mode !== 'FUNC_PARAM_TABLE');
    const argTypes = this.argTypes(inputs.map((p) => p.argType ?? {}));
    let securityDefiner = false;
    let searchPath: string | null = null;
    for (const option of defElems(stmt.options)) {
      if (option.defname === 'security') securityDefiner = booleanOption(option);
      if (option.defname === 'set') searchPath = this.functionSet(nodeFields(option.arg) as VariableSetStmt, searchPath);
    }
    const key = `${schema}.${name}(${argTypes.join(', ')})`;
    const existing = this.functions.get(key);
    if (existing && stmt.replace) {
      // CREATE OR REPLACE keeps owner and privileges and replaces every other attribute.
      existing.securityDefiner = securityDefiner;
      existing.searchPath = searchPath;
      existing.source = this.here;
      return;
    }
    if (existing) this.note(`function ${key} is created twice`, qualified(schema, name));
    const owner = this.currentRole;
    this.functions.set(key, {
      schema,
      name,
      argTypes,
      kind: stmt.is_procedure ? 'procedure' : 'function',
      owner,
      securityDefiner,
      searchPath,
      acl: this.initialAcl(owner, schema, 'f'),
      source: this.here,
    });
  }

  /** A function's `SET search_path …` / `RESET search_path`; other settings leave it unchanged. */
  private functionSet(set: VariableSetStmt, current: string | null): string | null {
    if (set.kind === 'VAR_RESET_ALL') return null;
    if (set.name !== 'search_path') return current;
    if (set.kind === 'VAR_RESET') return null;
    if (set.kind === 'VAR_SET_CURRENT') return this.searchPath.join(', ');
    const values = (set.args ?? []).map((a) => stringValue(a) ?? '');
    return values.map((v) => (v === '' ? '""' : v)).join(', ');
  }

  private functionKey(f: DbFunction): string {
    return `${f.schema}.${f.name}(${f.argTypes.join(', ')})`;
  }

  private rekeyFunction(f: DbFunction, change: () => void): void {
    this.functions.delete(this.functionKey(f));
    change();
    this.functions.set(this.functionKey(f), f);
  }

  private alterFunction(stmt: AlterFunctionStmt): void {
    const kinds: ('function' | 'procedure')[] =
      stmt.objtype === 'OBJECT_PROCEDURE'
        ? ['procedure']
        : stmt.objtype === 'OBJECT_ROUTINE'
          ? ['function', 'procedure']
          : ['function'];
    for (const f of this.requireFunctions(stmt.func, kinds, 'ALTER FUNCTION')) {
      for (const action of defElems(stmt.actions)) {
        if (action.defname === 'security') f.securityDefiner = booleanOption(action);
        if (action.defname === 'set') f.searchPath = this.functionSet(nodeFields(action.arg) as VariableSetStmt, f.searchPath);
      }
    }
  }

  // Roles and schemas ------------------------------------------------------------------------

  private roleOptions(role: Role, options: Node[] | undefined): void {
    for (const option of defElems(options)) {
      if (option.defname === 'superuser') role.superuser = booleanOption(option);
      if (option.defname === 'bypassrls') role.bypassrls = booleanOption(option);
    }
  }

  private createRole(stmt: CreateRoleStmt): void {
    const name = stmt.role ?? '?';
    const role: Role = { name, superuser: false, bypassrls: false };
    this.roleOptions(role, stmt.options);
    this.roles.set(name, role);
  }

  private alterRole(stmt: AlterRoleStmt): void {
    const name = roleSpecName(stmt.role, this.currentRole, this.sessionRole);
    let role = this.roles.get(name);
    if (!role) {
      role = { name, superuser: false, bypassrls: false };
      this.roles.set(name, role);
    }
    this.roleOptions(role, stmt.options);
  }

  private createSchema(stmt: CreateSchemaStmt, _text: string): void {
    const name = stmt.schemaname ?? roleSpecName(stmt.authrole, this.currentRole, this.sessionRole);
    if (!this.schemas.has(name)) {
      const owner = stmt.authrole ? roleSpecName(stmt.authrole, this.currentRole, this.sessionRole) : this.currentRole;
      this.schemas.set(name, { owner });
    }
    if (stmt.schemaElts?.length) {
      const previous = this.schemaOverride;
      this.schemaOverride = name;
      try {
        for (const element of stmt.schemaElts) this.statement(element, '');
      } finally {
        this.schemaOverride = previous;
      }
    }
  }

  // Drops, renames, owners -------------------------------------------------------------------

  private dropRelation(relation: Relation): void {
    const key = relationKey(relation);
    this.relations.delete(key);
    for (const other of this.relations.values()) {
      other.constraints = other.constraints.filter((k) => k.references?.relation !== key);
    }
  }

  private drop(stmt: DropStmt): void {
    const type = stmt.removeType ?? '?';
    const missingOk = stmt.missing_ok ?? false;
    for (const object of stmt.objects ?? []) {
      switch (type) {
        case 'OBJECT_TABLE':
        case 'OBJECT_VIEW':
        case 'OBJECT_MATVIEW':
        case 'OBJECT_FOREIGN_TABLE': {
          const relation = this.relationFromNames(nameList(nodeFields(object).items as Node[]));
          if (relation) this.dropRelation(relation);
          else if (!missingOk)
            this.note('DROP of a relation static mode does not know', nameList(nodeFields(object).items as Node[]).join('.'));
          break;
        }
        case 'OBJECT_INDEX': {
          const names = nameList(nodeFields(object).items as Node[]);
          const indexName = names[names.length - 1];
          const schemas = names.length > 1 ? [names[0] as string] : this.searchPath;
          let found = false;
          for (const relation of this.relations.values()) {
            if (!schemas.includes(relation.schema)) continue;
            const before = relation.indexes.length;
            relation.indexes = relation.indexes.filter((i) => i.name !== indexName);
            if (relation.indexes.length !== before) found = true;
          }
          if (!found && !missingOk) this.note(`DROP INDEX ${names.join('.')}: index not known to static mode`, names.join('.'));
          break;
        }
        case 'OBJECT_POLICY': {
          const names = nameList(nodeFields(object).items as Node[]);
          const policyName = names[names.length - 1];
          const relation = this.relationFromNames(names.slice(0, -1));
          if (relation) relation.policies = relation.policies.filter((p) => p.name !== policyName);
          else if (!missingOk) this.note('DROP POLICY on a table static mode does not know', names.join('.'));
          break;
        }
        case 'OBJECT_FUNCTION':
        case 'OBJECT_PROCEDURE':
        case 'OBJECT_ROUTINE': {
          const kinds: ('function' | 'procedure')[] =
            type === 'OBJECT_FUNCTION' ? ['function'] : type === 'OBJECT_PROCEDURE' ? ['procedure'] : ['function', 'procedure'];
          const found = this.findFunctions(nodeFields(object) as ObjectWithArgs, kinds);
          for (const f of found) this.functions.delete(this.functionKey(f));
          if (found.length === 0 && !missingOk) {
            this.note(
              'DROP FUNCTION of a function static mode does not know',
              nameList((nodeFields(object) as ObjectWithArgs).objname).join('.'),
            );
          }
          break;
        }
        case 'OBJECT_SCHEMA': {
          const schema = stringValue(object) ?? '?';
          this.schemas.delete(schema);
          for (const relation of [...this.relations.values()]) if (relation.schema === schema) this.dropRelation(relation);
          for (const [key, f] of [...this.functions]) if (f.schema === schema) this.functions.delete(key);
          break;
        }
        default:
          break; // triggers, types, sequences, extensions…: nothing the checks read
      }
    }
  }

  private rekeyRelation(relation: Relation, schema: string, name: string): void {
    const oldKey = relationKey(relation);
    this.relations.delete(oldKey);
    relation.schema = schema;
    relation.name = name;
    const newKey = relationKey(relation);
    this.relations.set(newKey, relation);
    for (const other of this.relations.values()) {
      for (const k of other.constraints) if (k.references?.relation === oldKey) k.references.relation = newKey;
    }
  }

  private rename(stmt: RenameStmt): void {
    const type = stmt.renameType ?? '?';
    const newname = stmt.newname ?? '?';
    switch (type) {
      case 'OBJECT_TABLE':
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW':
      case 'OBJECT_FOREIGN_TABLE': {
        const relation = this.findRelation(stmt.relation);
        if (relation) this.rekeyRelation(relation, relation.schema, newname);
        else if (!stmt.missing_ok) this.requireRelation(stmt.relation, 'RENAME');
        return;
      }
      case 'OBJECT_COLUMN': {
        const relation = this.requireRelation(stmt.relation, 'RENAME COLUMN');
        if (!relation) return;
        const from = stmt.subname ?? '?';
        const column = relation.columns.find((c) => c.name === from);
        if (column) column.name = newname;
        const swap = (cols: (string | null)[]) => cols.map((c) => (c === from ? newname : c));
        for (const k of relation.constraints) k.columns = swap(k.columns) as string[];
        for (const i of relation.indexes) i.columns = swap(i.columns);
        const key = relationKey(relation);
        for (const other of this.relations.values()) {
          for (const k of other.constraints) {
            if (k.references?.relation === key) k.references.columns = swap(k.references.columns) as string[];
          }
        }
        return;
      }
      case 'OBJECT_POLICY': {
        const relation = this.requireRelation(stmt.relation, 'RENAME POLICY');
        const policy = relation?.policies.find((p) => p.name === stmt.subname);
        if (policy) policy.name = newname;
        return;
      }
      case 'OBJECT_TABCONSTRAINT': {
        const relation = this.requireRelation(stmt.relation, 'RENAME CONSTRAINT');
        const constraint = relation?.constraints.find((k) => k.name === stmt.subname);
        if (!relation || !constraint) return;
        const index = relation.indexes.find((i) => i.constraintBacked && i.name === constraint.name);
        constraint.name = newname;
        if (index) index.name = newname;
        return;
      }
      case 'OBJECT_INDEX': {
        const names = [stmt.relation?.schemaname, stmt.relation?.relname].filter((n): n is string => !!n);
        const indexName = names[names.length - 1];
        const schemas = names.length > 1 ? [names[0] as string] : this.searchPath;
        for (const relation of this.relations.values()) {
          if (!schemas.includes(relation.schema)) continue;
          for (const index of relation.indexes) {
            if (index.name !== indexName) continue;
            const constraint = relation.constraints.find((k) => k.kind !== 'foreign' && k.name === index.name);
            index.name = newname;
            if (constraint) constraint.name = newname;
          }
        }
        return;
      }
      case 'OBJECT_FUNCTION':
      case 'OBJECT_PROCEDURE':
      case 'OBJECT_ROUTINE':
        for (const f of this.requireFunctions(nodeFields(stmt.object) as ObjectWithArgs, ['function', 'procedure'], 'RENAME')) {
          this.rekeyFunction(f, () => {
            f.name = newname;
          });
        }
        return;
      case 'OBJECT_SCHEMA': {
        const from = stmt.subname ?? '?';
        const schema = this.schemas.get(from);
        if (schema) {
          this.schemas.delete(from);
          this.schemas.set(newname, schema);
        }
        for (const relation of [...this.relations.values()])
          if (relation.schema === from) this.rekeyRelation(relation, newname, relation.name);
        for (const f of [...this.functions.values()]) {
          if (f.schema === from) {
            this.rekeyFunction(f, () => {
              f.schema = newname;
            });
          }
        }
        return;
      }
      case 'OBJECT_ROLE':
        this.note('ALTER ROLE … RENAME is not modelled', stmt.subname ?? '?');
        return;
      default:
        return;
    }
  }

  private setSchema(stmt: AlterObjectSchemaStmt): void {
    const type = stmt.objectType ?? '?';
    const newschema = stmt.newschema ?? '?';
    if (['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE'].includes(type)) {
      const relation = this.findRelation(stmt.relation);
      if (relation) this.rekeyRelation(relation, newschema, relation.name);
      else if (!stmt.missing_ok) this.requireRelation(stmt.relation, 'SET SCHEMA');
      return;
    }
    if (['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE'].includes(type)) {
      for (const f of this.requireFunctions(nodeFields(stmt.object) as ObjectWithArgs, ['function', 'procedure'], 'SET SCHEMA')) {
        this.rekeyFunction(f, () => {
          f.schema = newschema;
        });
      }
    }
  }

  private alterOwner(stmt: AlterOwnerStmt): void {
    const owner = roleSpecName(stmt.newowner, this.currentRole, this.sessionRole);
    const type = stmt.objectType ?? '?';
    if (['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE'].includes(type)) {
      this.ensureRole(owner);
      for (const f of this.requireFunctions(nodeFields(stmt.object) as ObjectWithArgs, ['function', 'procedure'], 'OWNER TO')) {
        StaticReplay.transferOwnership(f.acl, f.owner, owner);
        f.owner = owner;
      }
      return;
    }
    if (type === 'OBJECT_SCHEMA') {
      const schema = this.schemas.get(stringValue(stmt.object) ?? '?');
      if (schema) schema.owner = owner;
    }
  }

  // SET / RESET ------------------------------------------------------------------------------

  private set(stmt: VariableSetStmt): void {
    const name = stmt.name ?? '';
    const local = stmt.is_local ?? false;
    const reset = stmt.kind === 'VAR_RESET' || stmt.kind === 'VAR_SET_DEFAULT';
    if (stmt.kind === 'VAR_RESET_ALL') {
      this.setRole = null;
      this.localRole = null;
      this.sessionPath = ['$user', 'public'];
      this.localPath = null;
      return;
    }
    if (name === 'role') {
      const value = reset ? null : (stringValue(stmt.args?.[0]) ?? null);
      const role = value === null || value.toLowerCase() === 'none' ? null : value;
      if (role) this.ensureRole(role);
      if (local) this.localRole = role ?? this.sessionRole;
      else {
        this.setRole = role;
        this.localRole = null;
      }
      return;
    }
    if (name === 'search_path') {
      const path = reset ? ['$user', 'public'] : (stmt.args ?? []).map((a) => stringValue(a) ?? '').filter((s) => s !== '');
      if (local) this.localPath = path;
      else {
        this.sessionPath = path;
        this.localPath = null;
      }
      return;
    }
    if (name === 'session_authorization') this.note('SET SESSION AUTHORIZATION is not modelled', 'session');
  }

  // DO blocks --------------------------------------------------------------------------------

  /**
   * A DO block is PL/pgSQL: static mode does not run it. It models blocks whose only effects are
   * role DDL, because roles are cluster-wide and migrations must create them idempotently:
   * IF / BEGIN … EXCEPTION / RAISE / assignments / read-only SELECT (guards), and statements that
   * are CREATE ROLE, ALTER ROLE, GRANT role or COMMENT. Anything else (dynamic EXECUTE, loops,
   * PERFORM, DDL on tables…) makes the whole block a note instead of a guess.
   */
  private doBlock(stmt: DoStmt, text: string): void {
    const language = defElems(stmt.args).find((d) => d.defname === 'language');
    if (language && stringValue(language.arg)?.toLowerCase() !== 'plpgsql') {
      this.note('DO block in a language other than PL/pgSQL is not modelled', 'DO');
      return;
    }
    let statements: Node[] | string;
    try {
      const parsed = parsePlpgsql(text) as unknown as { plpgsql_funcs?: Node[] };
      const fn = nodeFields(parsed.plpgsql_funcs?.[0]);
      statements = this.roleIdiom([fn.action]);
    } catch (error) {
      statements = `it does not parse as PL/pgSQL (${(error as Error).message})`;
    }
    if (typeof statements === 'string') {
      this.note(
        `DO block is not modelled: ${statements}. Static mode only models DO blocks whose effects are CREATE/ALTER ROLE; the rest of the block is not in the static end state`,
        'DO',
      );
      return;
    }
    for (const statement of statements) this.statement(statement, '');
  }

  /** The role statements of a PL/pgSQL statement list, or why the list is not modelled. */
  private roleIdiom(nodes: unknown[]): Node[] | string {
    const out: Node[] = [];
    for (const node of nodes) {
      const type = nodeType(node) ?? '?';
      const f = nodeFields(node);
      const lists: unknown[][] = [];
      switch (type) {
        case 'PLpgSQL_stmt_block':
          lists.push((f.body as unknown[] | undefined) ?? []);
          for (const handler of (nodeFields(f.exceptions).exc_list as unknown[] | undefined) ?? []) {
            lists.push((nodeFields(handler).action as unknown[] | undefined) ?? []);
          }
          break;
        case 'PLpgSQL_stmt_if':
          lists.push((f.then_body as unknown[] | undefined) ?? []);
          for (const elsif of (f.elsif_list as unknown[] | undefined) ?? [])
            lists.push((nodeFields(elsif).stmts as unknown[] | undefined) ?? []);
          lists.push((f.else_body as unknown[] | undefined) ?? []);
          break;
        case 'PLpgSQL_stmt_execsql': {
          const query = nodeFields(f.sqlstmt).query as string | undefined;
          if (!query) return 'an embedded statement has no text';
          for (const raw of parseSql(query).stmts ?? []) {
            const t = nodeType(raw.stmt) ?? '?';
            if (t === 'CreateRoleStmt' || t === 'AlterRoleStmt') out.push(raw.stmt as Node);
            else if (!['GrantRoleStmt', 'CommentStmt', 'AlterRoleSetStmt', 'SelectStmt'].includes(t)) {
              return `it runs ${t.replace(/Stmt$/, '')}`;
            }
          }
          break;
        }
        case 'PLpgSQL_stmt_return':
        case 'PLpgSQL_stmt_raise':
        case 'PLpgSQL_stmt_assign':
          break;
        default:
          return `it contains ${plpgsqlStatementNames[type] ?? type.replace(/^PLpgSQL_stmt_/, '').toUpperCase()}`;
      }
      for (const list of lists) {
        const inner = this.roleIdiom(list);
        if (typeof inner === 'string') return inner;
        out.push(...inner);
      }
    }
    return out;
  }

  // Result -----------------------------------------------------------------------------------

  catalog(target: string): Catalog {
    return {
      mode: 'static',
      target,
      roles: this.roles,
      relations: this.relations,
      functions: [...this.functions.values()],
      notes: this.notes,
    };
  }
}

/** The migration files of a folder, in the order the Supabase CLI applies them. */
export function readMigrations(dir: string, relativeTo?: string): MigrationSource[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const path = join(dir, file);
      const shown = relativeTo ? relative(relativeTo, path).split(sep).join('/') : path;
      return { file: shown, sql: readFileSync(path, 'utf8') };
    });
}

export async function staticCatalog(dir: string, options: StaticOptions = {}): Promise<Catalog> {
  await ensureParser();
  const replay = new StaticReplay(options.migrationRole);
  for (const source of readMigrations(dir, options.relativeTo)) replay.replayFile(source);
  return replay.catalog(options.relativeTo ? relative(options.relativeTo, dir) || '.' : dir);
}

/** Static mode over SQL held in memory (tests, the benchmark). */
export async function staticCatalogFromSources(sources: MigrationSource[], options: StaticOptions = {}): Promise<Catalog> {
  await ensureParser();
  const replay = new StaticReplay(options.migrationRole);
  for (const source of sources) replay.replayFile(source);
  return replay.catalog('(in memory)');
}
