/**
 * TopK at the root (ops/topk.ts): storage holds exactly the kept rows, with
 * row id = hash(content, copy number among equal contents), so a plain
 * SELECT reads the result. When the child's delta is not empty the kept rows
 * are recomputed (boundary recompute: the first n+m rows of the child in
 * TopK order) and compared with storage by row id: new ids are inserted,
 * stored ids no longer kept are deleted. Cost: the TopK query (n+m rows with
 * an index on the ORDER BY keys, else the child's input) plus the n stored
 * rows; a refresh whose delta is empty reads neither.
 */
import { ident } from '../../../sql/ident.ts';
import { DvmInternalError } from '../../errors.ts';
import type { TopKNode } from '../../ir.ts';
import { topkSelect } from '../../ops/topk.ts';
import type { EmitContext } from '../context.ts';
import { colRef, fn, hashOf, identityValue, op, sub } from '../sql.ts';
import { ACTION, ROW_ID, type Root, type StrategyRules } from './types.ts';

function topkRoot(root: Root): TopKNode {
  if (root.node.kind !== 'TopK') throw new DvmInternalError('topk strategy on a non-TopK root');
  return root.node;
}

/** The kept rows with their row ids, named as storage columns. */
function keptRows(root: Root, ctx: EmitContext): string {
  const n = topkRoot(root);
  const copy = `${fn('row_number')}() OVER (PARTITION BY ${n.columns.map((c) => colRef('k', c)).join(', ')})`;
  const rowId = hashOf([...n.columns.map((c) => identityValue('k', c)), copy]);
  return `SELECT ${[`${rowId} AS ${ROW_ID}`, ...n.columns.map((c, i) => `${colRef('k', c)} AS ${ident(root.outputNames[i]!)}`)].join(', ')}\n  FROM ${sub(topkSelect(n, ctx.current(n.child)), 'k')}`;
}

export const topkStrategy: StrategyRules = {
  name: 'topk',
  hiddenColumns: () => [],
  fullSelect: keptRows,
  deltaSelect: (root, ctx) => {
    const n = topkRoot(root);
    const changed = `EXISTS (SELECT FROM ${ctx.delta(n.child)})`;
    const kept = ctx.define('topk', `SELECT k.* FROM ${sub(keptRows(root, ctx), 'k')} WHERE ${changed}`);
    const cols = root.outputNames.map(ident);
    return `SELECT ${[`k.${ROW_ID}`, `'I' AS ${ACTION}`, ...cols.map((c) => `k.${c}`)].join(', ')}
  FROM ${kept} AS k
 WHERE NOT EXISTS (SELECT FROM ${ctx.storage} AS s WHERE s.${ROW_ID} ${op('=')} k.${ROW_ID})
UNION ALL
SELECT ${[`s.${ROW_ID}`, `'D' AS ${ACTION}`, ...cols.map((c) => `s.${c}`)].join(', ')}
  FROM ${ctx.storage} AS s
 WHERE ${changed}
   AND NOT EXISTS (SELECT FROM ${kept} AS k WHERE k.${ROW_ID} ${op('=')} s.${ROW_ID})`;
  },
};
