/**
 * The state X₀ = X₁ − ΔX of a node before the change window, restricted to
 * some rows of interest, as a relation with real multiplicities: the rows an
 * operator that must *recompute* (a group rescan inside a plan, a window
 * partition) needs for its "before" image.
 *
 * X₁'s rows of interest (weight +1) and the delta (weight −w) are consolidated
 * per value of the columns used (GROUP BY those columns: they need an equality
 * operator) and each value is repeated by its net count. Cost: the rows of
 * interest plus |ΔX|. A json column (no equality operator) is consolidated by
 * its text.
 */
import { ident } from '../../sql/ident.ts';
import type { Col } from '../ir.ts';
import { WEIGHT, colRef, fn, op, passThrough, sub } from '../emit/sql.ts';

/**
 * @param current  SELECT of X₁'s rows of interest (exposes `cols`)
 * @param delta    name of ΔX's CTE (exposes `cols` and the weight)
 */
export function preStateRows(cols: readonly Col[], current: string, delta: string): string {
  // json has no equality operator: such a column is consolidated by its text, any one copy kept.
  const noEquality = (c: Col): boolean => c.type === 'json';
  const list = cols.map((c) => (noEquality(c) ? `(${fn('array_agg')}(${colRef('u', c)}))[1] AS ${ident(c.id)}` : `${colRef('u', c)} AS ${ident(c.id)}`));
  const names = cols.map((c) => (noEquality(c) ? `(${colRef('u', c)})::text` : colRef('u', c)));
  const union = `SELECT ${[...passThrough('t', cols), '1::bigint AS __pgt_o'].join(', ')}\n  FROM ${sub(current, 't')}
UNION ALL
SELECT ${[...passThrough('d', cols), `${op('-')} d.${WEIGHT} AS __pgt_o`].join(', ')}\n  FROM ${delta} AS d`;
  const consolidated = `SELECT ${[...list, `${fn('sum')}(u.__pgt_o) AS __pgt_m`].join(', ')}
  FROM ${sub(union, 'u')}${names.length ? `\n GROUP BY ${names.join(', ')}` : ''}
HAVING ${fn('sum')}(u.__pgt_o) ${op('>')} 0`;
  const out = cols.map((c) => `x.${ident(c.id)}`);
  return `SELECT ${out.length ? out.join(', ') : '1 AS __pgt_one'}
  FROM ${sub(consolidated, 'x')}
 CROSS JOIN LATERAL ${fn('generate_series')}(1, x.__pgt_m) AS __pgt_copies`;
}
