/**
 * Filter (WHERE, HAVING): σ is linear, Δσ(X) = σ(ΔX). Each weighted image is
 * tested on its own values, so an UPDATE crossing the predicate yields a lone
 * −old or +new.
 */
import type { Expr, FilterNode, OpNode } from '../ir.ts';
import { relColumns } from '../ir.ts';
import { exprSql, exprText, fromAlias } from '../emit/expr.ts';
import { WEIGHT, passThrough, sub } from '../emit/sql.ts';
import type { OpRules } from './rules.ts';

export function makeFilter(child: OpNode, predicate: Expr): FilterNode {
  return { kind: 'Filter', child, predicate, columns: child.columns, key: child.key };
}

export const filterRules: OpRules<'Filter'> = {
  children: (n) => [n.child],
  describe: (n) => `Filter ${exprText(n.predicate)}`,
  prune: (n, need, recurse) => makeFilter(recurse(n.child, new Set([...need, ...n.predicate.refs])), n.predicate),
  mapChildren: (n, f) => makeFilter(f(n.child), n.predicate),
  current: (n, ctx) =>
    `SELECT ${passThrough('t', relColumns(n)).join(', ')}\n  FROM ${sub(ctx.current(n.child), 't')}\n WHERE ${exprSql(n.predicate, fromAlias('t'))}`,
  delta: (n, ctx) =>
    `SELECT ${[...passThrough('t', relColumns(n)), `t.${WEIGHT}`].join(', ')}\n  FROM ${ctx.delta(n.child)} AS t\n WHERE ${exprSql(n.predicate, fromAlias('t'))}`,
};
