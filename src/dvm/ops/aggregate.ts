/**
 * Aggregate (GROUP BY + COUNT/SUM/AVG), as an operator *inside* a plan
 * (under HAVING, in a subquery or CTE, below DISTINCT or UNION ALL).
 *
 * Its delta is "affected groups, old row out, new row in": the groups touched
 * by ΔX are re-aggregated over weighted rows — current rows of those groups
 * with weight (new 1, old 1) plus the delta rows with weight (new 0, old −w) —
 * so one pass yields each group's state after (X₁) and before (X₀ = X₁ − ΔX)
 * the window. A group with rows before emits −old; with rows after, +new.
 * Cost: the rows of the affected groups (found through the group key).
 *
 * At the top of a plan the aggregate strategy (emit/strategies/aggregate.ts)
 * reads the stored state instead, which costs only |ΔX|.
 */
import { ident } from '../../sql/ident.ts';
import { AGGREGATES } from '../aggregates/index.ts';
import type { AggArgs } from '../aggregates/index.ts';
import type { AggCall, AggregateNode, Col, GroupItem, OpNode } from '../ir.ts';
import { relColumns } from '../ir.ts';
import { preStateRows } from './pre-state.ts';
import { exprSql, exprText, fromAlias } from '../emit/expr.ts';
import { WEIGHT, and, colRef, fn, nullSafeEq, op, passThrough, sub } from '../emit/sql.ts';
import type { EmitContext } from '../emit/context.ts';
import type { OpRules } from './rules.ts';

export function makeAggregate(child: OpNode, groups: readonly GroupItem[], aggs: readonly AggCall[]): AggregateNode {
  const key = groups.map((g) => g.col);
  return { kind: 'Aggregate', child, groups, aggs, columns: [...key, ...aggs.map((a) => a.col)], key };
}

export function aggArgs(agg: AggCall, alias: string): AggArgs {
  return {
    arg: agg.arg ? exprSql(agg.arg, fromAlias(alias)) : null,
    filter: agg.filter ? exprSql(agg.filter, fromAlias(alias)) : null,
    call: agg.call ? exprSql(agg.call, fromAlias(alias)) : null,
  };
}

/** Are all of the node's aggregates algebraic (sums only)? */
export function allAlgebraic(aggs: readonly AggCall[]): boolean {
  return aggs.every((a) => AGGREGATES[a.fn].kind === 'algebraic');
}

/** `SELECT <group exprs>, <values…>, <extra…> FROM (current child) t GROUP BY …` */
export function groupedSelect(n: AggregateNode, ctx: EmitContext, extra: (alias: string) => string[]): string {
  return groupedSelectFrom(n, ctx.current(n.child), extra, n.aggs);
}

/** The same over any relation exposing the child's columns, computing `aggs` (default all). */
export function groupedSelectFrom(n: AggregateNode, rows: string, extra: (alias: string) => string[], aggs: readonly AggCall[] = n.aggs): string {
  const groups = n.groups.map((g) => exprSql(g.expr, fromAlias('t')));
  const items = [
    ...groups.map((g, i) => `${g} AS ${ident(n.groups[i]!.col.id)}`),
    ...aggs.map((a) => `${AGGREGATES[a.fn].value(a, aggArgs(a, 't'))} AS ${ident(a.col.id)}`),
    ...extra('t'),
  ];
  const groupBy = groups.length ? `\n GROUP BY ${groups.join(', ')}` : '';
  return `SELECT ${items.length ? items.join(', ') : 'NULL AS __pgt_none'}\n  FROM ${sub(rows, 't')}${groupBy}`;
}

/** The child columns the groups and aggregates read. */
function usedColumns(n: AggregateNode): Col[] {
  const ids = new Set<string>();
  for (const g of n.groups) for (const r of g.expr.refs) ids.add(r);
  for (const a of n.aggs) for (const e of [a.arg, a.filter, a.call]) for (const r of e?.refs ?? []) ids.add(r);
  return relColumns(n.child).filter((c) => ids.has(c.id));
}

