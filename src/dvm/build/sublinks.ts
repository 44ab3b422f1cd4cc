/**
 * Subquery expressions (sublinks) → operators, before anything is bound:
 *
 * - a top-level WHERE conjunct `[NOT] EXISTS (…)`, `x [NOT] IN (…)`,
 *   `x op ANY (…)`, `x op ALL (…)` (also `(a, b) IN (…)`) becomes a semi- or
 *   anti-join of the FROM tree with the subquery (ops/semi-join.ts), with
 *   SQL's three-valued logic spelled into the condition:
 *     x IN S       ⇒ semi  (x = y)
 *     x NOT IN S   ⇒ anti  ((x = y) IS NOT FALSE)     -- a NULL y, or a NULL x, rejects the row
 *     x op ALL S   ⇒ anti  ((x op y) IS NOT TRUE)
 *     NOT (x op ALL S) ⇒ semi ((x op y) IS FALSE)
 *   An uncorrelated subquery is built whole (any supported query); a
 *   correlated one must be `SELECT … FROM … WHERE …` (no grouping): its
 *   conjuncts that read the outer query move into the join condition.
 * - a scalar subquery `(SELECT …)` anywhere in WHERE or the SELECT list (and,
 *   uncorrelated, in HAVING or the SELECT list of a grouped query) becomes a
 *   column of a joined relation:
 *     uncorrelated aggregate without GROUP BY (exactly one row): a cross join;
 *     correlated by equalities `inner = outer`, aggregate without GROUP BY:
 *       LEFT JOIN (… GROUP BY inner) ON outer = inner, and for outer rows
 *       without a group the aggregate's value over no rows (COUNT 0, SUM
 *       NULL), taken from the same query over `WHERE false` — so COUNT is 0,
 *       not NULL (the decorrelation bug v0.14 had).
 *   Both shapes return exactly one row per outer row, so PostgreSQL's
 *   "more than one row returned by a subquery" cannot arise; any other scalar
 *   subquery (which could return several rows) is refused.
 * Everything else (a sublink inside OR, in a JOIN's ON, EXISTS in the SELECT
 * list, correlated subqueries with GROUP BY) is refused with `sublink`.
 */
import { bodyOf, kindOf, type PgBody, type PgNode } from '../ast.ts';
import { UnsupportedQueryError } from '../errors.ts';
import { boundRef, exprOf } from '../emit/expr.ts';
import type { Expr, OpNode } from '../ir.ts';
import { makeFilter } from '../ops/filter.ts';
import { makeJoin } from '../ops/join.ts';
import { makeOuterJoin } from '../ops/outer-join.ts';
import { makeSemiJoin } from '../ops/semi-join.ts';
import { containsAggregate } from '../restrict.ts';
import type { BuildContext } from './context.ts';
import { Scope } from './scope.ts';
import { buildFromList, buildSelect, type CteEnv } from './select.ts';

type Attach = (node: OpNode) => OpNode;

const AND = (args: PgNode[]): PgNode => (args.length === 1 ? args[0]! : { BoolExpr: { boolop: 'AND_EXPR', args } });

export function conjunctsOf(ast: PgNode): PgNode[] {
  if (ast.BoolExpr?.boolop === 'AND_EXPR') return (ast.BoolExpr.args as PgNode[]).flatMap(conjunctsOf);
  return [ast];
}

function sublinkFail(detail: string, at: PgBody | null | undefined): never {
  throw new UnsupportedQueryError('sublink', detail, at && typeof at.location === 'number' ? at.location : null);
}

function hasSublink(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasSublink);
  if ((value as PgBody).SubLink) return true;
  return Object.values(value as PgBody).some(hasSublink);
}

/** A conjunct that is a (possibly negated) EXISTS / ANY / ALL sublink. */
function predicateSublink(ast: PgNode): { link: PgBody; negated: boolean } | null {
  let negated = false;
  let cur = ast;
  while (cur.BoolExpr?.boolop === 'NOT_EXPR') {
    negated = !negated;
    cur = cur.BoolExpr.args[0];
  }
  const link = cur.SubLink as PgBody | undefined;
  if (!link || link.subLinkType === 'EXPR_SUBLINK') return null;
  return { link, negated };
}

function isUnknownColumn(raw: unknown): boolean {
  return raw instanceof UnsupportedQueryError && raw.code === 'unknown_column';
}

