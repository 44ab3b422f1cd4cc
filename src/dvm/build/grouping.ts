/**
 * GROUP BY / aggregates / HAVING → Aggregate (+ Filter) under the SELECT list.
 *
 * Group expressions are bound in the FROM scope; SELECT-list and HAVING
 * expressions are rewritten so that (a) every supported aggregate call becomes
 * a reference to an aggregate output column and (b) every sub-expression equal
 * (after binding) to a group expression becomes a reference to that group
 * column. A column reference left over is not grouped: rejected (PostgreSQL's
 * functional-dependency rule is not reproduced).
 */
import { bodyOf, canonical, funcName, kindOf, type PgBody, type PgNode } from '../ast.ts';
import { UnsupportedQueryError } from '../errors.ts';
import { boundId, boundRef, exprOf } from '../emit/expr.ts';
import type { AggCall, AggFunction, Col, Expr, GroupItem, OpNode } from '../ir.ts';
import { makeAggregate } from '../ops/aggregate.ts';
import { makeFilter } from '../ops/filter.ts';
import { aggregateKind, isAggregateCall, isUserAggregate } from '../restrict.ts';
import type { BuildContext } from './context.ts';
import type { Scope } from './scope.ts';

interface GroupedInput {
  node: OpNode;
  scope: Scope;
  targets: readonly { name: string; ast: PgNode }[];
  groupClause: readonly PgNode[];
  having: PgNode | null;
  rootTypes: readonly string[] | null;
  /** Joins relations above the aggregate, below HAVING (scalar subqueries, build/sublinks.ts). */
  above?: (node: OpNode) => OpNode;
  /** Columns of those relations: one value per row, allowed outside GROUP BY. */
  values?: ReadonlySet<string>;
}

interface AggDraft {
  col: Col;
  fn: AggFunction;
  arg: Expr | null;
  filter: Expr | null;
  call: Expr | null;
  canon: string;
}

/**
 * Which maintenance an aggregate call gets: COUNT/SUM/AVG over one plain
 * argument are algebraic, MIN/MAX extreme (when the argument's type is known,
 * it types the stored state), everything else a group rescan.
 */
function classify(call: PgBody, userAggregates: ReadonlySet<string>): 'count' | 'sum' | 'avg' | 'min' | 'max' | 'rescan' {
  if (isUserAggregate(call, userAggregates)) return 'rescan';
  const kind = aggregateKind(call);
  const nargs = (call.args ?? []).length;
  const plain = !call.agg_within_group && !call.func_variadic && (call.agg_star ? nargs === 0 : nargs === 1);
  if (kind === 'supported' && plain && !call.agg_distinct && !call.agg_order?.length) return funcName(call) as 'count' | 'sum' | 'avg';
  // DISTINCT and ORDER BY do not change a MIN/MAX.
  if (kind === 'min_max' && plain && !call.agg_star) return funcName(call) as 'min' | 'max';
  return 'rescan';
}

const NOT_EXPRESSIONS = new Set(['String', 'Integer', 'Float', 'Boolean', 'BitString', 'TypeName', 'List', 'A_Star', 'A_Indices']);

/** Aggregate state type: exact for integer/numeric inputs (see aggregates/avg.ts). */
function sumTypeFor(fn: AggFunction, argType: string | null, hint: string | null): string | null {
  if (fn === 'count') return null;
  const t = (argType ?? '').toLowerCase();
  const isNumeric = t === 'numeric' || t.startsWith('numeric(');
  if (fn === 'sum') {
    if (t === 'smallint' || t === 'integer') return 'bigint';
    if (t === 'bigint' || isNumeric) return 'numeric';
    if (t === 'real' || t === 'double precision' || t === 'interval' || t === 'money') return t;
    return hint ?? 'numeric';
  }
  if (t === 'smallint' || t === 'integer' || t === 'bigint' || isNumeric) return 'numeric';
  if (t === 'real' || t === 'double precision') return 'double precision';
  if (t === 'interval') return 'interval';
  return hint === 'double precision' || hint === 'interval' ? hint : 'numeric';
}

function valueType(fn: AggFunction, sumType: string | null): string {
  if (fn === 'count') return 'bigint';
  return sumType!;
}

