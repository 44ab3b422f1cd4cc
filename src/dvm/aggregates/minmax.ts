/**
 * MIN(x) / MAX(x): semi-algebraic. The state is the current extreme
 * (`__pgt_aux_min_<n>` / `__pgt_aux_max_<n>`, of the argument's type). A
 * delta moves it without reading the group when no deleted value reaches it:
 * new = LEAST(stored, least inserted) (NULLs ignored, as MIN does). When a
 * deleted value is ≤ the stored MIN (≥ the stored MAX), or the stored extreme
 * is NULL while a non-NULL value was deleted, the extreme may have left and
 * the group is rescanned from the child's current rows (the strategy does
 * that: see emit/strategies/aggregate.ts).
 *
 * Why that is exact with unconsolidated deltas: if every deleted value is
 * strictly beyond the stored extreme m₀, no copy of m₀ was deleted, so m₀ is
 * still in X₁ and min(X₁) = least(m₀, inserted values).
 */
import type { AggCall } from '../ir.ts';
import { fn, op } from '../emit/sql.ts';
import { counted, filterClause, inputKey, type AggRules } from './rules.ts';

function extremeType(agg: AggCall): string {
  if (!agg.sumType) throw new Error(`aggregate ${agg.fn} has no state type`);
  return agg.sumType;
}

function extremeRules(which: 'min' | 'max'): AggRules {
  const pick = which === 'min' ? 'LEAST' : 'GREATEST';
  return {
    kind: 'extreme',
    state: (agg) => [{ suffix: which, type: extremeType(agg) }],
    stateKey: (agg) => `${which}:${inputKey(agg)}`,
    value: (_agg, a) => `${fn(which)}(${a.arg})${filterClause(a)}`,
    fullState: (_agg, a) => [`${fn(which)}(${a.arg})${filterClause(a)}`],
    weightedState: (_agg, a, w) => [
      `${fn(which)}(CASE WHEN ${counted(a)} AND ${w} ${op('>')} 0 THEN ${a.arg} END)`,
      `${fn(which)}(CASE WHEN ${counted(a)} AND ${w} ${op('<')} 0 THEN ${a.arg} END)`,
    ],
    // LEAST/GREATEST ignore NULLs: a new group takes the inserted extreme.
    combine: (_agg, stored, change) => [`${pick}(${stored[0]}, ${change[0]})`],
    fromState: (_agg, state) => state[0]!,
  };
}

/** Did the stored extreme possibly leave? (the group must then be rescanned) */
export function extremeLeft(which: 'min' | 'max', stored: string, deleted: string): string {
  const reaches = op(which === 'min' ? '<=' : '>=');
  return `(${deleted} IS NOT NULL AND (${stored} IS NULL OR ${deleted} ${reaches} ${stored}))`;
}

export const minRules = extremeRules('min');
export const maxRules = extremeRules('max');