/** Build an uncorrelated subquery whole; null when it reads the outer query. */
function tryUncorrelated(ctx: BuildContext, sub: PgBody, env: CteEnv | null): OpNode | null {
  try {
    return buildSelect(ctx, sub, env, null).node;
  } catch (raw) {
    if (isUnknownColumn(raw)) return null;
    throw raw;
  }
}

/** Does this AST hold a window call (FuncCall … OVER) outside a nested subquery? */
function containsWindow(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(containsWindow);
  const obj = value as PgBody;
  if (obj.SubLink) return false;
  if (obj.FuncCall?.over) return true;
  return Object.values(obj).some(containsWindow);
}

function isSimpleShape(ctx: BuildContext, sub: PgBody): boolean {
  return (sub.op ?? 'SETOP_NONE') === 'SETOP_NONE' && !sub.withClause && !(sub.groupClause ?? []).length && !sub.havingClause &&
    !containsAggregate(sub.targetList, new Set(ctx.input.userAggregates ?? [])) && !containsWindow(sub.targetList);
}

/**
 * WHERE: sublink conjuncts become semi/anti joins, the rest one Filter
 * (applied first, so comma joins below still get their join conditions).
 */
export function applyWhere(ctx: BuildContext, node: OpNode, scope: Scope, where: PgNode, env: CteEnv | null): OpNode {
  const links: { link: PgBody; negated: boolean }[] = [];
  const rest: PgNode[] = [];
  for (const c of conjunctsOf(where)) {
    const s = predicateSublink(c);
    if (s) links.push(s);
    else rest.push(c);
  }
  let out = node;
  if (rest.length) {
    const pre = extractScalars(ctx, scope, [AND(rest)], env, true);
    out = makeFilter(pre.attach(out), scope.bind(pre.asts[0]!));
  }
  for (const s of links) out = semiJoinOf(ctx, out, scope, s.link, s.negated, env);
  return out;
}

function semiJoinOf(ctx: BuildContext, node: OpNode, outer: Scope, link: PgBody, negated: boolean, env: CteEnv | null): OpNode {
  const sub = link.subselect.SelectStmt as PgBody;
  const type = String(link.subLinkType);
  const opName: PgNode[] = link.operName?.length ? link.operName : [{ String: { sval: '=' } }];
  // The comparison `test op y`, with y the subquery's output (one column, or a row).
  // The test `x` of `x IN (…)` belongs to the outer query, even where the subquery has a column of that name.
  const test = link.testexpr ? outer.bind(link.testexpr as PgNode).ast : null;
  const comparison = (ys: PgNode[]): PgNode => {
    const rexpr = ys.length === 1 ? ys[0]! : { RowExpr: { args: ys, row_format: 'COERCE_IMPLICIT_CAST' } };
    const cmp: PgNode = { A_Expr: { kind: 'AEXPR_OP', name: opName, lexpr: test, rexpr } };
    if (type === 'ANY_SUBLINK') return negated ? { BooleanTest: { arg: cmp, booltesttype: 'IS_NOT_FALSE' } } : cmp;
    return negated ? { BooleanTest: { arg: cmp, booltesttype: 'IS_FALSE' } } : { BooleanTest: { arg: cmp, booltesttype: 'IS_NOT_TRUE' } };
  };
  const anti = type === 'ALL_SUBLINK' ? !negated : negated;
  const width = (link.testexpr?.RowExpr?.args ?? [null]).length;

  const whole = tryUncorrelated(ctx, sub, env);
  if (whole) {
    if (type === 'EXISTS_SUBLINK') return makeSemiJoin(node, whole, null, anti);
    if (whole.columns.length !== width) sublinkFail('subquery has the wrong number of columns', link);
    // Bind the test in the outer scope, the subquery's columns as already bound references.
    const cond = outer.bind(comparison(whole.columns.map((c) => boundRef(c.id))));
    return makeSemiJoin(node, whole, cond, anti);
  }

  // Correlated: SELECT … FROM … WHERE …, the outer references in WHERE conjuncts (and the IN target).
  if (!isSimpleShape(ctx, sub)) sublinkFail('correlated subquery with GROUP BY, aggregates, window functions, WITH or a set operation', link);
  if (sub.distinctClause?.length && sub.distinctClause.some((d: PgNode) => Object.keys(d).length > 0)) sublinkFail('DISTINCT ON in a subquery', link);
  const from = buildFromList(ctx, sub.fromClause as PgNode[], env);
  const local = new Scope(from.entries, from.merged);
  let right = from.node;
  const correlated: PgNode[] = [];
  const innerOnly: PgNode[] = [];
  for (const c of sub.whereClause ? conjunctsOf(sub.whereClause) : []) {
    if (hasSublink(c)) innerOnly.push(c);
    else if (readsOuter(local, c)) correlated.push(c);
    else innerOnly.push(c);
  }
  if (innerOnly.length) right = applyWhere(ctx, right, local, AND(innerOnly), env);
  const inner = new Scope(from.entries, from.merged, outer);
  const parts: PgNode[] = [...correlated];
  if (type !== 'EXISTS_SUBLINK') {
    const targets = (sub.targetList as PgNode[]).map((t) => t.ResTarget.val as PgNode);
    if (targets.length !== width || targets.some((t) => t.ColumnRef?.fields?.some((f: PgNode) => f.A_Star))) {
      sublinkFail('subquery has the wrong number of columns', link);
    }
    parts.push(comparison(targets));
  }
  const cond: Expr | null = parts.length ? inner.bind(AND(parts)) : null;
  return makeSemiJoin(node, right, cond, anti);
}

