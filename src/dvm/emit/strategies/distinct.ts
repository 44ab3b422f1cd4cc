/**
 * Distinct at the top: storage keeps each distinct row once with its
 * multiplicity in the child (`__pgt_count`); row id = hash of the row. The
 * delta adds the net change per row to the stored count: 0 → >0 inserts,
 * >0 → 0 deletes, otherwise the count is updated. Cost: |ΔX| index lookups.
 */
import { ident } from '../../../sql/ident.ts';
import { DvmInternalError } from '../../errors.ts';
import type { DistinctNode } from '../../ir.ts';
import { netPerRow } from '../../ops/distinct.ts';
import { colRef, fn, op, sub } from '../sql.ts';
import { ACTION, ROW_ID, rowIdExpr, type Root, type StrategyRules } from './types.ts';

export const COUNT = '__pgt_count';

function distinctRoot(root: Root): DistinctNode {
  if (root.node.kind !== 'Distinct') throw new DvmInternalError('distinct strategy on a non-Distinct root');
  return root.node;
}

export const distinctStrategy: StrategyRules = {
  name: 'distinct',
  hiddenColumns: () => [{ name: COUNT, type: 'bigint' }],
  fullSelect: (root, ctx) => {
    const n = distinctRoot(root);
    const cols = n.columns.map((c) => colRef('r', c));
    return `SELECT ${[
      `${rowIdExpr(n.key, 'r')} AS ${ROW_ID}`,
      ...n.columns.map((c, i) => `${colRef('r', c)} AS ${ident(root.outputNames[i]!)}`),
      `${fn('count')}(*) AS ${COUNT}`,
    ].join(', ')}\n  FROM ${sub(ctx.current(n.child), 'r')}\n GROUP BY ${cols.join(', ')}`;
  },
  deltaSelect: (root, ctx) => {
    const n = distinctRoot(root);
    const net = netPerRow(n, ctx);
    const merged = `SELECT k.*,
       (COALESCE(s.${COUNT}, 0) ${op('+')} k.__pgt_dn)::bigint AS __pgt_new,
       s.${ROW_ID} IS NOT NULL AS __pgt_had
  FROM ${net} AS k
  LEFT JOIN ${ctx.storage} AS s ON s.${ROW_ID} ${op('=')} ${rowIdExpr(n.key, 'k')}`;
    return `SELECT ${[
      `${rowIdExpr(n.key, 'x')} AS ${ROW_ID}`,
      `CASE WHEN x.__pgt_new ${op('>')} 0 THEN 'I' ELSE 'D' END AS ${ACTION}`,
      ...n.columns.map((c, i) => `${colRef('x', c)} AS ${ident(root.outputNames[i]!)}`),
      `x.__pgt_new AS ${COUNT}`,
    ].join(', ')}
  FROM ${sub(merged, 'x')}
 WHERE x.__pgt_dn ${op('<>')} 0 AND (x.__pgt_new ${op('>')} 0 OR x.__pgt_had)`;
  },
};