/** Current rows of the child in the groups ΔX touches (all rows without GROUP BY). */
function affectedRows(n: AggregateNode, ctx: EmitContext): string {
  if (!n.groups.length) return ctx.current(n.child);
  const keys = ctx.define(
    'aggkeys',
    `SELECT DISTINCT ${n.groups.map((g) => `${exprSql(g.expr, fromAlias('d'))} AS ${ident(g.col.id)}`).join(', ')}\n  FROM ${ctx.delta(n.child)} AS d`,
  );
  const on = and(n.groups.map((g) => nullSafeEq(colRef('k', g.col), exprSql(g.expr, fromAlias('t')))));
  return `SELECT t.*\n  FROM ${keys} AS k\n  JOIN ${sub(ctx.current(n.child), 't')}\n    ON ${on}`;
}

/**
 * Delta of an aggregate with MIN/MAX or group-rescan calls inside a plan:
 * the touched groups are aggregated twice with the user's own calls, over
 * their current rows (X₁) and over their rows before the window (X₀, see
 * pre-state.ts): −old, +new. Cost: the touched groups' rows, twice, plus |ΔX|.
 */
function recomputeDelta(n: AggregateNode, ctx: EmitContext): string {
  const dchild = ctx.delta(n.child);
  const rows = affectedRows(n, ctx);
  const before = preStateRows(usedColumns(n), rows, dchild);
  const out = [...n.groups.map((g) => g.col), ...n.aggs.map((a) => a.col)];
  // Without GROUP BY the one group always exists: emit it only when something changed.
  const where = n.groups.length ? '' : `\n WHERE EXISTS (SELECT FROM ${dchild})`;
  const side = (sql: string, weight: string): string =>
    `SELECT ${[...passThrough('s', out), `${weight}::bigint AS ${WEIGHT}`].join(', ')}\n  FROM ${sub(sql, 's')}${where}`;
  return `${side(groupedSelectFrom(n, before, () => []), '-1')}\nUNION ALL\n${side(groupedSelectFrom(n, rows, () => []), '1')}`;
}

/** Internal column names of the rescan CTE. */
const argCol = (i: number): string => `__pgt_x${i}`;
const filterCol = (i: number): string => `__pgt_f${i}`;
const stateCol = (side: 'n' | 'o', i: number, j: number): string => `__pgt_${side}${i}_${j}`;
const countCol = (side: 'n' | 'o'): string => `__pgt_${side}count`;