/** Does `ast` read a column the subquery's own FROM does not have? */
function readsOuter(local: Scope, ast: PgNode): boolean {
  try {
    local.bind(ast);
    return false;
  } catch (raw) {
    if (isUnknownColumn(raw)) return true;
    throw raw;
  }
}

export interface Extracted {
  /** The expressions with each scalar subquery replaced by a reference to its value. */
  readonly asts: PgNode[];
  /** Joins the subqueries' relations to the node the expressions are evaluated over. */
  readonly attach: Attach;
  /** Internal ids of the values (not grouped columns: they are one value per outer row). */
  readonly ids: ReadonlySet<string>;
}

/** Replace the scalar subqueries of `asts` (correlated ones only when `correlated`). */
export function extractScalars(ctx: BuildContext, scope: Scope, asts: readonly (PgNode | null)[], env: CteEnv | null, correlated: boolean): Extracted {
  const attaches: Attach[] = [];
  const ids = new Set<string>();
  const replace = (node: PgNode): PgNode | undefined => {
    if (kindOf(node) !== 'SubLink' || node.SubLink.subLinkType !== 'EXPR_SUBLINK') return undefined;
    const s = scalarOf(ctx, scope, node.SubLink, env, correlated);
    attaches.push(s.attach);
    for (const id of s.ids) ids.add(id);
    return s.value;
  };
  const out = asts.map((a) => (a === null ? a : (mapNodesShallow(a, replace) as PgNode)));
  return { asts: out as PgNode[], attach: (n) => attaches.reduce((acc, f) => f(acc), n), ids };
}

/** mapNodes that does not descend into the subqueries of sublinks it leaves alone. */
function mapNodesShallow(value: unknown, replace: (node: PgNode) => PgNode | undefined): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => mapNodesShallow(v, replace));
  const keys = Object.keys(value);
  if (keys.length === 1 && /^[A-Z]/.test(keys[0]!)) {
    const r = replace(value as PgNode);
    if (r !== undefined) return r;
    if (keys[0] === 'SubLink') return value;
  }
  const out: PgBody = {};
  for (const [k, v] of Object.entries(value as PgBody)) out[k] = mapNodesShallow(v, replace);
  return out;
}

function isSingleAggregate(ctx: BuildContext, sub: PgBody): boolean {
  return (sub.op ?? 'SETOP_NONE') === 'SETOP_NONE' && !(sub.groupClause ?? []).length && !sub.havingClause &&
    (sub.targetList ?? []).length === 1 && containsAggregate(sub.targetList, new Set(ctx.input.userAggregates ?? [])) && !containsWindow(sub.targetList) && !sub.distinctClause?.some((d: PgNode) => Object.keys(d).length > 0);
}

