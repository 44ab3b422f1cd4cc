/**
 * Pass `push-down`: move WHERE and ON conjuncts to the lowest inner join or
 * scan that provides all their columns. A comma join `FROM a, b WHERE a.k = b.k`
 * becomes `a JOIN b ON a.k = b.k`, so each join part of the delta is driven by
 * its delta through the join key instead of a cross product. Valid because
 * every join here is inner and every expression non-volatile.
 */
import type { Expr, OpNode } from '../ir.ts';
import { relColumns } from '../ir.ts';
import { exprOf } from '../emit/expr.ts';
import { makeFilter } from '../ops/filter.ts';
import { makeJoin } from '../ops/join.ts';
import { rulesOf } from '../ops/index.ts';
import type { PgNode } from '../ast.ts';

function conjuncts(expr: Expr): Expr[] {
  const ast = expr.ast;
  if (ast.BoolExpr?.boolop === 'AND_EXPR') return (ast.BoolExpr.args as PgNode[]).flatMap((a) => conjuncts(exprOf(a)));
  return [expr];
}

function conjoin(parts: readonly Expr[]): Expr | null {
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0]!;
  return exprOf({ BoolExpr: { boolop: 'AND_EXPR', args: parts.map((p) => p.ast) } });
}

function provides(node: OpNode, e: Expr): boolean {
  const ids = new Set(relColumns(node).map((c) => c.id));
  return e.refs.length > 0 && e.refs.every((r) => ids.has(r));
}

/** Place conjuncts on `node` (already pushed down itself). */
function place(node: OpNode, preds: readonly Expr[]): OpNode {
  if (preds.length === 0) return node;
  if (node.kind === 'Join') {
    const toLeft = preds.filter((p) => provides(node.left, p));
    const toRight = preds.filter((p) => !toLeft.includes(p) && provides(node.right, p));
    const rest = preds.filter((p) => !toLeft.includes(p) && !toRight.includes(p));
    const cond = conjoin([...(node.condition ? conjuncts(node.condition) : []), ...rest]);
    return makeJoin(place(node.left, toLeft), place(node.right, toRight), cond);
  }
  if (node.kind === 'Filter') return makeFilter(node.child, conjoin([...conjuncts(node.predicate), ...preds])!);
  return makeFilter(node, conjoin(preds)!);
}

export function pushDown(node: OpNode): OpNode {
  if (node.kind === 'Filter') return place(pushDown(node.child), conjuncts(node.predicate));
  if (node.kind === 'Join') {
    const left = pushDown(node.left);
    const right = pushDown(node.right);
    return place(makeJoin(left, right, null), node.condition ? conjuncts(node.condition) : []);
  }
  return rulesOf(node).mapChildren(node, pushDown);
}

