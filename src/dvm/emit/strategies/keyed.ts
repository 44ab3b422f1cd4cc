/**
 * Keyed: the root has an identity (primary keys through filters, projections
 * and joins; group keys; distinct rows; branch-prefixed union identities).
 * Row id = hash of the identity. The delta is consolidated per (row id,
 * content): the content with positive net weight is the row's new value ('I'),
 * and a row id with only negative net weight is deleted ('D'). An UPDATE
 * (−old +new) therefore becomes one 'I', which the MERGE applies as an update.
 */
import { ident } from '../../../sql/ident.ts';
import { DvmInternalError } from '../../errors.ts';
import { WEIGHT, colRef, fn, hashOf, op, sub } from '../sql.ts';
import { ACTION, ROW_ID, rowIdExpr, type Root, type StrategyRules } from './types.ts';

function userColumns(root: Root, alias: string): string[] {
  return root.node.columns.map((c, i) => `${colRef(alias, c)} AS ${ident(root.outputNames[i]!)}`);
}

export const keyedStrategy: StrategyRules = {
  name: 'keyed',
  hiddenColumns: () => [],
  fullSelect: (root, ctx) => {
    const key = root.node.key;
    if (!key) throw new DvmInternalError('keyed strategy on a keyless root');
    return `SELECT ${[`${rowIdExpr(key, 'r')} AS ${ROW_ID}`, ...userColumns(root, 'r')].join(', ')}\n  FROM ${sub(ctx.current(root.node), 'r')}`;
  },
  deltaSelect: (root, ctx) => {
    const key = root.node.key!;
    const delta = ctx.delta(root.node);
    const content = hashOf(root.node.columns.map((c) => colRef('d', c)));
    const rows = `SELECT ${[`${rowIdExpr(key, 'd')} AS ${ROW_ID}`, `${content} AS __pgt_h`, ...userColumns(root, 'd'), `d.${WEIGHT}`].join(', ')}\n  FROM ${delta} AS d`;
    const net = `SELECT o.*, (${fn('sum')}(o.${WEIGHT}) OVER (PARTITION BY o.${ROW_ID}, o.__pgt_h))::bigint AS __pgt_n\n  FROM ${sub(rows, 'o')}`;
    const cols = root.outputNames.map((n) => `n.${ident(n)}`);
    return `SELECT DISTINCT ON (n.${ROW_ID}) ${[
      `n.${ROW_ID}`,
      `CASE WHEN n.__pgt_n ${op('>')} 0 THEN 'I' ELSE 'D' END AS ${ACTION}`,
      ...cols,
    ].join(', ')}
  FROM ${sub(net, 'n')}
 WHERE n.__pgt_n ${op('<>')} 0
 ORDER BY n.${ROW_ID}, n.__pgt_n DESC`;
  },
};
