/**
 * SUM(x): state = (Σx over counted rows, number of counted rows). The count
 * lets the sum become NULL again when the last non-NULL value leaves the group
 * (SQL's SUM over no values is NULL, not 0).
 */
import type { AggCall } from '../ir.ts';
import { fn, op } from '../emit/sql.ts';
import { counted, filterClause, inputKey, type AggArgs, type AggRules } from './rules.ts';

export function sumType(agg: AggCall): string {
  if (!agg.sumType) throw new Error(`aggregate ${agg.fn} has no sum type`);
  return agg.sumType;
}

/** Shared by SUM and AVG: the (sum, count) state. */
export const sumState = {
  stateKey: (agg: AggCall) => `sum:${sumType(agg)}:${inputKey(agg)}`,
  state: (agg: AggCall) => [
    { suffix: 'sum' as const, type: sumType(agg) },
    { suffix: 'count' as const, type: 'bigint' },
  ],
  fullState: (agg: AggCall, a: AggArgs) => [
    `${fn('sum')}((${a.arg})::${sumType(agg)})${filterClause(a)}`,
    `${fn('count')}(${a.arg})${filterClause(a)}`,
  ],
  weightedState: (agg: AggCall, a: AggArgs, w: string) => [
    `${fn('sum')}(CASE WHEN ${counted(a)} THEN (${a.arg})::${sumType(agg)} ${op('*')} ${w} END)`,
    `${fn('sum')}(CASE WHEN ${counted(a)} THEN ${w} ELSE 0 END)`,
  ],
  combine: (_agg: AggCall, stored: readonly string[], change: readonly string[]) => {
    const count = `(COALESCE(${stored[1]}, 0) ${op('+')} COALESCE(${change[1]}, 0))`;
    const sum = `CASE WHEN ${count} ${op('>')} 0 THEN COALESCE(${stored[0]} ${op('+')} ${change[0]}, ${stored[0]}, ${change[0]}) END`;
    return [sum, count];
  },
};

export const sumRules: AggRules = {
  kind: 'algebraic',
  ...sumState,
  value: (_agg, a) => `${fn('sum')}(${a.arg})${filterClause(a)}`,
  fromState: (agg, state) => `CASE WHEN ${state[1]} ${op('>')} 0 THEN (${state[0]})::${sumType(agg)} END`,
};
