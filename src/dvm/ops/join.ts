/**
 * Inner / cross join. Over Z-sets with post-window states only:
 *   Δ(L ⋈ R) = ΔL ⋈ R₁  +  L₁ ⋈ ΔR  −  ΔL ⋈ ΔR
 * (expand L₀ ⋈ R₀ with L₀ = L₁ − ΔL, R₀ = R₁ − ΔR). This is exact for any
 * depth of join tree — no pre-change snapshots, no approximation for deep
 * trees — and each part is driven by a (small) delta, so the planner can
 * probe the other side through its join-key index.
 */
import type { Col, Expr, JoinNode, OpNode } from '../ir.ts';
import { relColumns } from '../ir.ts';
import { exprSql, exprText, fromAliases } from '../emit/expr.ts';
import { WEIGHT, op, passThrough, sub } from '../emit/sql.ts';
import type { OpRules } from './rules.ts';
import type { EmitContext } from '../emit/context.ts';

export function makeJoin(left: OpNode, right: OpNode, condition: Expr | null): JoinNode {
  return {
    kind: 'Join',
    left,
    right,
    condition,
    columns: [...left.columns, ...right.columns],
    key: left.key && right.key ? [...left.key, ...right.key] : null,
  };
}

function sideMap(n: JoinNode, leftAlias: string, rightAlias: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of relColumns(n.left)) m.set(c.id, leftAlias);
  for (const c of relColumns(n.right)) m.set(c.id, rightAlias);
  return m;
}

function joinSelect(n: JoinNode, l: { from: string; alias: string }, r: { from: string; alias: string }, weight: string | null): string {
  const sides = sideMap(n, l.alias, r.alias);
  const cols: string[] = [];
  for (const c of relColumns(n)) cols.push(...passThrough(sides.get(c.id)!, [c as Col]));
  if (weight) cols.push(`${weight} AS ${WEIGHT}`);
  const on = n.condition ? exprSql(n.condition, fromAliases(sides)) : 'true';
  return `SELECT ${cols.join(', ')}\n  FROM ${l.from}\n  JOIN ${r.from}\n    ON ${on}`;
}

function deltaParts(n: JoinNode, ctx: EmitContext): string {
  const dl = ctx.delta(n.left);
  const dr = ctx.delta(n.right);
  const part1 = joinSelect(n, { from: `${dl} AS dl`, alias: 'dl' }, { from: sub(ctx.current(n.right), 'r'), alias: 'r' }, `dl.${WEIGHT}`);
  const part2 = joinSelect(n, { from: sub(ctx.current(n.left), 'l'), alias: 'l' }, { from: `${dr} AS dr`, alias: 'dr' }, `dr.${WEIGHT}`);
  const part3 = joinSelect(
    n,
    { from: `${dl} AS dl`, alias: 'dl' },
    { from: `${dr} AS dr`, alias: 'dr' },
    `${op('-')} (dl.${WEIGHT} ${op('*')} dr.${WEIGHT})`,
  );
  return `${part1}\nUNION ALL\n${part2}\nUNION ALL\n${part3}`;
}

export const joinRules: OpRules<'Join'> = {
  children: (n) => [n.left, n.right],
  describe: (n) => (n.condition ? `Join ON ${exprText(n.condition)}` : 'Join CROSS'),
  prune: (n, need, recurse) => {
    // Key columns need not be asked for: every node's relation carries its key.
    const all = new Set([...need, ...(n.condition?.refs ?? [])]);
    return makeJoin(recurse(n.left, all), recurse(n.right, all), n.condition);
  },
  mapChildren: (n, f) => makeJoin(f(n.left), f(n.right), n.condition),
  current: (n, ctx) =>
    joinSelect(n, { from: sub(ctx.current(n.left), 'l'), alias: 'l' }, { from: sub(ctx.current(n.right), 'r'), alias: 'r' }, null),
  delta: deltaParts,
};
