/**
 * Lineage: the root has no identity (a keyless source feeds it), so equal rows
 * are interchangeable copies. Each stored copy carries `__pgt_lineage` = hash
 * of its content, and `__pgt_row_id` = hash(lineage, ordinal) with ordinals
 * 1..c for the c stored copies of that content. A delta of net weight w for a
 * lineage with c stored copies inserts ordinals c+1..c+w (w > 0) or deletes
 * ordinals c+w+1..c (w < 0), so ordinals stay dense and each MERGE row touches
 * one distinct id. c is counted from storage through an index on
 * `__pgt_lineage` (declared in groupByColumns).
 */
import { ident } from '../../../sql/ident.ts';
import type { EmitContext } from '../context.ts';
import { WEIGHT, colRef, fn, hashOf, identityValue, op, sub } from '../sql.ts';
import { ACTION, ROW_ID, type Root, type StrategyRules } from './types.ts';

export const LINEAGE = '__pgt_lineage';

function withLineage(root: Root, alias: string): string[] {
  return [
    ...root.node.columns.map((c, i) => `${colRef(alias, c)} AS ${ident(root.outputNames[i]!)}`),
    `${hashOf(root.node.columns.map((c) => identityValue(alias, c)))} AS ${LINEAGE}`,
  ];
}

export const lineageStrategy: StrategyRules = {
  name: 'lineage',
  hiddenColumns: () => [{ name: LINEAGE, type: 'bigint' }],
  fullSelect: (root, ctx: EmitContext) => {
    const rows = `SELECT ${withLineage(root, 'r').join(', ')}\n  FROM ${sub(ctx.current(root.node), 'r')}`;
    const ordinal = `${fn('row_number')}() OVER (PARTITION BY l.${LINEAGE})`;
    return `SELECT ${[
      `${hashOf([`l.${LINEAGE}`, ordinal])} AS ${ROW_ID}`,
      ...root.outputNames.map((n) => `l.${ident(n)}`),
      `l.${LINEAGE}`,
    ].join(', ')}\n  FROM ${sub(rows, 'l')}`;
  },
  deltaSelect: (root, ctx) => {
    const rows = `SELECT ${[...withLineage(root, 'd'), `d.${WEIGHT}`].join(', ')}\n  FROM ${ctx.delta(root.node)} AS d`;
    const net = `SELECT o.*,
       (${fn('sum')}(o.${WEIGHT}) OVER (PARTITION BY o.${LINEAGE}))::bigint AS __pgt_n,
       ${fn('row_number')}() OVER (PARTITION BY o.${LINEAGE}) AS __pgt_rn
  FROM ${sub(rows, 'o')}`;
    // Stored copies counted once per changed lineage (a LATERAL, not a repeated
    // scalar subquery); the ordinals to insert or delete are built as an array
    // and unnested because the planner estimates unnest of an array at 10 rows
    // but a non-constant generate_series at 1000, which would turn the MERGE
    // into a hash join over the whole storage table.
    const gt0 = `x.__pgt_n ${op('>')} 0`;
    const from = `CASE WHEN ${gt0} THEN have.n ${op('+')} 1 ELSE have.n ${op('+')} x.__pgt_n ${op('+')} 1 END`;
    const to = `CASE WHEN ${gt0} THEN have.n ${op('+')} x.__pgt_n ELSE have.n END`;
    const counted = `SELECT x.*, ARRAY(SELECT ${fn('generate_series')}(${from}, ${to})) AS __pgt_ordinals
  FROM ${sub(net, 'x')}
 CROSS JOIN LATERAL (SELECT ${fn('count')}(*) AS n FROM ${ctx.storage} AS s WHERE s.${LINEAGE} ${op('=')} x.${LINEAGE}) AS have
 WHERE x.__pgt_rn ${op('=')} 1 AND x.__pgt_n ${op('<>')} 0`;
    return `SELECT ${[
      `${hashOf([`c.${LINEAGE}`, 'g.ordinal'])} AS ${ROW_ID}`,
      `CASE WHEN c.__pgt_n ${op('>')} 0 THEN 'I' ELSE 'D' END AS ${ACTION}`,
      ...root.outputNames.map((n) => `c.${ident(n)}`),
      `c.${LINEAGE}`,
    ].join(', ')}
  FROM ${sub(counted, 'c')}
 CROSS JOIN LATERAL ${fn('unnest')}(c.__pgt_ordinals) AS g(ordinal)`;
  },
};
