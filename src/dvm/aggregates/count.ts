/**
 * COUNT(*) / COUNT(x): an unfiltered COUNT(*) is the group's row count itself;
 * any other COUNT keeps one counter of the rows it counts.
 */
import type { AggCall } from '../ir.ts';
import { fn, op } from '../emit/sql.ts';
import { counted, filterClause, inputKey, type AggRules } from './rules.ts';

const isGroupCount = (agg: AggCall): boolean => agg.arg === null && agg.filter === null;

export const countRules: AggRules = {
  kind: 'algebraic',
  state: (agg) => (isGroupCount(agg) ? [] : [{ suffix: 'count', type: 'bigint' }]),
  stateKey: (agg) => (isGroupCount(agg) ? null : `count:${inputKey(agg)}`),
  value: (_agg, a) => `${fn('count')}(${a.arg ?? '*'})${filterClause(a)}`,
  fullState: (agg, a) => (isGroupCount(agg) ? [] : [`${fn('count')}(${a.arg ?? '*'})${filterClause(a)}`]),
  weightedState: (agg, a, w) =>
    isGroupCount(agg) ? [] : [`${fn('sum')}(CASE WHEN ${counted(a)} THEN ${w} ELSE 0 END)`],
  combine: (agg, stored, change) =>
    isGroupCount(agg) ? [] : [`(COALESCE(${stored[0]}, 0) ${op('+')} COALESCE(${change[0]}, 0))`],
  fromState: (agg, state, groupCount) => (isGroupCount(agg) ? groupCount : state[0]!),
};
