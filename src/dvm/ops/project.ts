/**
 * Project (the SELECT list): π is linear, Δπ(X) = π(ΔX). The child's identity
 * columns are carried through (hidden) so a projection that drops the primary
 * key still has a true row identity.
 */
import { ident } from '../../sql/ident.ts';
import type { OpNode, ProjectItem, ProjectNode } from '../ir.ts';
import { exprSql, exprText, fromAlias } from '../emit/expr.ts';
import { WEIGHT, colRef, sub } from '../emit/sql.ts';
import type { OpRules } from './rules.ts';

export function makeProject(child: OpNode, items: readonly ProjectItem[]): ProjectNode {
  return { kind: 'Project', child, items, columns: items.map((i) => i.col), key: child.key };
}

export function itemSql(item: ProjectItem, alias: string): string {
  const value = exprSql(item.expr, fromAlias(alias));
  return item.cast ? `CAST(${value} AS ${item.cast})` : value;
}

function selectItems(n: ProjectNode, alias: string): string[] {
  const out = n.items.map((i) => `${itemSql(i, alias)} AS ${ident(i.col.id)}`);
  for (const k of n.key ?? []) out.push(`${colRef(alias, k)} AS ${ident(k.id)}`);
  return out;
}

export const projectRules: OpRules<'Project'> = {
  children: (n) => [n.child],
  describe: (n) =>
    `Project ${n.items.map((i) => `${exprText(i.expr)}${i.cast ? `::${i.cast}` : ''} AS ${i.col.id}`).join(', ')}`,
  prune: (n, _need, recurse) => {
    const need = new Set<string>();
    for (const i of n.items) for (const r of i.expr.refs) need.add(r);
    return makeProject(recurse(n.child, need), n.items);
  },
  mapChildren: (n, f) => makeProject(f(n.child), n.items),
  current: (n, ctx) => `SELECT ${selectItems(n, 't').join(', ')}\n  FROM ${sub(ctx.current(n.child), 't')}`,
  delta: (n, ctx) => `SELECT ${[...selectItems(n, 't'), `t.${WEIGHT}`].join(', ')}\n  FROM ${ctx.delta(n.child)} AS t`,
};
