import type { AggFunction } from '../ir.ts';
import { avgRules } from './avg.ts';
import { countRules } from './count.ts';
import type { AggRules } from './rules.ts';
import { sumRules } from './sum.ts';

export const AGGREGATES: Record<AggFunction, AggRules> = {
  count: countRules,
  sum: sumRules,
  avg: avgRules,
};

export type { AggArgs, AggRules, StateColumn } from './rules.ts';
