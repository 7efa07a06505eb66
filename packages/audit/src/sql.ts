import { loadModule, type Node, type ParseResult, parsePlPgSQLSync, parseSync, type TypeName } from 'libpg-query';
import { Deparser } from 'pgsql-deparser';
import type { PolicyExpression } from './model';

/**
 * The PostgreSQL parser (libpg-query: the server's own grammar compiled to WebAssembly) and
 * what both modes need from it: statement splitting, names, and one normal form for policy
 * expressions, so a policy written in a migration and the same policy printed back by
 * pg_get_expr() compare equal.
 */

let loaded: Promise<void> | undefined;

export function ensureParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

export function parseSql(sql: string): ParseResult {
  return parseSync(sql);
}

export function parsePlpgsql(sql: string): ParseResult {
  return parsePlPgSQLSync(sql);
}

// ---------------------------------------------------------------------------------------------
// Generic node helpers. A Node is `{ TypeName: { ...fields } }`.

export type Fields = Record<string, unknown>;

export function nodeType(node: unknown): string | undefined {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const keys = Object.keys(node);
  return keys.length === 1 && /^[A-Z]/.test(keys[0] ?? '') ? keys[0] : undefined;
}

export function nodeFields(node: unknown): Fields {
  const type = nodeType(node);
  return type ? ((node as Record<string, Fields>)[type] ?? {}) : {};
}

/** The String nodes of a name list (['private', 'current_tenant_id']). */
export function nameList(nodes: Node[] | undefined): string[] {
  return (nodes ?? []).map((node) => {
    const fields = nodeFields(node);
    if (typeof fields.sval === 'string') return fields.sval;
    if (nodeType(node) === 'A_Star') return '*';
    return '?';
  });
}

