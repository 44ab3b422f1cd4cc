/**
 * UNION ALL: deltas concatenate. The identity of a row is (branch number,
 * branch identity), hashed into one synthetic bigint column so branches with
 * different key shapes share one column list.
 */
import { ident } from '../../sql/ident.ts';
import type { Col, UnionAllNode, UnionBranch } from '../ir.ts';
import { WEIGHT, colRef, hashOf, identityValue, literal, sub } from '../emit/sql.ts';
import type { EmitContext } from '../emit/context.ts';
import type { OpRules } from './rules.ts';

export function makeUnionAll(branches: readonly UnionBranch[], columns: readonly Col[], branchKey: Col): UnionAllNode {
  const keyed = branches.every((b) => b.node.key !== null);
  return { kind: 'UnionAll', branches, columns, branchKey, key: keyed ? [branchKey] : null };
}

function arm(n: UnionAllNode, i: number, from: string, weighted: boolean): string {
  const b = n.branches[i]!;
  const items = b.columns.map((c, j) => `${colRef('t', c)} AS ${ident(n.columns[j]!.id)}`);
  if (n.key) items.push(`${hashOf([literal(String(i + 1)), ...b.node.key!.map((k) => identityValue('t', k))])} AS ${ident(n.branchKey.id)}`);
  if (weighted) items.push(`t.${WEIGHT}`);
  return `SELECT ${items.join(', ')}\n  FROM ${from}`;
}

function arms(n: UnionAllNode, ctx: EmitContext, weighted: boolean): string {
  return n.branches
    .map((b, i) => arm(n, i, weighted ? `${ctx.delta(b.node)} AS t` : sub(ctx.current(b.node), 't'), weighted))
    .join('\nUNION ALL\n');
}

export const unionAllRules: OpRules<'UnionAll'> = {
  children: (n) => n.branches.map((b) => b.node),
  describe: (n) => `UnionAll [${n.columns.map((c) => c.id).join(', ')}]${n.key ? ` key(${n.branchKey.id})` : ' keyless'}`,
  prune: (n, _need, recurse) =>
    makeUnionAll(
      n.branches.map((b) => ({ node: recurse(b.node, new Set([...b.columns, ...(b.node.key ?? [])].map((c) => c.id))), columns: b.columns })),
      n.columns,
      n.branchKey,
    ),
  mapChildren: (n, f) =>
    makeUnionAll(
      n.branches.map((b) => ({ node: f(b.node), columns: b.columns })),
      n.columns,
      n.branchKey,
    ),
  current: (n, ctx) => arms(n, ctx, false),
  delta: (n, ctx) => arms(n, ctx, true),
};
