/**
 * The root of a defining query: a TopK (`ORDER BY … LIMIT n [OFFSET m]`,
 * FETCH FIRST) becomes a TopK node over the query without its ORDER BY and
 * LIMIT; anything else is built as is. The restriction walker has checked
 * that LIMIT/OFFSET are constants and that an ORDER BY is present.
 */
import { bodyOf, canonical, type PgBody, type PgNode } from '../ast.ts';
import { UnsupportedQueryError } from '../errors.ts';
import type { SortKey } from '../ir.ts';
import { makeTopK } from '../ops/topk.ts';
import type { BuildContext } from './context.ts';
import { buildSelect, type Built } from './select.ts';

export function buildRoot(ctx: BuildContext, sel: PgBody, rootTypes: readonly string[]): Built {
  if (!sel.limitCount) return buildSelect(ctx, sel, null, rootTypes);
  const { sortClause, limitCount, limitOffset, limitOption, ...rest } = sel;
  const built = buildSelect(ctx, rest, null, rootTypes);
  const targets: PgNode[] = (sel.targetList ?? []).map((t: PgNode) => bodyOf(t).val as PgNode);
  // A constant sort key orders nothing; pg_get_viewdef (the stored query) spells `ORDER BY o1` over `3 AS o1` as `ORDER BY 3::integer`.
  // (A bare integer is a position; under a cast it is a constant.)
  const constant = (n: PgNode): boolean => n.A_Const !== undefined || (n.TypeCast !== undefined && constant(n.TypeCast.arg));
  const isConstant = (n: PgNode): boolean => (n.A_Const !== undefined && n.A_Const.ival === undefined) || (n.TypeCast !== undefined && constant(n.TypeCast.arg));
  const order: SortKey[] = (sortClause as PgNode[]).filter((s) => !isConstant(bodyOf(s).node as PgNode)).map((s) => {
    const sort = bodyOf(s);
    const node = sort.node as PgNode;
    const loc = bodyOf(node).location ?? null;
    let index = -1;
    if (node.A_Const?.ival !== undefined) index = Number(node.A_Const.ival.ival ?? 0) - 1;
    else if (node.ColumnRef && node.ColumnRef.fields.length === 1 && node.ColumnRef.fields[0].String) {
      const name = String(node.ColumnRef.fields[0].String.sval);
      const hits = built.names.flatMap((n, i) => (n === name ? [i] : []));
      if (hits.length > 1) throw new UnsupportedQueryError('ambiguous_column', `ORDER BY ${name}`, loc);
      index = hits[0] ?? -1;
    }
    // Not an output name or position: the same expression as a SELECT-list entry (not through `*`).
    if (index < 0 && targets.length === built.names.length) index = targets.findIndex((t) => canonical(t) === canonical(node));
    const col = built.node.columns[index];
    if (!col) throw new UnsupportedQueryError('topk_order', 'an ORDER BY item that is not an output column', loc);
    const desc = sort.sortby_dir === 'SORTBY_DESC';
    const nullsFirst = sort.sortby_nulls === 'SORTBY_NULLS_FIRST' || (sort.sortby_nulls !== 'SORTBY_NULLS_LAST' && desc);
    return { col, desc, nullsFirst };
  });
  const limit = Number(limitCount.A_Const.ival.ival ?? 0);
  const offset = limitOffset ? Number(limitOffset.A_Const.ival.ival ?? 0) : 0;
  return { node: makeTopK(built.node, order, limit, offset, limitOption === 'LIMIT_OPTION_WITH_TIES'), names: built.names };
}
