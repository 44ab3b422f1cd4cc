/**
 * Window functions in the SELECT list → a Window node under the Project.
 * Each call (`f(…) OVER (…)`, already bound; inside a grouped query its
 * aggregates and group expressions are bound to the Aggregate's columns) is
 * replaced by a reference to its own column, so a window function may sit
 * inside any expression.
 */
import { bodyOf, funcName, mapNodes, type PgNode } from '../ast.ts';
import { UnsupportedQueryError } from '../errors.ts';
import { boundId, boundRef, exprOf } from '../emit/expr.ts';
import type { Expr, OpNode, ProjectItem, WindowCall } from '../ir.ts';
import { makeWindow, sharedPartition } from '../ops/window.ts';
import type { BuildContext } from './context.ts';

/** Functions whose value depends on the order among peers of the window ORDER BY. */
const PEER_ORDER_SENSITIVE = new Set(['row_number', 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'nth_value']);
/** FRAMEOPTION_ROWS (PostgreSQL's nodes/parsenodes.h): a ROWS frame counts rows, so peers' order matters. */
const FRAME_ROWS = 0x4;

const RESULT_TYPE: Record<string, string> = {
  row_number: 'bigint', rank: 'bigint', dense_rank: 'bigint', ntile: 'integer', count: 'bigint',
  percent_rank: 'double precision', cume_dist: 'double precision',
};

export function containsWindow(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(containsWindow);
  const obj = value as Record<string, unknown>;
  if (obj.FuncCall && (obj.FuncCall as { over?: unknown }).over) return true;
  return Object.values(obj).some(containsWindow);
}

export function buildWindows(ctx: BuildContext, child: OpNode, items: readonly ProjectItem[]): { node: OpNode; items: ProjectItem[] } {
  if (!items.some((i) => containsWindow(i.expr.ast))) return { node: child, items: [...items] };
  const calls: WindowCall[] = [];
  const partitions: Expr[][] = [];
  const keyIds = child.key?.map((k) => k.id) ?? null;
  const out = items.map((item) => {
    const ast = mapNodes(item.expr.ast, (node) => {
      const call = node.FuncCall;
      if (!call?.over) return undefined;
      const name = funcName(call);
      const over = call.over;
      const orderIds = (over.orderClause ?? []).map((s: PgNode) => boundId(bodyOf(s).node as PgNode));
      const sensitive = PEER_ORDER_SENSITIVE.has(name) || ((over.frameOptions ?? 0) & FRAME_ROWS) !== 0;
      if (sensitive && (keyIds === null || !keyIds.every((id) => orderIds.includes(id)))) {
        throw new UnsupportedQueryError(
          'window_order',
          `${name}(…) OVER (…) without the input's ${keyIds === null ? 'key (the input has none: a keyless source feeds it)' : 'key columns'} in its ORDER BY`,
          call.location ?? null,
        );
      }
      const direct = boundId(item.expr.ast) === null && item.expr.ast.FuncCall === call;
      const col = ctx.col(name, direct && item.cast ? item.cast : RESULT_TYPE[name] ?? null);
      calls.push({ col, call: exprOf(node) });
      partitions.push((over.partitionClause ?? []).map((p: PgNode) => exprOf(p)));
      return boundRef(col.id);
    }) as PgNode;
    return { ...item, expr: exprOf(ast) };
  });
  return { node: makeWindow(child, calls, sharedPartition(partitions)), items: out };
}