export function stringValue(node: unknown): string | undefined {
  const type = nodeType(node);
  const fields = nodeFields(node);
  if (type === 'String') return fields.sval as string | undefined;
  if (type === 'A_Const') {
    const sval = fields.sval as { sval?: string } | undefined;
    if (sval) return sval.sval ?? '';
    const ival = fields.ival as { ival?: number } | undefined;
    if (ival) return String(ival.ival ?? 0);
    const boolval = fields.boolval as { boolval?: boolean } | undefined;
    if (boolval) return String(boolval.boolval ?? false);
  }
  if (type === 'Integer') return String((fields.ival as number | undefined) ?? 0);
  if (type === 'Boolean') return String((fields.boolval as boolean | undefined) ?? false);
  if (type === 'TypeCast') return stringValue(fields.arg);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Types, printed the way format_type()/oidvectortypes() print them with search_path = ''.

const typeAliases: Record<string, string> = {
  int: 'integer',
  int4: 'integer',
  integer: 'integer',
  int8: 'bigint',
  bigint: 'bigint',
  int2: 'smallint',
  smallint: 'smallint',
  float4: 'real',
  real: 'real',
  float8: 'double precision',
  'double precision': 'double precision',
  bool: 'boolean',
  boolean: 'boolean',
  varchar: 'character varying',
  'character varying': 'character varying',
  bpchar: 'character',
  char: 'character',
  character: 'character',
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  timetz: 'time with time zone',
  time: 'time without time zone',
  varbit: 'bit varying',
  decimal: 'numeric',
  serial: 'integer',
  serial4: 'integer',
  bigserial: 'bigint',
  serial8: 'bigint',
  smallserial: 'smallint',
  serial2: 'smallint',
};

const builtinTypes = new Set([
  'uuid',
  'text',
  'json',
  'jsonb',
  'bytea',
  'date',
  'inet',
  'cidr',
  'macaddr',
  'money',
  'xml',
  'name',
  'oid',
  'regclass',
  'regrole',
  'regproc',
  'regtype',
  'record',
  'void',
  'trigger',
  'event_trigger',
  'anyelement',
  'anyarray',
  'anynonarray',
  'anycompatible',
  'tsvector',
  'tsquery',
  'numeric',
  'interval',
  'bit',
  'point',
  'int4range',
  'int8range',
  'tstzrange',
  'daterange',
  'numrange',
  'tsrange',
  'internal',
  'cstring',
]);

/**
 * A TypeName as format_type prints it. `qualify` gives the schema an unqualified user type
 * resolves to (static mode's search_path), since format_type qualifies types outside pg_catalog.
 */
export function formatTypeName(typeName: TypeName | undefined, qualify: (name: string) => string | undefined): string {
  const names = nameList(typeName?.names);
  let base: string;
  const last = (names[names.length - 1] ?? '?').toLowerCase();
  if (names.length >= 2 && names[names.length - 2] === 'pg_catalog') {
    base = typeAliases[last] ?? last;
  } else if (names.length >= 2) {
    base = `${names[names.length - 2]}.${names[names.length - 1]}`;
  } else if (typeAliases[last]) {
    base = typeAliases[last];
  } else if (builtinTypes.has(last)) {
    base = last;
  } else {
    const schema = qualify(last);
    base = schema ? `${schema}.${last}` : last;
  }
  const dims = typeName?.arrayBounds?.length ?? 0;
  return base + '[]'.repeat(dims);
}

export function isSerialType(typeName: TypeName | undefined): boolean {
  const names = nameList(typeName?.names);
  const last = (names[names.length - 1] ?? '').toLowerCase();
  return ['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2'].includes(last) && names.length === 1;
}

// ---------------------------------------------------------------------------------------------
// Policy expressions.

export interface ExpressionContext {
  /** The policy's table: column references qualified with it print unqualified in pg_get_expr. */
  table: string;
  /** Schema an unqualified function name resolves to, or undefined for a built-in. */
  resolveFunction(name: string): string | undefined;
  /** Schema an unqualified relation name resolves to, or undefined. */
  resolveRelation(name: string): string | undefined;
}

const droppedKeys = new Set(['location', 'rexpr_list_start', 'rexpr_list_end', 'stmt_location', 'stmt_len']);
const integerTypes = new Set(['int2', 'int4', 'int8', 'integer', 'bigint', 'smallint', 'int']);

function stripCatalog(names: string[]): string[] {
  return names.length === 2 && names[0] === 'pg_catalog' ? [names[1] as string] : names;
}

function strings(names: string[]): Node[] {
  return names.map((sval) => ({ String: { sval } }));
}

/**
 * The normal form: no locations, no casts, unqualified columns, qualified non-catalog functions
 * and relations, flattened AND/OR, `x IN (a, b)` as `x = ANY (ARRAY[a, b])`, subquery targets
 * without aliases. Both modes apply it, so the form they compare is the same.
 */
export function normalizeExpression(node: unknown, ctx: ExpressionContext): Node {
  return normalize(node, ctx) as Node;
}

function normalize(value: unknown, ctx: ExpressionContext): unknown {
  if (Array.isArray(value)) return value.map((item) => normalize(item, ctx));
  if (!value || typeof value !== 'object') return value;
  const type = nodeType(value);
  if (type) {
    const fields = nodeFields(value);
    switch (type) {
      case 'TypeCast': {
        const arg = fields.arg;
        const castTo = nameList((fields.typeName as TypeName | undefined)?.names);
        const argFields = nodeFields(arg);
        const sval = (argFields.sval as { sval?: string } | undefined)?.sval;
        if (
          nodeType(arg) === 'A_Const' &&
          sval !== undefined &&
          /^-?\d+$/.test(sval) &&
          integerTypes.has(castTo[castTo.length - 1] ?? '')
        ) {
          return { A_Const: { ival: Number(sval) === 0 ? {} : { ival: Number(sval) } } };
        }
        return normalize(arg, ctx);
      }
      case 'ColumnRef': {
        const names = (fields.fields as Node[] | undefined) ?? [];
        return { ColumnRef: { fields: normalize(names.slice(-1), ctx) } };
      }
      case 'FuncCall': {
        let names = stripCatalog(nameList(fields.funcname as Node[]));
        if (names.length === 1) {
          const schema = ctx.resolveFunction(names[0] as string);
          if (schema) names = [schema, names[0] as string];
        }
        return { FuncCall: { ...normalizeFields(fields, ctx), funcname: strings(names) } };
      }
      case 'RangeVar': {
        const out = normalizeFields(fields, ctx);
        delete out.relpersistence;
        if (out.schemaname === 'pg_catalog') delete out.schemaname;
        else if (!out.schemaname && typeof out.relname === 'string') {
          const schema = ctx.resolveRelation(out.relname);
          if (schema) out.schemaname = schema;
        }
        return { RangeVar: out };
      }
      case 'ResTarget': {
        const out = normalizeFields(fields, ctx);
        delete out.name;
        return { ResTarget: out };
      }
      case 'BoolExpr': {
        const boolop = fields.boolop;
        const args: unknown[] = [];
        for (const arg of (fields.args as unknown[] | undefined) ?? []) {
          const normalized = normalize(arg, ctx);
          const inner = nodeFields(normalized);
          if (boolop !== 'NOT_EXPR' && nodeType(normalized) === 'BoolExpr' && inner.boolop === boolop) {
            args.push(...((inner.args as unknown[] | undefined) ?? []));
          } else {
            args.push(normalized);
          }
        }
        return { BoolExpr: { boolop, args } };
      }
      case 'A_Expr': {
        const out = normalizeFields(fields, ctx);
        out.name = strings(stripCatalog(nameList(fields.name as Node[])));
        if (fields.kind === 'AEXPR_LIKE' || fields.kind === 'AEXPR_ILIKE') {
          // pg_get_expr prints LIKE / ILIKE as the operators ~~ / ~~* (NOT: !~~ / !~~*).
          return { A_Expr: { ...out, kind: 'AEXPR_OP' } };
        }
        if (fields.kind === 'AEXPR_BETWEEN' || fields.kind === 'AEXPR_NOT_BETWEEN') {
          // Parse analysis turns BETWEEN into two comparisons, and pg_get_expr prints those.
          const bounds = (nodeFields(out.rexpr).items as unknown[] | undefined) ?? [];
          const not = fields.kind === 'AEXPR_NOT_BETWEEN';
          const compare = (op: string, bound: unknown) => ({
            A_Expr: { kind: 'AEXPR_OP', name: strings([op]), lexpr: out.lexpr, rexpr: bound },
          });
          return {
            BoolExpr: {
              boolop: not ? 'OR_EXPR' : 'AND_EXPR',
              args: [compare(not ? '<' : '>=', bounds[0]), compare(not ? '>' : '<=', bounds[1])],
            },
          };
        }
        if (
          (fields.kind === 'AEXPR_DISTINCT' || fields.kind === 'AEXPR_NOT_DISTINCT') &&
          (isNullConst(out.lexpr) || isNullConst(out.rexpr))
        ) {
          // Parse analysis turns `x IS [NOT] DISTINCT FROM NULL` into `x IS [NOT] NULL`.
          const arg = isNullConst(out.lexpr) ? out.rexpr : out.lexpr;
          return { NullTest: { arg, nulltesttype: fields.kind === 'AEXPR_DISTINCT' ? 'IS_NOT_NULL' : 'IS_NULL' } };
        }
        if (fields.kind === 'AEXPR_NOT_DISTINCT') {
          // pg_get_expr prints `a IS NOT DISTINCT FROM b` as `NOT (a IS DISTINCT FROM b)`.
          return { BoolExpr: { boolop: 'NOT_EXPR', args: [{ A_Expr: { ...out, kind: 'AEXPR_DISTINCT' } }] } };
        }
        if (fields.kind === 'AEXPR_IN') {
          const negated = nameList(fields.name as Node[])[0] === '<>';
          const items = (nodeFields(out.rexpr).items as unknown[] | undefined) ?? [];
          if (items.length === 1) {
            // A one-element IN list is a plain comparison after parse analysis.
            return { A_Expr: { kind: 'AEXPR_OP', name: strings([negated ? '<>' : '=']), lexpr: out.lexpr, rexpr: items[0] } };
          }
          return {
            A_Expr: {
              kind: negated ? 'AEXPR_OP_ALL' : 'AEXPR_OP_ANY',
              name: strings([negated ? '<>' : '=']),
              lexpr: out.lexpr,
              rexpr: { A_ArrayExpr: { elements: items } },
            },
          };
        }
        return { A_Expr: out };
      }
      default:
        return { [type]: normalizeFields(fields, ctx) };
    }
  }
  return normalizeFields(value as Fields, ctx);
}

function isNullConst(node: unknown): boolean {
  return nodeType(node) === 'A_Const' && nodeFields(node).isnull === true;
}

function normalizeFields(fields: Fields, ctx: ExpressionContext): Fields {
  const out: Fields = {};
  for (const [key, val] of Object.entries(fields)) {
    if (droppedKeys.has(key)) continue;
    out[key] = normalize(val, ctx);
  }
  return out;
}

export function deparseExpression(node: Node): string {
  try {
    return Deparser.deparse(node, { pretty: false });
  } catch {
    return JSON.stringify(node);
  }
}

export function policyExpression(node: unknown, ctx: ExpressionContext): PolicyExpression {
  const ast = normalizeExpression(node, ctx);
  return { ast, text: deparseExpression(ast) };
}

/** Parses an expression as pg_get_expr() prints it. */
export function parseExpression(text: string): Node {
  const result = parseSync(`select ${text}`);
  const select = nodeFields(result.stmts?.[0]?.stmt);
  const target = (select.targetList as Node[] | undefined)?.[0];
  const val = nodeFields(target).val as Node | undefined;
  if (!val) throw new Error(`cannot parse policy expression: ${text}`);
  return val;
}

// ---------------------------------------------------------------------------------------------
// What the checks ask of a policy expression.

export interface FunctionCallSite {
  /** schema.name, or the bare name of a built-in. */
  name: string;
  /** Inside a sub-select: evaluated once per statement as an initPlan. */
  wrapped: boolean;
}

function walk(
  value: unknown,
  visit: (type: string, fields: Fields, ancestors: string[]) => void,
  ancestors: string[] = [],
): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit, ancestors);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const type = nodeType(value);
  if (type) {
    const fields = nodeFields(value);
    visit(type, fields, ancestors);
    ancestors.push(type);
    for (const child of Object.values(fields)) walk(child, visit, ancestors);
    ancestors.pop();
    return;
  }
  for (const child of Object.values(value)) walk(child, visit, ancestors);
}

