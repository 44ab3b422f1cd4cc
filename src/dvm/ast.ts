/**
 * Helpers over the libpg-query JSON AST (PostgreSQL's raw parse tree).
 *
 * A node is a one-key object `{ Kind: body }`; lists are plain arrays. The
 * compiler reads the AST with these few helpers and never mutates it: every
 * rewrite (binding column references, replacing aggregates) builds a copy.
 */
import { loadModule, parseSync } from 'libpg-query';
import { deparseSync } from 'pgsql-deparser';
import { UnsupportedQueryError } from './errors.ts';
import { guardPrecedence } from './precedence.ts';

// The AST is JSON produced by the WASM parser; its bodies are typed loosely on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PgNode = { [kind: string]: any };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PgBody = { [field: string]: any };

let loaded: Promise<void> | null = null;
let ready = false;

/** Load the WASM parser once per thread; `compile` is synchronous afterwards. */
export function initDvm(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

export function parseQuery(sql: string): PgNode[] {
  if (!ready) throw new Error('DVM parser not loaded: await initDvm() first');
  let result: { stmts?: { stmt: PgNode }[] };
  try {
    result = parseSync(sql) as typeof result;
  } catch (raw) {
    const position = (raw as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    throw new UnsupportedQueryError('syntax_error', (raw as Error).message, position ?? null, { cause: raw });
  }
  return (result.stmts ?? []).map((s) => s.stmt);
}

export function deparse(node: PgNode): string {
  // The deparser's types are its own copy of @pgsql/types; the JSON is the same.
  return deparseSync(guardPrecedence(node) as never);
}

export function kindOf(node: PgNode): string {
  const keys = Object.keys(node);
  if (keys.length !== 1) throw new Error(`not an AST node: ${JSON.stringify(node).slice(0, 80)}`);
  return keys[0]!;
}

export function bodyOf(node: PgNode): PgBody {
  return node[kindOf(node)] as PgBody;
}

export function isNode(value: unknown): value is PgNode {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && /^[A-Z]/.test(keys[0]!);
}

/**
 * Fields that record where a node was in the query text. Not only `location`:
 * PostgreSQL 18 also records the span of IN lists (`rexpr_list_start/_end`)
 * and of ARRAY[…] / ROW(…) lists (`list_start/_end`), so `k IN (1, 2)` in
 * the SELECT list and in GROUP BY would otherwise never be "the same".
 */
const POSITION_FIELDS = new Set([
  'location', 'list_start', 'list_end', 'rexpr_list_start', 'rexpr_list_end', 'name_location', 'stmt_location', 'stmt_len',
]);

/** A position-free canonical text of a (sub)tree, for structural equality. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (k, v: unknown) => (POSITION_FIELDS.has(k) ? undefined : v));
}

/** `String` list (funcname, typeName.names, …) as plain strings. */
export function stringList(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((n: PgNode) => (n.String ? String(n.String.sval ?? '') : ''));
}

/** Last element of a qualified function name, lower-cased by the parser already unless quoted. */
export function funcName(call: PgBody): string {
  const names = stringList(call.funcname);
  return names[names.length - 1] ?? '';
}

export function funcSchema(call: PgBody): string | null {
  const names = stringList(call.funcname);
  return names.length > 1 ? names[names.length - 2]! : null;
}

/**
 * Copy `value`, replacing every node for which `replace` returns a node.
 * `replace` returning undefined means "keep, and recurse into it".
 */
export function mapNodes(value: unknown, replace: (node: PgNode) => PgNode | undefined): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => mapNodes(v, replace));
  if (isNode(value)) {
    const r = replace(value);
    if (r !== undefined) return r;
  }
  const out: PgBody = {};
  for (const [k, v] of Object.entries(value as PgBody)) out[k] = mapNodes(v, replace);
  return out;
}

export function columnRef(fields: string[]): PgNode {
  return { ColumnRef: { fields: fields.map((sval) => ({ String: { sval } })) } };
}