export function buildGrouped(ctx: BuildContext, input: GroupedInput): { node: OpNode; targets: Expr[] } {
  const { scope, targets } = input;

  // Group expressions: ordinals and output aliases resolve to SELECT-list expressions.
  const groups: GroupItem[] = [];
  const groupByCanon = new Map<string, Col>();
  for (const g of input.groupClause) {
    let ast = g;
    const ival = g.A_Const?.ival;
    if (g.A_Const && ival !== undefined) {
      const n = Number(ival.ival ?? 0);
      const t = targets[n - 1];
      if (!t) throw new UnsupportedQueryError('unknown_column', `GROUP BY position ${n}`, g.A_Const.location ?? null);
      ast = t.ast;
    } else if (g.ColumnRef && (g.ColumnRef.fields as PgNode[]).length === 1) {
      const name = String(g.ColumnRef.fields[0].String?.sval);
      try {
        scope.bind(g);
      } catch {
        const t = targets.find((x) => x.name === name);
        if (t) ast = t.ast;
      }
    }
    const expr = scope.bind(ast);
    const canon = canonical(expr.ast);
    if (groupByCanon.has(canon)) continue;
    const col = ctx.col(ctx.figureName(expr.ast), ctx.typeOf(expr));
    groupByCanon.set(canon, col);
    groups.push({ col, expr });
  }

  const aggs: AggDraft[] = [];
  const userAggregates = new Set(ctx.input.userAggregates ?? []);
  const rewrite = (ast: PgNode): Expr => {
    const out = scope.bind(ast, (node) => {
      const kind = kindOf(node);
      if (kind === 'FuncCall' && isAggregateCall(bodyOf(node), userAggregates)) return boundRef(registerAggregate(node).col.id);
      if (NOT_EXPRESSIONS.has(kind)) return undefined;
      const valueId = boundId(node);
      if (valueId !== null && input.values?.has(valueId)) return node;
      let bound: Expr | null = null;
      try {
        bound = scope.bind(node);
      } catch {
        bound = null;
      }
      if (bound) {
        const group = groupByCanon.get(canonical(bound.ast));
        if (group) return boundRef(group.id);
      }
      if (kind === 'ColumnRef') {
        const name = boundId(node) !== null ? ctx.lookup(boundId(node)!)?.name : (node.ColumnRef.fields as PgNode[]).map((f) => f.String?.sval).join('.');
        throw new UnsupportedQueryError('ungrouped_column', name ?? null, node.ColumnRef.location ?? null);
      }
      return undefined;
    });
    return out;
  };

  const registerAggregate = (node: PgNode): AggDraft => {
    const call = bodyOf(node) as PgBody;
    const fn = classify(call, userAggregates);
    if (fn === 'rescan') {
      const bound = scope.bind(node);
      const canon = canonical({ fn, call: bound.ast });
      const existing = aggs.find((a) => a.canon === canon);
      if (existing) return existing;
      const draft: AggDraft = { col: ctx.col(funcName(call), null), fn, arg: null, filter: null, call: bound, canon };
      aggs.push(draft);
      return draft;
    }
    const arg = call.agg_star ? null : scope.bind(call.args[0]);
    const filter = call.agg_filter ? scope.bind(call.agg_filter) : null;
    const canon = canonical({ fn, arg: arg?.ast ?? null, filter: filter?.ast ?? null });
    const existing = aggs.find((a) => a.canon === canon);
    if (existing) return existing;
    // MIN/MAX keep their whole call in case their type stays unknown (then they are rescanned).
    const whole = fn === 'min' || fn === 'max' ? scope.bind(node) : null;
    const draft: AggDraft = { col: ctx.col(fn, null), fn, arg, filter, call: whole, canon };
    aggs.push(draft);
    return draft;
  };

  const rewritten = targets.map((t) => rewrite(t.ast));
  const having = input.having ? rewrite(input.having) : null;

  // A SELECT-list entry that is exactly one aggregate tells that aggregate's result type.
  const hints = new Map<string, string>();
  rewritten.forEach((e, i) => {
    const id = boundId(e.ast);
    const t = input.rootTypes?.[i];
    if (id !== null && t) hints.set(id, t);
  });
  const calls: AggCall[] = aggs.map((d) => {
    const hint = hints.get(d.col.id) ?? null;
    if (d.fn === 'rescan') {
      const name = funcName(bodyOf(d.call!.ast));
      return { col: ctx.retype(d.col, hint ?? (name.startsWith('json_') ? 'json' : null)), fn: d.fn, arg: null, filter: null, call: d.call, sumType: null };
    }
    if (d.fn === 'min' || d.fn === 'max') {
      const type = (d.arg ? ctx.typeOf(d.arg) : null) ?? hint;
      // Without a known type the extreme cannot be stored: rescan the group instead.
      if (type === null) {
        return { col: ctx.retype(d.col, null), fn: 'rescan', arg: null, filter: null, call: d.call, sumType: null };
      }
      return { col: ctx.retype(d.col, type), fn: d.fn, arg: d.arg, filter: d.filter, call: null, sumType: type };
    }
    const sumType = sumTypeFor(d.fn, d.arg ? ctx.typeOf(d.arg) : null, hint);
    return { col: ctx.retype(d.col, valueType(d.fn, sumType)), fn: d.fn, arg: d.arg, filter: d.filter, call: null, sumType };
  });

  let node: OpNode = makeAggregate(input.node, groups, calls);
  if (input.above) node = input.above(node);
  if (having) node = makeFilter(node, having);
  return { node, targets: rewritten.map((e) => exprOf(e.ast)) };
}
