/**
 * Aggregate at the top (SELECT list over GROUP BY, no HAVING): storage keeps,
 * per group, the row count `__pgt_count` and each aggregate's state
 * (`__pgt_aux_sum_<n>`, `__pgt_aux_count_<n>`). The delta aggregates ΔX per
 * group, joins the stored state by row id (= hash of the group key, NULL-safe,
 * through the unique row-id index), adds, and recomputes the SELECT list from
 * the new state. Groups reaching count 0 are deleted (never a negative count);
 * an aggregate without GROUP BY always keeps its one row. Cost: |ΔX|.
 */
import { ident } from '../../../sql/ident.ts';
import { AGGREGATES } from '../../aggregates/index.ts';
import { DvmInternalError } from '../../errors.ts';
import type { AggCall, AggregateNode, ProjectNode } from '../../ir.ts';
import { extremeLeft } from '../../aggregates/minmax.ts';
import { aggArgs, groupedSelect, groupedSelectFrom } from '../../ops/aggregate.ts';
import { itemSql } from '../../ops/project.ts';
import type { HiddenColumn } from '../../types.ts';
import { exprSql, fromAlias } from '../expr.ts';
import { WEIGHT, and, colRef, fn, nullSafeEq, op, sub } from '../sql.ts';
import type { EmitContext } from '../context.ts';
import { ACTION, ROW_ID, rowIdExpr, type Root, type StrategyRules } from './types.ts';
import { COUNT } from './distinct.ts';

function parts(root: Root): { project: ProjectNode; agg: AggregateNode } {
  const project = root.node;
  if (project.kind !== 'Project' || project.child.kind !== 'Aggregate') {
    throw new DvmInternalError('aggregate strategy needs Project(Aggregate) at the root');
  }
  return { project, agg: project.child };
}

interface AggState {
  readonly call: AggCall;
  /** Storage columns of its state (`__pgt_aux_<suffix>_<n>`, n = 1-based position of the owner). */
  readonly columns: HiddenColumn[];
  /** False when an earlier aggregate with the same state key keeps these columns. */
  readonly owner: boolean;
}

function allState(agg: AggregateNode): AggState[] {
  const byKey = new Map<string, HiddenColumn[]>();
  return agg.aggs.map((call, i) => {
    const rules = AGGREGATES[call.fn];
    const key = rules.stateKey(call);
    const shared = key === null ? undefined : byKey.get(key);
    if (shared) return { call, columns: shared, owner: false };
    const columns = rules.state(call).map((s) => ({ name: `__pgt_aux_${s.suffix}_${i + 1}`, type: s.type }));
    if (key !== null) byKey.set(key, columns);
    return { call, columns, owner: true };
  });
}

const owners = (state: readonly AggState[]): AggState[] => state.filter((s) => s.owner);

function userItems(root: Root, project: ProjectNode, alias: string): string[] {
  return project.items.map((item, i) => `${itemSql(item, alias)} AS ${ident(root.outputNames[i]!)}`);
}

