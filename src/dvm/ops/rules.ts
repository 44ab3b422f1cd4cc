/**
 * What every operator kind must define. The table of rules (ops/index.ts) is a
 * `{ [K in OpKind]: OpRules<K> }`, so adding a node kind does not compile until
 * every pass below handles it.
 */
import type { EmitContext } from '../emit/context.ts';
import type { NodeOf, OpKind, OpNode } from '../ir.ts';

export interface OpRules<K extends OpKind> {
  children(node: NodeOf<K>): readonly OpNode[];
  /** One line for the explain tree. */
  describe(node: NodeOf<K>): string;
  /**
   * Pass `prune`: rebuild the node keeping only what its parent needs
   * (`need` = internal column ids), recursing through `recurse`.
   */
  prune(node: NodeOf<K>, need: ReadonlySet<string>, recurse: (child: OpNode, need: ReadonlySet<string>) => OpNode): OpNode;
  /** Pass `push-down`: rebuild with transformed children. */
  mapChildren(node: NodeOf<K>, f: (child: OpNode) => OpNode): OpNode;
  /** SQL of the node's current state X₁: a SELECT producing relColumns(node). */
  current(node: NodeOf<K>, ctx: EmitContext): string;
  /**
   * SQL of the node's delta ΔX = X₁ − X₀ as a Z-set: a SELECT producing
   * relColumns(node) plus the integer weight column `__pgt_w`. Rows need not
   * be consolidated; the same row may appear with opposite weights.
   */
  delta(node: NodeOf<K>, ctx: EmitContext): string;
}
