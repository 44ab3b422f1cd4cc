/**
 * AVG(x) = Σx / n over the same (sum, count) state as SUM. PostgreSQL's own
 * avg(int|numeric) is numeric_div(Σx, n) and avg(float) is float8 Σx / n, so
 * dividing the exact state reproduces it for integer and numeric inputs.
 */
import { fn, op } from '../emit/sql.ts';
import type { AggRules } from './rules.ts';
import { filterClause } from './rules.ts';
import { sumState, sumType } from './sum.ts';

export const avgRules: AggRules = {
  kind: 'algebraic',
  ...sumState,
  value: (_agg, a) => `${fn('avg')}(${a.arg})${filterClause(a)}`,
  fromState: (agg, state) => {
    const divisor = sumType(agg) === 'numeric' ? 'numeric' : 'double precision';
    return `CASE WHEN ${state[1]} ${op('>')} 0 THEN (${state[0]})::${sumType(agg)} ${op('/')} (${state[1]})::${divisor} END`;
  },
};
