import type { OpNode } from './ir.ts';
import { rulesOf } from './ops/index.ts';
import type { CompiledPlan } from './types.ts';

/** Indented operator tree, one node per line. */
export function operatorTree(node: OpNode, depth = 0): string {
  const rules = rulesOf(node);
  const line = '  '.repeat(depth) + rules.describe(node);
  return [line, ...rules.children(node).map((c) => operatorTree(c, depth + 1))].join('\n');
}

/** What `pgtrickle explain` prints: tree, strategy, storage, delta SQL. */
export function explainPlan(plan: CompiledPlan): string {
  const hidden = plan.hiddenColumns.map((c) => `${c.name} ${c.type}`).join(', ') || '(none)';
  return [
    `compiler ${plan.compilerVersion}`,
    `strategy: ${plan.strategy}`,
    `hidden columns: ${hidden}`,
    `row id unique: ${plan.rowIdUnique}`,
    `index columns: ${plan.groupByColumns.join(', ') || '(none)'}`,
    ...plan.warnings.map((w) => `warning: ${w}`),
    '',
    'operator tree:',
    plan.operatorTree,
    '',
    'delta query:',
    plan.deltaSelectSql,
  ].join('\n');
}