function rescanDelta(n: AggregateNode, ctx: EmitContext): string {
  if (!allAlgebraic(n.aggs)) return recomputeDelta(n, ctx);
  const dchild = ctx.delta(n.child);
  const groupIds = n.groups.map((g) => ident(g.col.id));

  // Rows of the affected groups: current (n=1, o=1) and the delta (n=0, o=−w).
  const rowItems = (alias: string, weights: [string, string]): string[] => [
    ...n.groups.map((g) => `${exprSql(g.expr, fromAlias(alias))} AS ${ident(g.col.id)}`),
    ...n.aggs.flatMap((a, i) => {
      const args = aggArgs(a, alias);
      const out: string[] = [];
      if (args.arg) out.push(`${args.arg} AS ${argCol(i)}`);
      if (args.filter) out.push(`${args.filter} AS ${filterCol(i)}`);
      return out;
    }),
    `${weights[0]} AS __pgt_n`,
    `${weights[1]} AS __pgt_o`,
  ];
  let currentRows: string;
  if (n.groups.length) {
    const keys = ctx.define(
      'aggkeys',
      `SELECT DISTINCT ${n.groups.map((g) => `${exprSql(g.expr, fromAlias('d'))} AS ${ident(g.col.id)}`).join(', ')}\n  FROM ${dchild} AS d`,
    );
    const on = and(n.groups.map((g) => nullSafeEq(colRef('k', g.col), exprSql(g.expr, fromAlias('t')))));
    currentRows = `SELECT ${rowItems('t', ['1::bigint', '1::bigint']).join(', ')}\n  FROM ${keys} AS k\n  JOIN ${sub(ctx.current(n.child), 't')}\n    ON ${on}`;
  } else {
    currentRows = `SELECT ${rowItems('t', ['1::bigint', '1::bigint']).join(', ')}\n  FROM ${sub(ctx.current(n.child), 't')}`;
  }
  const deltaRows = `SELECT ${rowItems('d', ['0::bigint', `${op('-')} d.${WEIGHT}`]).join(', ')}\n  FROM ${dchild} AS d`;

  const stateItems = (side: 'n' | 'o'): string[] => [
    `${fn('sum')}(u.__pgt_${side})::bigint AS ${countCol(side)}`,
    ...n.aggs.flatMap((a, i) => {
      const args: AggArgs = { arg: a.arg ? `u.${argCol(i)}` : null, filter: a.filter ? `u.${filterCol(i)}` : null, call: null };
      return AGGREGATES[a.fn].weightedState(a, args, `u.__pgt_${side}`).map((s, j) => `${s} AS ${stateCol(side, i, j)}`);
    }),
  ];
  const states = ctx.define(
    'aggstate',
    `SELECT ${[...groupIds.map((g) => `u.${g}`), ...stateItems('n'), ...stateItems('o')].join(', ')}\n  FROM (\n${currentRows}\n  UNION ALL\n${deltaRows}\n  ) AS u${groupIds.length ? `\n GROUP BY ${groupIds.map((g) => `u.${g}`).join(', ')}` : ''}`,
  );

  const side = (s: 'n' | 'o', weight: string): string => {
    const values = n.aggs.map((a, i) => {
      const state = AGGREGATES[a.fn].state(a).map((_, j) => `s.${stateCol(s, i, j)}`);
      return `${AGGREGATES[a.fn].fromState(a, state, `s.${countCol(s)}`)} AS ${ident(a.col.id)}`;
    });
    const items = [...groupIds.map((g) => `s.${g}`), ...values, `${weight}::bigint AS ${WEIGHT}`];
    // Without GROUP BY the single group always exists (COUNT 0, SUM NULL); emit it only when something changed.
    const where = n.groups.length ? `s.${countCol(s)} ${op('>')} 0` : `EXISTS (SELECT FROM ${dchild})`;
    return `SELECT ${items.join(', ')}\n  FROM ${states} AS s\n WHERE ${where}`;
  };
  return `${side('o', '-1')}\nUNION ALL\n${side('n', '1')}`;
}

/** How the aggregate is maintained, for explain (D16: say when a strategy reads more than the change). */
function maintenance(n: AggregateNode): string {
  const kinds = new Set(n.aggs.map((a) => AGGREGATES[a.fn].kind));
  if (kinds.has('rescan')) return ' [group rescan: touched groups re-read]';
  if (kinds.has('extreme')) return ' [MIN/MAX: extreme from the delta, group re-read when it leaves]';
  return '';
}

export const aggregateRules: OpRules<'Aggregate'> = {
  children: (n) => [n.child],
  describe: (n) =>
    `Aggregate${maintenance(n)} GROUP BY (${n.groups.map((g) => `${exprText(g.expr)} AS ${g.col.id}`).join(', ')}) ${n.aggs
      .map((a) => `${a.call && a.fn === 'rescan' ? `rescan ${exprText(a.call)}` : `${a.fn}(${a.arg ? exprText(a.arg) : '*'})${a.filter ? ` FILTER (${exprText(a.filter)})` : ''}`} AS ${a.col.id}`)
      .join(', ')}`,
  prune: (n, _need, recurse) => {
    const need = new Set<string>();
    for (const g of n.groups) for (const r of g.expr.refs) need.add(r);
    for (const a of n.aggs) for (const e of [a.arg, a.filter, a.call]) for (const r of e?.refs ?? []) need.add(r);
    return makeAggregate(recurse(n.child, need), n.groups, n.aggs);
  },
  mapChildren: (n, f) => makeAggregate(f(n.child), n.groups, n.aggs),
  current: (n, ctx) => groupedSelect(n, ctx, () => []),
  delta: rescanDelta,
};
