/**
 * TopK: `ORDER BY … LIMIT n [OFFSET m]` (FETCH FIRST n ROWS [ONLY | WITH
 * TIES]) at the root of a plan. Maintained by boundary recompute (the topk
 * strategy): when the child changed, the first n+m rows of the current child
 * in the TopK order are read again — with an index on the ORDER BY keys that
 * is n+m rows, otherwise the child's whole input — and compared with the
 * stored rows by row id.
 *
 * Tie rule: rows whose ORDER BY keys are equal are ordered by the remaining
 * output columns, in order, ascending, NULLS LAST; rows equal in every output
 * column are interchangeable copies. So the table keeps exactly PostgreSQL's
 * rows when the ORDER BY is a total order, and otherwise one of the answers
 * PostgreSQL may give, always the same one. WITH TIES needs no tie-break
 * (every row tied with the last is kept).
 */
import { ident } from '../../sql/ident.ts';
import { DvmInternalError } from '../errors.ts';
import type { Col, OpNode, SortKey, TopKNode } from '../ir.ts';
import { colRef, sub } from '../emit/sql.ts';
import type { OpRules } from './rules.ts';

export function makeTopK(child: OpNode, order: readonly SortKey[], limit: number, offset: number, withTies: boolean): TopKNode {
  return { kind: 'TopK', child, order, limit, offset, withTies, columns: child.columns, key: null };
}

function orderBy(n: TopKNode, alias: string): string {
  const keys = n.order.map((k) => `${colRef(alias, k.col)} ${k.desc ? 'DESC' : 'ASC'} NULLS ${k.nullsFirst ? 'FIRST' : 'LAST'}`);
  if (!n.withTies) {
    const used = new Set(n.order.map((k) => k.col.id));
    for (const c of n.columns) if (!used.has(c.id)) keys.push(`${colRef(alias, c)} ASC NULLS LAST`);
  }
  return keys.join(', ');
}

/** The kept rows of the current child, in TopK order. */
export function topkSelect(n: TopKNode, child: string): string {
  const cols = n.columns.map((c: Col) => `t.${ident(c.id)}`);
  if (n.withTies && n.order.length === 0) {
    // Every ORDER BY key was a constant (dropped by the builder): all rows are tied with the last, so
    // WITH TIES keeps every row (none for FETCH FIRST 0). `ORDER BY` with no key would be a syntax error.
    return `SELECT ${cols.join(', ')}\n  FROM ${sub(child, 't')}${n.limit > 0 ? '' : '\n LIMIT 0'}`;
  }
  const limit = n.withTies ? `FETCH FIRST ${n.limit} ROWS WITH TIES` : `LIMIT ${n.limit}${n.offset ? ` OFFSET ${n.offset}` : ''}`;
  return `SELECT ${cols.join(', ')}\n  FROM ${sub(child, 't')}\n ORDER BY ${orderBy(n, 't')}\n ${limit}`;
}

export const topkRules: OpRules<'TopK'> = {
  children: (n) => [n.child],
  describe: (n) =>
    `TopK ORDER BY ${n.order.map((k) => `${k.col.id}${k.desc ? ' DESC' : ''} NULLS ${k.nullsFirst ? 'FIRST' : 'LAST'}`).join(', ')} ` +
    `${n.withTies ? `FETCH FIRST ${n.limit} WITH TIES` : `LIMIT ${n.limit}${n.offset ? ` OFFSET ${n.offset}` : ''}`} (boundary recompute: the first n+m rows re-read when the input changed)`,
  prune: (n, _need, recurse) => makeTopK(recurse(n.child, new Set(n.columns.map((c) => c.id))), n.order, n.limit, n.offset, n.withTies),
  mapChildren: (n, f) => makeTopK(f(n.child), n.order, n.limit, n.offset, n.withTies),
  current: (n, ctx) => topkSelect(n, ctx.current(n.child)),
  delta: () => {
    // The restriction walker allows LIMIT only at the top, where the topk strategy maintains it.
    throw new DvmInternalError('TopK has no delta inside a plan');
  },
};
