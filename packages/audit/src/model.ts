import type { Node } from 'libpg-query';

/**
 * The end state both modes produce and every check reads: static mode by replaying the
 * migrations, live mode by reading the catalogs. Names are unquoted identifiers.
 */

/** Where a static-mode object was last defined: migration file (relative path) and line. */
export interface SourceLocation {
  file: string;
  line: number;
}

export interface Role {
  name: string;
  superuser: boolean;
  bypassrls: boolean;
}

/** Grantee ('PUBLIC' for the pseudo-role) → privileges, upper case as in the GRANT syntax. */
export type Acl = Map<string, Set<string>>;

export interface Column {
  name: string;
  /** Serial type, nextval() default or identity column. */
  sequential: boolean;
  acl: Acl;
}

export interface KeyConstraint {
  name: string;
  kind: 'primary' | 'unique' | 'foreign';
  columns: string[];
  /** Foreign keys: the referenced relation (schema.name) and its columns. */
  references?: { relation: string; columns: string[] };
  source?: SourceLocation;
}

export interface Index {
  name: string;
  /** Key columns in order; null for an expression. */
  columns: (string | null)[];
  unique: boolean;
  /** The index backs a primary key or unique constraint (so BH012 reports the constraint instead). */
  constraintBacked: boolean;
  source?: SourceLocation;
}

export type PolicyCommand = 'all' | 'select' | 'insert' | 'update' | 'delete';

/** A policy expression: its normalized AST (for the checks) and canonical text (for people and for comparing modes). */
export interface PolicyExpression {
  ast: Node;
  text: string;
}

export interface Policy {
  name: string;
  command: PolicyCommand;
  permissive: boolean;
  /** Role names; 'public' for PUBLIC. */
  roles: string[];
  using: PolicyExpression | null;
  withCheck: PolicyExpression | null;
  source?: SourceLocation;
}

export type RelationKind = 'table' | 'partitioned table' | 'view' | 'materialized view' | 'foreign table';

export interface Relation {
  schema: string;
  name: string;
  kind: RelationKind;
  owner: string;
  rlsEnabled: boolean;
  rlsForced: boolean;
  securityInvoker: boolean;
  columns: Column[];
  constraints: KeyConstraint[];
  indexes: Index[];
  policies: Policy[];
  acl: Acl;
  source?: SourceLocation;
}

export interface DbFunction {
  schema: string;
  name: string;
  /** Input argument types, as format_type prints them (integer, text, uuid, …). */
  argTypes: string[];
  kind: 'function' | 'procedure';
  owner: string;
  securityDefiner: boolean;
  /** The value of a `set search_path` clause, or null when the function has none. */
  searchPath: string | null;
  acl: Acl;
  source?: SourceLocation;
}

/** Something static mode could not model (reported as BH022) or parse (BH000). */
export interface Note {
  kind: 'unmodelled' | 'parse-error';
  message: string;
  object: string;
  source?: SourceLocation;
}

export interface Catalog {
  mode: 'static' | 'live';
  /** What was audited: the migrations folder or the database (without password). */
  target: string;
  roles: Map<string, Role>;
  relations: Map<string, Relation>;
  functions: DbFunction[];
  notes: Note[];
}

export function qualified(schema: string, name: string): string {
  return `${schema}.${name}`;
}

export function relationKey(relation: Pick<Relation, 'schema' | 'name'>): string {
  return qualified(relation.schema, relation.name);
}

export function cloneAcl(acl: Acl): Acl {
  return new Map([...acl].map(([grantee, privileges]) => [grantee, new Set(privileges)]));
}

export function addPrivileges(acl: Acl, grantee: string, privileges: Iterable<string>): void {
  let set = acl.get(grantee);
  if (!set) {
    set = new Set();
    acl.set(grantee, set);
  }
  for (const privilege of privileges) set.add(privilege);
}

export function removePrivileges(acl: Acl, grantee: string, privileges: Iterable<string>): void {
  const set = acl.get(grantee);
  if (!set) return;
  for (const privilege of privileges) set.delete(privilege);
  if (set.size === 0) acl.delete(grantee);
}

export const tablePrivileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'] as const;
export const columnPrivileges = ['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'] as const;
export const functionPrivileges = ['EXECUTE'] as const;
