/**
 * Window functions: partition recompute. The partitions the delta touches
 * (values of the PARTITION BY expressions all calls share; with none, the
 * whole input) are evaluated twice with the user's own calls — over their
 * current rows (X₁, +1) and over their rows before the window (X₀, see
 * pre-state.ts, −1) — so rows whose rank, running total or neighbour did not
 * change cancel and the rest are −old +new. The partitions are rebuilt from
 * the child's state, never from storage, so a filter above (DISTINCT ON,
 * top-n per group) cannot lose rows. Cost: the touched partitions' rows,
 * twice, plus |ΔX|; without a shared PARTITION BY, the whole input.
 *
 * A function whose value depends on the order of peers (ROW_NUMBER, NTILE,
 * LAG/LEAD, FIRST/LAST/NTH_VALUE, aggregates over a ROWS frame) is accepted
 * only when its ORDER BY contains the child's key (build/window.ts), so both
 * evaluations order rows identically.
 */
import { ident } from '../../sql/ident.ts';
import { canonical } from '../ast.ts';
import type { Expr, OpNode, WindowCall, WindowNode } from '../ir.ts';
import { relColumns } from '../ir.ts';
import { exprSql, exprText, fromAlias } from '../emit/expr.ts';
import { WEIGHT, and, nullSafeEq, passThrough, sub } from '../emit/sql.ts';
import type { EmitContext } from '../emit/context.ts';
import { preStateRows } from './pre-state.ts';
import type { OpRules } from './rules.ts';

export function makeWindow(child: OpNode, calls: readonly WindowCall[], partition: readonly Expr[]): WindowNode {
  return { kind: 'Window', child, calls, partition, columns: [...child.columns, ...calls.map((c) => c.col)], key: child.key };
}

/** The PARTITION BY expressions common to every call. */
export function sharedPartition(partitions: readonly (readonly Expr[])[]): Expr[] {
  if (partitions.length === 0) return [];
  const [first, ...rest] = partitions;
  return first!.filter((e) => rest.every((p) => p.some((x) => canonical(x.ast) === canonical(e.ast))));
}

function windowSelect(n: WindowNode, rows: string): string {
  const items = [...passThrough('t', relColumns(n.child)), ...n.calls.map((c) => `${exprSql(c.call, fromAlias('t'))} AS ${ident(c.col.id)}`)];
  return `SELECT ${items.join(', ')}\n  FROM ${sub(rows, 't')}`;
}

function delta(n: WindowNode, ctx: EmitContext): string {
  const dchild = ctx.delta(n.child);
  let rows: string;
  let where = '';
  if (n.partition.length) {
    const keys = ctx.define(
      'winkeys',
      `SELECT DISTINCT ${n.partition.map((p, i) => `${exprSql(p, fromAlias('d'))} AS __pgt_p${i}`).join(', ')}\n  FROM ${dchild} AS d`,
    );
    const on = and(n.partition.map((p, i) => nullSafeEq(`k.__pgt_p${i}`, exprSql(p, fromAlias('t')))));
    rows = `SELECT t.*\n  FROM ${keys} AS k\n  JOIN ${sub(ctx.current(n.child), 't')}\n    ON ${on}`;
  } else {
    rows = ctx.current(n.child);
    where = `\n WHERE EXISTS (SELECT FROM ${dchild})`;
  }
  const current = ctx.define('winrows', rows);
  const before = preStateRows(relColumns(n.child), `SELECT * FROM ${current}`, dchild);
  const out = relColumns(n);
  const side = (sql: string, weight: string): string =>
    `SELECT ${[...passThrough('s', out), `${weight}::bigint AS ${WEIGHT}`].join(', ')}\n  FROM ${sub(sql, 's')}${where}`;
  return `${side(windowSelect(n, before), '-1')}\nUNION ALL\n${side(windowSelect(n, `SELECT * FROM ${current}`), '1')}`;
}

export const windowRules: OpRules<'Window'> = {
  children: (n) => [n.child],
  describe: (n) =>
    `Window ${n.calls.map((c) => `${exprText(c.call)} AS ${c.col.id}`).join(', ')} (partition recompute: touched partitions re-read${n.partition.length ? `, by ${n.partition.map(exprText).join(', ')}` : ', whole input'})`,
  prune: (n, need, recurse) => {
    const all = new Set(need);
    for (const c of n.calls) for (const r of c.call.refs) all.add(r);
    for (const p of n.partition) for (const r of p.refs) all.add(r);
    return makeWindow(recurse(n.child, all), n.calls, n.partition);
  },
  mapChildren: (n, f) => makeWindow(f(n.child), n.calls, n.partition),
  current: (n, ctx) => windowSelect(n, ctx.current(n.child)),
  delta,
};


