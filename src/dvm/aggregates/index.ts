import type { AggFunction } from '../ir.ts';
import { avgRules } from './avg.ts';
import { countRules } from './count.ts';
import { maxRules, minRules } from './minmax.ts';
import { rescanRules } from './rescan.ts';
import type { AggRules } from './rules.ts';
import { sumRules } from './sum.ts';

export const AGGREGATES: Record<AggFunction, AggRules> = {
  count: countRules,
  sum: sumRules,
  avg: avgRules,
  min: minRules,
  max: maxRules,
  rescan: rescanRules,
};

export type { AggArgs, AggKind, AggRules, StateColumn } from './rules.ts';
