/**
 * Pad: the rows of a child widened with NULLs for the columns of another
 * node (the NULL-padded rows of an outer join). Linear: ΔPad(X) = Pad(ΔX).
 *
 * The NULLs must carry their column's type (a bare NULL in a subquery is
 * `text`, and the outer join's union would not type-check): a known type is a
 * cast, an unknown one is taken from an empty read of the template node.
 */
import type { Col, OpNode, PadNode } from '../ir.ts';
import { relColumns } from '../ir.ts';
import { WEIGHT, colRef, ident, sub } from '../emit/sql.ts';
import type { EmitContext } from '../emit/context.ts';
import type { OpRules } from './rules.ts';
import { DvmInternalError } from '../errors.ts';

export function makePad(child: OpNode, template: OpNode, padded: readonly Col[], columns: readonly Col[]): PadNode {
  return { kind: 'Pad', child, template, padded, columns, key: child.key };
}

function select(n: PadNode, ctx: EmitContext, from: string, weighted: boolean): string {
  const own = new Set(relColumns(n.child).map((c) => c.id));
  const padded = new Set(n.padded.map((c) => c.id));
  const typed = n.padded.every((c) => c.type !== null);
  const items = relColumns(n).map((c) => {
    if (own.has(c.id)) return `${colRef('c', c)} AS ${ident(c.id)}`;
    if (!padded.has(c.id)) throw new DvmInternalError(`Pad: column ${c.id} is neither the child's nor padded`);
    return typed ? `NULL::${c.type} AS ${ident(c.id)}` : `${colRef('p', c)} AS ${ident(c.id)}`;
  });
  if (weighted) items.push(`c.${WEIGHT}`);
  const join = typed || n.padded.length === 0 ? '' : `\n  LEFT JOIN (SELECT * FROM ${sub(ctx.current(n.template), 't')} LIMIT 0) AS p ON true`;
  return `SELECT ${items.join(', ')}\n  FROM ${from}${join}`;
}

export const padRules: OpRules<'Pad'> = {
  children: (n) => [n.child],
  describe: (n) => `Pad NULL AS [${n.padded.map((c) => c.id).join(', ')}]`,
  // Pad nodes exist only inside an outer join's expansion, built after the passes.
  prune: (n, need, recurse) => makePad(recurse(n.child, need), n.template, n.padded, n.columns),
  mapChildren: (n, f) => makePad(f(n.child), n.template, n.padded, n.columns),
  current: (n, ctx) => select(n, ctx, sub(ctx.current(n.child), 'c'), false),
  delta: (n, ctx) => select(n, ctx, `${ctx.delta(n.child)} AS c`, true),
};