export const aggregateStrategy: StrategyRules = {
  name: 'aggregate',
  hiddenColumns: (root) => [{ name: COUNT, type: 'bigint' }, ...owners(allState(parts(root).agg)).flatMap((s) => s.columns)],
  fullSelect: (root, ctx) => {
    const { project, agg } = parts(root);
    const state = owners(allState(agg));
    const inner = groupedSelect(agg, ctx, (t) => [
      `${fn('count')}(*) AS ${COUNT}`,
      ...state.flatMap((s) =>
        AGGREGATES[s.call.fn].fullState(s.call, aggArgs(s.call, t)).map((sql, j) => `${sql} AS ${ident(s.columns[j]!.name)}`),
      ),
    ]);
    return `SELECT ${[
      `${rowIdExpr(agg.key, 'a')} AS ${ROW_ID}`,
      ...userItems(root, project, 'a'),
      `a.${COUNT}`,
      ...state.flatMap((s) => s.columns.map((c) => `a.${ident(c.name)}`)),
    ].join(', ')}\n  FROM ${sub(inner, 'a')}`;
  },
  deltaSelect: (root, ctx: EmitContext) => {
    const { project, agg } = parts(root);
    const all = allState(agg);
    const state = owners(all).filter((s) => AGGREGATES[s.call.fn].kind !== 'rescan');
    const extremes = state.filter((s) => AGGREGATES[s.call.fn].kind === 'extreme');
    const rescans = all.filter((s) => AGGREGATES[s.call.fn].kind === 'rescan');
    const needsRescan = extremes.length > 0 || rescans.length > 0;
    const dchild = ctx.delta(agg.child);
    const groups = agg.groups.map((g) => exprSql(g.expr, fromAlias('d')));
    const groupIds = agg.groups.map((g) => ident(g.col.id));

    // 1. The change of every group's state over ΔX (extremes: least inserted, least deleted).
    const weighted = state.map((s) => AGGREGATES[s.call.fn].weightedState(s.call, aggArgs(s.call, 'd'), `d.${WEIGHT}`));
    const change = ctx.define(
      'aggchange',
      `SELECT ${[
        ...groups.map((g, i) => `${g} AS ${groupIds[i]}`),
        `COALESCE(${fn('sum')}(d.${WEIGHT}), 0) AS __pgt_dcount`,
        ...(needsRescan ? [`${fn('count')}(*) AS __pgt_drows`] : []),
        ...weighted.flatMap((w, i) => w.map((sql, j) => `${sql} AS __pgt_d${i}_${j}`)),
      ].join(', ')}\n  FROM ${dchild} AS d${groups.length ? `\n GROUP BY ${groups.join(', ')}` : ''}`,
    );

    // 2. New state = stored state + change (stored row found by row id).
    const newState = state.flatMap((s, i) => {
      const stored = s.columns.map((c) => `s.${ident(c.name)}`);
      const delta = weighted[i]!.map((_, j) => `k.__pgt_d${i}_${j}`);
      return AGGREGATES[s.call.fn].combine(s.call, stored, delta).map((sql, j) => `(${sql})::${s.columns[j]!.type} AS ${ident(s.columns[j]!.name)}`);
    });
    const stateNames = [COUNT, ...state.flatMap((s) => s.columns.map((c) => c.name))].map(ident);
    const newCount = `(COALESCE(s.${COUNT}, 0) ${op('+')} k.__pgt_dcount)`;
    // A live group the delta touched is rescanned when it has group-rescan
    // aggregates, or when a deleted value reached a stored extreme.
    const left = extremes.map((e) => {
      const i = state.indexOf(e);
      return extremeLeft(e.call.fn as 'min' | 'max', `s.${ident(e.columns[0]!.name)}`, `k.__pgt_d${i}_1`);
    });
    const live = agg.groups.length ? `${newCount} ${op('>')} 0` : 'true';
    const rescanFlag = `(${live} AND k.__pgt_drows ${op('>')} 0 AND (${rescans.length ? 'true' : left.join(' OR ')}))`;
    const merged = `SELECT ${[
      ...groupIds.map((g) => `k.${g}`),
      `${rowIdExpr(agg.key, 'k')} AS ${ROW_ID}`,
      `s.${ROW_ID} IS NOT NULL AS __pgt_had`,
      `(ROW(${stateNames.map((c) => `s.${c}`).join(', ')}))::text AS __pgt_old_state`,
      `${newCount}::bigint AS ${COUNT}`,
      ...(needsRescan ? [`${rescanFlag} AS __pgt_rescan`] : []),
      ...newState,
    ].join(', ')}
  FROM ${change} AS k
  LEFT JOIN ${ctx.storage} AS s ON s.${ROW_ID} ${op('=')} ${rowIdExpr(agg.key, 'k')}`;

    // 3. Rescan: the flagged groups re-aggregated over the child's current rows.
    let final = merged;
    if (needsRescan) {
      const mergeCte = ctx.define('aggmerge', merged);
      const rescanned = [...extremes.map((e) => e.call), ...rescans.map((r) => r.call)];
      let rows: string;
      if (agg.groups.length) {
        const keys = `SELECT DISTINCT ${groupIds.map((g) => `m.${g}`).join(', ')} FROM ${mergeCte} AS m WHERE m.__pgt_rescan`;
        const on = and(agg.groups.map((g) => nullSafeEq(colRef('k', g.col), exprSql(g.expr, fromAlias('t')))));
        rows = `SELECT t.*\n  FROM ${sub(keys, 'k')}\n  JOIN ${sub(ctx.current(agg.child), 't')}\n    ON ${on}`;
      } else {
        rows = `SELECT t.*\n  FROM ${sub(ctx.current(agg.child), 't')}\n WHERE EXISTS (SELECT FROM ${mergeCte} AS m WHERE m.__pgt_rescan)`;
      }
      const rescan = ctx.define('aggrescan', groupedSelectFrom(agg, rows, () => [], rescanned));
      const on = agg.groups.length ? and(agg.groups.map((g) => nullSafeEq(colRef('r', g.col), colRef('m', g.col)))) : 'true';
      const overridden = new Map(extremes.map((e) => [e.columns[0]!.name, e.call.col] as const));
      final = `SELECT ${[
        ...groupIds.map((g) => `m.${g}`),
        `m.${ROW_ID}`,
        'm.__pgt_had',
        'm.__pgt_old_state',
        `m.${COUNT}`,
        'm.__pgt_rescan',
        ...state.flatMap((s) => s.columns.map((c) => {
          const col = overridden.get(c.name);
          return col
            ? `(CASE WHEN m.__pgt_rescan THEN r.${ident(col.id)} ELSE m.${ident(c.name)} END)::${c.type} AS ${ident(c.name)}`
            : `m.${ident(c.name)}`;
        })),
        ...rescans.map((r) => `r.${ident(r.call.col.id)} AS ${ident(`__pgt_r_${r.call.col.id}`)}`),
      ].join(', ')}
  FROM ${mergeCte} AS m
  LEFT JOIN ${rescan} AS r ON ${on}`;
    }

    // 4. Aggregate values from the new state, then the SELECT list over them.
    const values = all.map((s) => {
      if (AGGREGATES[s.call.fn].kind === 'rescan') return `m.${ident(`__pgt_r_${s.call.col.id}`)} AS ${ident(s.call.col.id)}`;
      const st = s.columns.map((c) => `m.${ident(c.name)}`);
      return `${AGGREGATES[s.call.fn].fromState(s.call, st, `m.${COUNT}`)} AS ${ident(s.call.col.id)}`;
    });
    const withValues = `SELECT m.*, ${[...values].join(', ') || 'NULL AS __pgt_none'}\n  FROM ${sub(final, 'm')}`;
    const changed = `(ROW(${stateNames.map((c) => `v.${c}`).join(', ')}))::text IS DISTINCT FROM v.__pgt_old_state${needsRescan ? ' OR v.__pgt_rescan' : ''}`;
    const liveV = `v.${COUNT} ${op('>')} 0`;
    const where = agg.groups.length
      ? `(${liveV} AND (NOT v.__pgt_had OR ${changed})) OR (NOT ${liveV} AND v.__pgt_had)`
      : `NOT v.__pgt_had OR ${changed}`;
    const action = agg.groups.length ? `CASE WHEN ${liveV} THEN 'I' ELSE 'D' END` : `'I'`;
    return `SELECT ${[
      `v.${ROW_ID}`,
      `${action} AS ${ACTION}`,
      ...userItems(root, project, 'v'),
      ...stateNames.map((c) => `v.${c}`),
    ].join(', ')}
  FROM ${sub(withValues, 'v')}
 WHERE ${where}`;
  },
};