export function functionCalls(ast: Node): FunctionCallSite[] {
  const calls: FunctionCallSite[] = [];
  walk(ast, (type, fields, ancestors) => {
    if (type !== 'FuncCall') return;
    calls.push({ name: nameList(fields.funcname as Node[]).join('.'), wrapped: ancestors.includes('SubLink') });
  });
  return calls;
}

/** Every identifier and string constant in the expression. */
export function identifiersAndStrings(ast: Node): string[] {
  const out: string[] = [];
  walk(ast, (type, fields) => {
    if (type === 'String' && typeof fields.sval === 'string') out.push(fields.sval);
    if (type === 'A_Const') {
      const sval = (fields.sval as { sval?: string } | undefined)?.sval;
      if (sval !== undefined) out.push(sval);
    }
    if (type === 'RangeVar' && typeof fields.relname === 'string') out.push(fields.relname);
  });
  return out;
}

export function isLiteralTrue(ast: Node): boolean {
  if (nodeType(ast) !== 'A_Const') return false;
  const boolval = nodeFields(ast).boolval as { boolval?: boolean } | undefined;
  return boolval?.boolval === true;
}

/** The top-level OR branches of an expression (itself when it is not an OR). */
export function orBranches(ast: Node): Node[] {
  const fields = nodeFields(ast);
  if (nodeType(ast) === 'BoolExpr' && fields.boolop === 'OR_EXPR') return (fields.args as Node[] | undefined) ?? [];
  return [ast];
}
