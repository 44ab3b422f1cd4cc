/** The dispatch table: every pass reaches an operator's rules through it. */
import type { OpKind, OpNode } from '../ir.ts';
import { aggregateRules } from './aggregate.ts';
import { distinctRules } from './distinct.ts';
import { filterRules } from './filter.ts';
import { joinRules } from './join.ts';
import { projectRules } from './project.ts';
import type { OpRules } from './rules.ts';
import { scanRules } from './scan.ts';
import { setOpRules } from './set-op.ts';
import { topkRules } from './topk.ts';
import { windowRules } from './window.ts';
import { unionAllRules } from './union-all.ts';
import { outerJoinRules } from './outer-join.ts';
import { padRules } from './pad.ts';
import { semiJoinRules } from './semi-join.ts';
import { constantRules } from './constant.ts';

export const RULES: { readonly [K in OpKind]: OpRules<K> } = {
  Scan: scanRules,
  Filter: filterRules,
  Project: projectRules,
  Join: joinRules,
  Aggregate: aggregateRules,
  Distinct: distinctRules,
  UnionAll: unionAllRules,
  SetOp: setOpRules,
  TopK: topkRules,
  Window: windowRules,
  SemiJoin: semiJoinRules,
  OuterJoin: outerJoinRules,
  Pad: padRules,
  Constant: constantRules,
};

/** The rules of a node's kind (the table above guarantees every kind has them). */
export function rulesOf(node: OpNode): OpRules<OpKind> {
  return RULES[node.kind] as unknown as OpRules<OpKind>;
}