function scalarOf(ctx: BuildContext, outer: Scope, link: PgBody, env: CteEnv | null, allowCorrelated: boolean): { value: PgNode; attach: Attach; ids: string[] } {
  const sub = link.subselect.SelectStmt as PgBody;
  if (!isSingleAggregate(ctx, sub)) sublinkFail('scalar subquery that is not one aggregate without GROUP BY/HAVING (it could return more than one row)', link);
  const whole = tryUncorrelated(ctx, sub, env);
  if (whole) {
    const v = whole.columns[0]!;
    return { value: boundRef(v.id), attach: (n) => makeJoin(n, whole, null), ids: [v.id] };
  }
  if (!allowCorrelated) sublinkFail('correlated scalar subquery in HAVING or over GROUP BY', link);
  if (sub.withClause) sublinkFail('correlated scalar subquery with WITH', link);

  // Correlated by equalities: split WHERE into `inner = outer` pairs and inner-only conjuncts.
  const from = buildFromList(ctx, sub.fromClause as PgNode[], env);
  const local = new Scope(from.entries, from.merged);
  const keys: { inner: PgNode; outer: PgNode; op: PgNode[] }[] = [];
  const innerOnly: PgNode[] = [];
  for (const c of sub.whereClause ? conjunctsOf(sub.whereClause) : []) {
    if (hasSublink(c) || !readsOuter(local, c)) {
      innerOnly.push(c);
      continue;
    }
    const e = c.A_Expr as PgBody | undefined;
    const isEq = e && e.kind === 'AEXPR_OP' && (e.name as PgNode[]).length === 1 && e.name[0].String?.sval === '=';
    if (!isEq) sublinkFail('correlated scalar subquery whose correlation is not an equality', link);
    const lOuter = readsOuter(local, e.lexpr);
    const rOuter = readsOuter(local, e.rexpr);
    if (lOuter === rOuter) sublinkFail('correlated scalar subquery whose correlation is not `inner = outer`', link);
    keys.push(lOuter ? { inner: e.rexpr, outer: e.lexpr, op: e.name } : { inner: e.lexpr, outer: e.rexpr, op: e.name });
  }
  const value = (sub.targetList[0].ResTarget as PgBody).val as PgNode;
  const target = (val: PgNode, name: string): PgNode => ({ ResTarget: { name, val } });
  const where = innerOnly.length ? AND(innerOnly) : undefined;
  const grouped: PgBody = {
    ...sub,
    targetList: [...keys.map((k, i) => target(k.inner, `k${i + 1}`)), target(value, 'v')],
    whereClause: where,
    groupClause: keys.map((k) => k.inner),
  };
  if (!where) delete grouped.whereClause;
  let g: OpNode;
  let empty: OpNode;
  try {
    g = buildSelect(ctx, grouped, env, null).node;
    // The value over no rows (COUNT 0, SUM NULL): the same aggregate over WHERE false, always one row.
    empty = buildSelect(ctx, { ...sub, targetList: [target(value, 'v')], whereClause: { A_Const: { boolval: { boolval: false } } } }, env, null).node;
  } catch (raw) {
    if (isUnknownColumn(raw)) sublinkFail('correlated reference outside the WHERE equalities of a scalar subquery', link);
    throw raw;
  }
  const gKeys = g.columns.slice(0, keys.length);
  const gValue = g.columns[keys.length]!;
  const eValue = empty.columns[0]!;
  const bindOuter = (ast: PgNode): Expr => {
    try {
      return outer.bind(ast);
    } catch (raw) {
      if (isUnknownColumn(raw)) sublinkFail('correlated scalar subquery whose correlation is not `inner = outer`', link);
      throw raw;
    }
  };
  const on = bindOuter(AND(keys.map((k, i) => ({ A_Expr: { kind: 'AEXPR_OP', name: k.op, lexpr: k.outer, rexpr: boundRef(gKeys[i]!.id) } }))));
  const caseAst: PgNode = {
    CaseExpr: {
      args: [{ CaseWhen: { expr: { NullTest: { arg: boundRef(gKeys[0]!.id), nulltesttype: 'IS_NULL' } }, result: boundRef(eValue.id) } }],
      defresult: boundRef(gValue.id),
    },
  };
  return {
    value: caseAst,
    attach: (n) => makeJoin(makeOuterJoin('left', n, g, on, ctx.col('scalar_key', 'bigint')), empty, null),
    ids: [gKeys[0]!.id, eValue.id, gValue.id],
  };
}
