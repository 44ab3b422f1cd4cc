/**
 * Distinct (SELECT DISTINCT) inside a plan. A distinct row's multiplicity in
 * the child is counted: the row appears when its count goes 0 → >0 and
 * disappears when it goes >0 → 0. The current count is looked up per changed
 * row (NULL-safe on every column); the old count is current − Σw.
 * At the top of a plan the distinct strategy keeps the count in storage instead.
 */
import type { DistinctNode, OpNode } from '../ir.ts';
import { WEIGHT, and, colRef, fn, nullSafeEq, op, passThrough, sub } from '../emit/sql.ts';
import type { EmitContext } from '../emit/context.ts';
import type { OpRules } from './rules.ts';

export function makeDistinct(child: OpNode): DistinctNode {
  return { kind: 'Distinct', child, columns: child.columns, key: child.columns };
}

/** `SELECT cols, Σw AS __pgt_dn FROM Δchild GROUP BY cols` — the net change per distinct row. */
export function netPerRow(n: DistinctNode, ctx: EmitContext): string {
  const cols = n.columns.map((c) => colRef('d', c));
  return ctx.define(
    'distnet',
    `SELECT ${[...passThrough('d', n.columns), `${fn('sum')}(d.${WEIGHT}) AS __pgt_dn`].join(', ')}\n  FROM ${ctx.delta(n.child)} AS d${cols.length ? `\n GROUP BY ${cols.join(', ')}` : ''}`,
  );
}

function delta(n: DistinctNode, ctx: EmitContext): string {
  const net = netPerRow(n, ctx);
  const match = and(n.columns.map((c) => nullSafeEq(colRef('t', c), colRef('k', c))));
  const counted = `SELECT k.*, (SELECT ${fn('count')}(*) FROM ${sub(ctx.current(n.child), 't')} WHERE ${match}) AS __pgt_now\n  FROM ${net} AS k\n WHERE k.__pgt_dn ${op('<>')} 0`;
  return `SELECT ${[...passThrough('x', n.columns), `(CASE WHEN x.__pgt_now ${op('>')} 0 THEN 1 ELSE -1 END)::bigint AS ${WEIGHT}`].join(', ')}
  FROM ${sub(counted, 'x')}
 WHERE (x.__pgt_now ${op('>')} 0) ${op('<>')} ((x.__pgt_now ${op('-')} x.__pgt_dn) ${op('>')} 0)`;
}

export const distinctRules: OpRules<'Distinct'> = {
  children: (n) => [n.child],
  describe: (n) => `Distinct [${n.columns.map((c) => c.id).join(', ')}]`,
  prune: (n, _need, recurse) => makeDistinct(recurse(n.child, new Set(n.child.columns.map((c) => c.id)))),
  mapChildren: (n, f) => makeDistinct(f(n.child)),
  current: (n, ctx) => `SELECT DISTINCT ${passThrough('t', n.columns).join(', ')}\n  FROM ${sub(ctx.current(n.child), 't')}`,
  delta,
};

