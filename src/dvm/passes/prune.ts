/**
 * Pass `prune`: keep in each Scan only the columns some operator above uses
 * (plus its key). Fewer columns read from sources and change buffers.
 */
import type { OpNode } from '../ir.ts';
import { relColumns } from '../ir.ts';
import { rulesOf } from '../ops/index.ts';

function prune(node: OpNode, need: ReadonlySet<string>): OpNode {
  return rulesOf(node).prune(node, need, prune);
}

export function pruneColumns(root: OpNode): OpNode {
  return prune(root, new Set(relColumns(root).map((c) => c.id)));
}
