/** Pass `strategy`: how the root's result is stored and maintained. */
import type { OpNode } from '../ir.ts';
import type { Strategy } from '../types.ts';
import { aggregateStrategy } from './strategies/aggregate.ts';
import { distinctStrategy } from './strategies/distinct.ts';
import { keyedStrategy } from './strategies/keyed.ts';
import { lineageStrategy } from './strategies/lineage.ts';
import { topkStrategy } from './strategies/topk.ts';
import type { StrategyRules } from './strategies/types.ts';

export const STRATEGIES: Record<Strategy, StrategyRules> = {
  keyed: keyedStrategy,
  lineage: lineageStrategy,
  aggregate: aggregateStrategy,
  distinct: distinctStrategy,
  topk: topkStrategy,
};

/**
 * Storage-backed strategies (aggregate, distinct) cost O(|Δ|) instead of the
 * O(affected groups) of the in-plan operators, so they win whenever the root
 * allows; otherwise the root's identity decides.
 */
export function chooseStrategy(root: OpNode): Strategy {
  if (root.kind === 'TopK') return 'topk';
  if (root.kind === 'Distinct') return 'distinct';
  if (root.kind === 'Project' && root.child.kind === 'Aggregate') return 'aggregate';
  return root.key ? 'keyed' : 'lineage';
}
