/**
 * Semi-join (EXISTS, IN, op ANY) and anti-join (NOT EXISTS, NOT IN, op ALL),
 * maintained by *match counting* over post-window states only.
 *
 * With L₀ = L₁ − ΔL and R₀ = R₁ − ΔR (Z-sets):
 *   Δ(L ⋉ R) = [L₁ ⋉ R₁ − L₁ ⋉ R₀]  +  ΔL ⋉ R₀
 * - part A, ΔL ⋉ R₀: each changed left row, judged against R₀. A row's number
 *   of matches in R₀ is its count in R₁ minus the weights of its matching ΔR
 *   rows (when no ΔR row matches, R₀ and R₁ agree and EXISTS over R₁ decides).
 * - part B: the current left rows correlated with some ΔR row, emitted +1 when
 *   they gained their first match (0 in R₀, >0 in R₁) and −1 when they lost
 *   their last one; others cancel and are not emitted.
 * The anti-join is the same with the verdicts inverted. Exact for duplicates
 * on either side (counts, not existence, are subtracted) and for NULLs (a row
 * matches when the condition is TRUE, as in EXISTS).
 *
 * Cost: |ΔL| + the left rows correlated with ΔR (through the condition, an
 * index probe for an equi-condition), and for each of those the count of its
 * matches in R₁ — the matching rows of the changed keys are re-read.
 */
import type { Col, Expr, OpNode, SemiJoinNode } from '../ir.ts';
import { relColumns } from '../ir.ts';
import { exprSql, exprText, fromAliases } from '../emit/expr.ts';
import { WEIGHT, fn, op, passThrough, sub } from '../emit/sql.ts';
import type { EmitContext } from '../emit/context.ts';
import type { OpRules } from './rules.ts';

export function makeSemiJoin(left: OpNode, right: OpNode, condition: Expr | null, anti: boolean): SemiJoinNode {
  return { kind: 'SemiJoin', left, right, condition, anti, columns: left.columns, key: left.key };
}

/** The condition with the left side's columns at `l` and the right side's at `r`. */
function cond(n: SemiJoinNode, l: string, r: string): string {
  if (!n.condition) return 'true';
  const m = new Map<string, string>();
  for (const c of relColumns(n.right)) m.set(c.id, r);
  for (const c of relColumns(n.left)) m.set(c.id, l);
  return exprSql(n.condition, fromAliases(m));
}

/** Matches of the left row at `l` in R₁ (count) and in ΔR (Σ weights). */
function counts(n: SemiJoinNode, ctx: EmitContext, l: string, dr: string): { now: string; changed: string; exists: string; anyChange: string } {
  const r1 = sub(ctx.current(n.right), 'r');
  return {
    now: `(SELECT ${fn('count')}(*) FROM ${r1} WHERE ${cond(n, l, 'r')})`,
    exists: `EXISTS (SELECT FROM ${r1} WHERE ${cond(n, l, 'r')})`,
    changed: `(SELECT COALESCE(${fn('sum')}(dr.${WEIGHT}), 0) FROM ${dr} AS dr WHERE ${cond(n, l, 'dr')})`,
    anyChange: `EXISTS (SELECT FROM ${dr} AS dr WHERE ${cond(n, l, 'dr')})`,
  };
}

function delta(n: SemiJoinNode, ctx: EmitContext): string {
  const cols = relColumns(n);
  const dl = ctx.delta(n.left);
  const dr = ctx.delta(n.right);

  // Part A: ΔL judged against R₀.
  const a = counts(n, ctx, 'dl', dr);
  const matchedBefore = `(CASE WHEN ${a.anyChange} THEN (${a.now} ${op('-')} ${a.changed}) ${op('>')} 0 ELSE ${a.exists} END)`;
  const partA = `SELECT ${[...passThrough('dl', cols), `dl.${WEIGHT}`].join(', ')}
  FROM ${dl} AS dl
 WHERE ${n.anti ? `NOT ${matchedBefore}` : matchedBefore}`;

  // Part B: current left rows whose match status ΔR flipped.
  const b = counts(n, ctx, 'l', dr);
  const probed = `SELECT ${[...passThrough('l', cols), `${b.now} AS __pgt_n1`, `${b.changed} AS __pgt_dn`].join(', ')}
  FROM ${sub(ctx.current(n.left), 'l')}
 WHERE ${b.anyChange}`;
  const gained = n.anti ? '-1' : '1';
  const lost = n.anti ? '1' : '-1';
  const partB = `SELECT ${[...passThrough('x', cols), `(CASE WHEN x.__pgt_n1 ${op('>')} 0 THEN ${gained} ELSE ${lost} END)::bigint AS ${WEIGHT}`].join(', ')}
  FROM ${sub(probed, 'x')}
 WHERE (x.__pgt_n1 ${op('>')} 0) ${op('<>')} ((x.__pgt_n1 ${op('-')} x.__pgt_dn) ${op('>')} 0)`;
  return `${partA}\nUNION ALL\n${partB}`;
}

export const semiJoinRules: OpRules<'SemiJoin'> = {
  children: (n) => [n.left, n.right],
  describe: (n) =>
    `${n.anti ? 'AntiJoin' : 'SemiJoin'} ON ${n.condition ? exprText(n.condition) : 'true'} [match counting]`,
  prune: (n, need, recurse) => {
    const refs = n.condition?.refs ?? [];
    return makeSemiJoin(recurse(n.left, new Set([...need, ...refs])), recurse(n.right, new Set(refs)), n.condition, n.anti);
  },
  mapChildren: (n, f) => makeSemiJoin(f(n.left), f(n.right), n.condition, n.anti),
  current: (n, ctx) =>
    `SELECT ${passThrough('l', relColumns(n) as Col[]).join(', ')}
  FROM ${sub(ctx.current(n.left), 'l')}
 WHERE ${n.anti ? 'NOT ' : ''}EXISTS (SELECT FROM ${sub(ctx.current(n.right), 'r')} WHERE ${cond(n, 'l', 'r')})`,
  delta,
};
