/**
 * Parentheses the deparser forgets.
 *
 * The raw parse tree has no node for parentheses, and pgsql-deparser does not
 * parenthesise every operand whose operator binds more loosely than its
 * parent. Found by the oracle: `(a IS NULL) IS TRUE` came out as
 * `a IS NULL IS TRUE` (a syntax error: IS does not associate),
 * `(NOT a) IS NULL` as `NOT (a) IS NULL` and `(a AND b) IS NULL` as
 * `a AND b IS NULL` (both silently mean something else), and
 * `(a = b) IN (true)` as `a = b IN (true)` (which is `a = (b IN (true))`).
 *
 * Before deparsing, such an operand is wrapped in a one-argument COALESCE —
 * the identity on every type, printed with its own parentheses — only where
 * PostgreSQL's precedence would otherwise regroup it, so ordinary expressions
 * are emitted exactly as the user wrote them.
 */
import { isNode, type PgBody, type PgNode } from './ast.ts';

const COMPARISONS = new Set(['=', '<>', '!=', '<', '>', '<=', '>=']);

/** IS-class tests: bind more loosely than comparisons, and do not associate. */
function isTest(node: PgNode): boolean {
  if (node.NullTest || node.BooleanTest) return true;
  const kind = node.A_Expr?.kind;
  return kind === 'AEXPR_DISTINCT' || kind === 'AEXPR_NOT_DISTINCT';
}

function operatorName(expr: PgBody): string {
  const names = (expr.name ?? []) as PgNode[];
  return String(names[names.length - 1]?.String?.sval ?? '');
}

/** Looser than IN / LIKE / BETWEEN: comparisons, IS tests, the predicates themselves, NOT/AND/OR. */
function looserThanPredicate(node: PgNode): boolean {
  if (node.BoolExpr || isTest(node)) return true;
  const e = node.A_Expr as PgBody | undefined;
  if (!e) return false;
  return e.kind !== 'AEXPR_OP' || COMPARISONS.has(operatorName(e));
}

function wrap(node: PgNode): PgNode {
  return { CoalesceExpr: { args: [node] } };
}

const PREDICATES = new Set(['AEXPR_IN', 'AEXPR_LIKE', 'AEXPR_ILIKE', 'AEXPR_SIMILAR', 'AEXPR_BETWEEN', 'AEXPR_NOT_BETWEEN', 'AEXPR_BETWEEN_SYM', 'AEXPR_NOT_BETWEEN_SYM']);

/** Rewrite one node whose children are already guarded. */
function guardNode(node: PgNode): PgNode {
  if (node.NullTest && (node.NullTest.arg.BoolExpr || isTest(node.NullTest.arg))) {
    return { NullTest: { ...node.NullTest, arg: wrap(node.NullTest.arg) } };
  }
  if (node.BooleanTest && (node.BooleanTest.arg.BoolExpr || isTest(node.BooleanTest.arg))) {
    return { BooleanTest: { ...node.BooleanTest, arg: wrap(node.BooleanTest.arg) } };
  }
  const e = node.A_Expr as PgBody | undefined;
  if (e && PREDICATES.has(e.kind)) {
    const guard = (x: PgNode | undefined): PgNode | undefined => (x && looserThanPredicate(x) ? wrap(x) : x);
    let rexpr = e.rexpr as PgNode | undefined;
    // BETWEEN's bounds are a two-element List; IN's list items are full expressions already.
    if (e.kind.includes('BETWEEN') && rexpr?.List) rexpr = { List: { ...rexpr.List, items: (rexpr.List.items as PgNode[]).map((i) => guard(i)!) } };
    else if (e.kind !== 'AEXPR_IN') rexpr = guard(rexpr);
    return { A_Expr: { ...e, lexpr: guard(e.lexpr), rexpr } };
  }
  return node;
}

/** Copy of `value` with the missing parentheses made explicit (bottom-up). */
export function guardPrecedence(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(guardPrecedence);
  const out: PgBody = {};
  for (const [k, v] of Object.entries(value as PgBody)) out[k] = guardPrecedence(v);
  return isNode(out) ? guardNode(out) : out;
}
