/**
 * INTERSECT [ALL] / EXCEPT [ALL]: counting. A row's multiplicity in the
 * result is a function of its multiplicities l in the left input and r in the
 * right one:
 *
 *   INTERSECT ALL  least(l, r)        INTERSECT  1 if l > 0 and r > 0
 *   EXCEPT ALL     greatest(l − r, 0) EXCEPT     1 if l > 0 and r = 0
 *
 * For each distinct row the delta touches, l₁ and r₁ are counted in the
 * current inputs (NULL-safe match on every column, one probe per changed
 * row), l₀ = l₁ − Σw_L and r₀ = r₁ − Σw_R, and the row's weight is
 * f(l₁, r₁) − f(l₀, r₀). Nothing is stored beyond the result itself: the
 * storage holds exactly the rows of the result (the ALL forms as copies),
 * readable with a plain SELECT. Cost: |ΔL| + |ΔR| changed rows, each counted
 * in both inputs (by index when one covers the columns, else a scan).
 *
 * (UNION without ALL is Distinct over UnionAll, see build/select.ts.)
 */
import { ident } from '../../sql/ident.ts';
import type { Col, SetOpNode, UnionBranch } from '../ir.ts';
import { WEIGHT, and, colRef, fn, nullSafeEq, op, passThrough, sub } from '../emit/sql.ts';
import type { EmitContext } from '../emit/context.ts';
import type { OpRules } from './rules.ts';

export function makeSetOp(setOp: 'intersect' | 'except', all: boolean, left: UnionBranch, right: UnionBranch, columns: readonly Col[]): SetOpNode {
  return { kind: 'SetOp', op: setOp, all, left, right, columns, key: all ? null : columns };
}

function branchSelect(n: SetOpNode, b: UnionBranch, from: string, weighted: boolean): string {
  const items = b.columns.map((c, j) => `${colRef('t', c)} AS ${ident(n.columns[j]!.id)}`);
  if (weighted) items.push(`t.${WEIGHT}`);
  return `SELECT ${items.join(', ')}\n  FROM ${from}`;
}

/** The result multiplicity from the two input multiplicities (SQL over `l`, `r`). */
function multiplicity(n: SetOpNode, l: string, r: string): string {
  const gt0 = (x: string) => `(${x}) ${op('>')} 0`;
  if (n.op === 'intersect') return n.all ? `LEAST(${l}, ${r})` : `CASE WHEN ${gt0(l)} AND ${gt0(r)} THEN 1 ELSE 0 END`;
  return n.all ? `GREATEST((${l}) ${op('-')} (${r}), 0)` : `CASE WHEN ${gt0(l)} AND NOT ${gt0(r)} THEN 1 ELSE 0 END`;
}

function delta(n: SetOpNode, ctx: EmitContext): string {
  const cols = n.columns.map((c) => colRef('u', c));
  // UNION ALL is positional: __pgt_dl, then __pgt_dr, in both arms.
  const side = (b: UnionBranch, which: 'l' | 'r'): string => {
    const [dl, dr] = which === 'l' ? [`t.${WEIGHT}`, '0::bigint'] : ['0::bigint', `t.${WEIGHT}`];
    return `SELECT ${[...passThrough('t', n.columns), `${dl} AS __pgt_dl`, `${dr} AS __pgt_dr`].join(', ')}\n  FROM ${sub(branchSelect(n, b, `${ctx.delta(b.node)} AS t`, true), 't')}`;
  };
  const net = ctx.define(
    'setopnet',
    `SELECT ${[...passThrough('u', n.columns), `${fn('sum')}(u.__pgt_dl)::bigint AS __pgt_dl`, `${fn('sum')}(u.__pgt_dr)::bigint AS __pgt_dr`].join(', ')}
  FROM (
${side(n.left, 'l')}
  UNION ALL
${side(n.right, 'r')}
  ) AS u${cols.length ? `\n GROUP BY ${cols.join(', ')}` : ''}`,
  );
  const count = (b: UnionBranch): string => {
    const match = and(b.columns.map((c, j) => nullSafeEq(colRef('t', c), colRef('k', n.columns[j]!))));
    return `(SELECT ${fn('count')}(*) FROM ${sub(ctx.current(b.node), 't')} WHERE ${match})`;
  };
  const counted = `SELECT k.*, ${count(n.left)} AS __pgt_l1, ${count(n.right)} AS __pgt_r1\n  FROM ${net} AS k\n WHERE k.__pgt_dl ${op('<>')} 0 OR k.__pgt_dr ${op('<>')} 0`;
  const now = multiplicity(n, 'x.__pgt_l1', 'x.__pgt_r1');
  const before = multiplicity(n, `x.__pgt_l1 ${op('-')} x.__pgt_dl`, `x.__pgt_r1 ${op('-')} x.__pgt_dr`);
  const weighted = `SELECT x.*, ((${now}) ${op('-')} (${before}))::bigint AS __pgt_net\n  FROM ${sub(counted, 'x')}`;
  return `SELECT ${[...passThrough('y', n.columns), `y.__pgt_net AS ${WEIGHT}`].join(', ')}\n  FROM ${sub(weighted, 'y')}\n WHERE y.__pgt_net ${op('<>')} 0`;
}

export const setOpRules: OpRules<'SetOp'> = {
  children: (n) => [n.left.node, n.right.node],
  describe: (n) => `${n.op === 'intersect' ? 'Intersect' : 'Except'}${n.all ? ' ALL' : ''} [${n.columns.map((c) => c.id).join(', ')}] (counting: each changed row counted in both inputs)`,
  prune: (n, _need, recurse) => {
    const keep = (b: UnionBranch): UnionBranch => ({ node: recurse(b.node, new Set(b.columns.map((c) => c.id))), columns: b.columns });
    return makeSetOp(n.op, n.all, keep(n.left), keep(n.right), n.columns);
  },
  mapChildren: (n, f) =>
    makeSetOp(n.op, n.all, { node: f(n.left.node), columns: n.left.columns }, { node: f(n.right.node), columns: n.right.columns }, n.columns),
  current: (n, ctx) =>
    `${branchSelect(n, n.left, sub(ctx.current(n.left.node), 't'), false)}\n${n.op === 'intersect' ? 'INTERSECT' : 'EXCEPT'}${n.all ? ' ALL' : ''}\n${branchSelect(n, n.right, sub(ctx.current(n.right.node), 't'), false)}`,
  delta,
};


