/**
 * LEFT / FULL outer join (RIGHT is LEFT with the sides swapped), maintained
 * as the union of its parts, each of which is an exact operator already:
 *
 *   L ⟕ R  =  (L ⋈ R)  ∪  Pad(L ▷ R)
 *   L ⟗ R  =  (L ⋈ R)  ∪  Pad(L ▷ R)  ∪  Pad(R ▷ L)
 *
 * where ▷ is the anti-join on the same ON condition (ops/semi-join.ts) and Pad
 * adds the other side's columns as NULLs. A left row that gains its first
 * match leaves the anti-join (its NULL-padded row is deleted) as its joined
 * rows enter the inner part; one that loses its last match comes back. ON
 * conditions of any shape (non-equi, on one side only, NULL keys) mean what
 * they mean in PostgreSQL because each part evaluates the same condition.
 *
 * Identity: (part number, part identity) hashed into `branchKey`, as for
 * UNION ALL — the inner part is identified by both sides' keys, a padded row
 * by its own side's key. Cost: the inner join's delta plus the anti-join's
 * (match counting: the matching rows of the changed keys are re-read).
 */
import type { Col, Expr, OpNode, OuterJoinNode } from '../ir.ts';
import { relColumns } from '../ir.ts';
import { exprText } from '../emit/expr.ts';
import { WEIGHT, passThrough } from '../emit/sql.ts';
import type { EmitContext } from '../emit/context.ts';
import { makeJoin } from './join.ts';
import { makePad } from './pad.ts';
import { makeSemiJoin } from './semi-join.ts';
import { makeUnionAll } from './union-all.ts';
import type { OpRules } from './rules.ts';

/**
 * `columns` = the user-visible order (for RIGHT JOIN, the right side's columns
 * first); defaults to left then right.
 */
export function makeOuterJoin(
  type: 'left' | 'full',
  left: OpNode,
  right: OpNode,
  condition: Expr | null,
  branchKey: Col,
  order: readonly Col[] | null = null,
): OuterJoinNode {
  const have = new Set([...left.columns, ...right.columns].map((c) => c.id));
  const columns = order ? order.filter((c) => have.has(c.id)) : [...left.columns, ...right.columns];
  return { kind: 'OuterJoin', type, left, right, condition, columns, branchKey, key: left.key && right.key ? [branchKey] : null };
}

const expansions = new WeakMap<OuterJoinNode, OpNode>();

/** The union of parts this node stands for (built once per node). */
export function expandOuterJoin(n: OuterJoinNode): OpNode {
  let e = expansions.get(n);
  if (!e) {
    const inner = makeJoin(n.left, n.right, n.condition);
    const branches = [
      { node: inner, columns: n.columns },
      { node: makePad(makeSemiJoin(n.left, n.right, n.condition, true), n.right, relColumns(n.right), n.columns), columns: n.columns },
    ];
    if (n.type === 'full') {
      branches.push({ node: makePad(makeSemiJoin(n.right, n.left, n.condition, true), n.left, relColumns(n.left), n.columns), columns: n.columns });
    }
    e = makeUnionAll(branches, n.columns, n.branchKey);
    expansions.set(n, e);
  }
  return e;
}

function select(n: OuterJoinNode, from: string, weighted: boolean): string {
  const items = passThrough('o', relColumns(n));
  if (weighted) items.push(`o.${WEIGHT}`);
  return `SELECT ${items.join(', ')}\n  FROM ${from}`;
}

export const outerJoinRules: OpRules<'OuterJoin'> = {
  children: (n) => [n.left, n.right],
  describe: (n) =>
    `${n.type === 'full' ? 'FullJoin' : 'LeftJoin'} ON ${n.condition ? exprText(n.condition) : 'true'} ` +
    `[inner join + NULL-padded unmatched ${n.type === 'full' ? 'rows of both sides' : 'left rows'} (anti-join, match counting)]` +
    (n.key ? ` key(${n.branchKey.id})` : ' keyless'),
  prune: (n, need, recurse) => {
    const all = new Set([...need, ...(n.condition?.refs ?? [])]);
    return makeOuterJoin(n.type, recurse(n.left, all), recurse(n.right, all), n.condition, n.branchKey, n.columns);
  },
  mapChildren: (n, f) => makeOuterJoin(n.type, f(n.left), f(n.right), n.condition, n.branchKey, n.columns),
  current: (n, ctx: EmitContext) => ctx.current(expandOuterJoin(n)),
  delta: (n, ctx: EmitContext) => select(n, `${ctx.delta(expandOuterJoin(n))} AS o`, true),
};
