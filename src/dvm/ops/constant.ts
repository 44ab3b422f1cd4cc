/**
 * Constant: a VALUES list or the single column-less row of a SELECT without
 * FROM. It never changes, so ΔX is empty (typed by the same VALUES list, read
 * under `WHERE false`). No identity: equal rows are numbered copies.
 */
import type { Col, ConstantNode, Expr } from '../ir.ts';
import { exprSql, exprText } from '../emit/expr.ts';
import { WEIGHT, ident } from '../emit/sql.ts';
import type { OpRules } from './rules.ts';

export function makeConstant(rows: readonly (readonly Expr[])[], columns: readonly Col[]): ConstantNode {
  return { kind: 'Constant', rows, columns, key: null };
}

const noColumns = (): string => {
  throw new Error('constant expressions reference no column');
};

function rowsSql(n: ConstantNode): string {
  if (n.columns.length === 0) return 'SELECT';
  const values = n.rows.map((r) => `(${r.map((e) => exprSql(e, noColumns)).join(', ')})`).join(', ');
  return `SELECT * FROM (VALUES ${values}) AS v(${n.columns.map((c) => ident(c.id)).join(', ')})`;
}

export const constantRules: OpRules<'Constant'> = {
  children: () => [],
  describe: (n) => (n.columns.length ? `Values ${n.rows.map((r) => `(${r.map(exprText).join(', ')})`).join(', ')} AS [${n.columns.map((c) => c.id).join(', ')}]` : 'OneRow'),
  prune: (n) => n,
  mapChildren: (n) => n,
  current: rowsSql,
  delta: (n) => `SELECT c.*, 0::bigint AS ${WEIGHT}\n  FROM (${rowsSql(n)}) AS c\n WHERE false`,
};
