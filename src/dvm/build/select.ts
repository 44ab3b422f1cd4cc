/**
 * Pass `build`: SELECT statement (raw AST) → operator tree.
 *
 * FROM items become Scans and Joins (comma lists are cross joins; WHERE
 * conjuncts are pushed into them by the push-down pass), subqueries and CTE
 * references are built in place (a CTE referenced twice is built twice, with
 * fresh column ids, so a self-join of a CTE has distinct columns), WHERE is a
 * Filter, GROUP BY/aggregates an Aggregate (build/grouping.ts), the SELECT
 * list a Project, DISTINCT a Distinct, UNION ALL a UnionAll.
 */
import { bodyOf, kindOf, type PgBody, type PgNode } from '../ast.ts';
import { UnsupportedQueryError } from '../errors.ts';
import { boundRef, exprOf } from '../emit/expr.ts';
import type { Col, Expr, OpNode, ProjectItem, ScanColumn, UnionBranch } from '../ir.ts';
import { makeDistinct } from '../ops/distinct.ts';
import { makeJoin } from '../ops/join.ts';
import { makeProject } from '../ops/project.ts';
import { makeScan } from '../ops/scan.ts';
import { makeSetOp } from '../ops/set-op.ts';
import { makeUnionAll } from '../ops/union-all.ts';
import { containsAggregate, RESERVED_PREFIX } from '../restrict.ts';
import type { CompileSource } from '../types.ts';
import type { BuildContext } from './context.ts';
import { buildGrouped } from './grouping.ts';
import { buildWindows } from './window.ts';
import { applyWhere, extractScalars } from './sublinks.ts';
import { makeOuterJoin } from '../ops/outer-join.ts';
import { makeConstant } from '../ops/constant.ts';
import { Scope, type RangeEntry, type ScopeColumn } from './scope.ts';

export interface Built {
  readonly node: OpNode;
  /** Output column names, in order (the visible columns of `node`). */
  readonly names: readonly string[];
}

interface CteDef {
  readonly query: PgBody;
  readonly colnames: readonly string[];
  readonly env: CteEnv | null;
}

export interface CteEnv {
  readonly defs: ReadonlyMap<string, CteDef>;
  readonly parent: CteEnv | null;
}

interface FromResult {
  readonly node: OpNode;
  readonly entries: readonly RangeEntry[];
  /** What `*` expands to, in order. */
  readonly star: readonly ScopeColumn[];
  readonly merged: ReadonlyMap<string, Col>;
}

/** A SELECT-list entry after `*` expansion. */
interface Target {
  readonly name: string;
  readonly ast: PgNode;
}

function lookupCte(env: CteEnv | null, name: string): CteDef | null {
  for (let e = env; e; e = e.parent) {
    const d = e.defs.get(name);
    if (d) return d;
  }
  return null;
}

function withEnv(sel: PgBody, env: CteEnv | null): CteEnv | null {
  if (!sel.withClause) return env;
  const defs = new Map<string, CteDef>();
  const scope: CteEnv = { defs, parent: env };
  for (const c of sel.withClause.ctes ?? []) {
    const cte = c.CommonTableExpr as PgBody;
    // Each CTE sees the ones before it (non-recursive WITH).
    defs.set(cte.ctename, {
      query: cte.ctequery.SelectStmt,
      colnames: (cte.aliascolnames ?? []).map((n: PgNode) => String(n.String.sval)),
      env: { defs: new Map(defs), parent: env },
    });
  }
  return scope;
}

function renamed(names: readonly string[], aliases: readonly string[]): string[] {
  return names.map((n, i) => aliases[i] ?? n);
}

export function buildSelect(ctx: BuildContext, sel: PgBody, env: CteEnv | null, rootTypes: readonly string[] | null): Built {
  const scopeEnv = withEnv(sel, env);
  if ((sel.op ?? 'SETOP_NONE') !== 'SETOP_NONE') return buildSetOperation(ctx, sel, scopeEnv, rootTypes);
  if (sel.valuesLists?.length) return buildValues(ctx, sel, rootTypes);

  const from: FromResult = sel.fromClause?.length
    ? buildFromList(ctx, sel.fromClause as PgNode[], scopeEnv)
    : { node: makeConstant([[]], []), entries: [], star: [], merged: new Map() };
  const scope = new Scope(from.entries, from.merged);
  let node: OpNode = from.node;
  if (sel.whereClause) node = applyWhere(ctx, node, scope, sel.whereClause, scopeEnv);

  const targets = expandTargets(ctx, sel.targetList as PgNode[], scope, from.star);
  let items: ProjectItem[];
  const userAggregates = new Set(ctx.input.userAggregates ?? []);
  const grouped = (sel.groupClause ?? []).length > 0 || containsAggregate(sel.targetList, userAggregates) || containsAggregate(sel.havingClause, userAggregates);
  if (grouped) {
    // Scalar subqueries over a grouped query: joined above the aggregate (uncorrelated only).
    const pre = extractScalars(ctx, scope, [...targets.map((t) => t.ast), sel.havingClause ?? null], scopeEnv, false);
    const scalarTargets = targets.map((t, i) => ({ name: t.name, ast: pre.asts[i]! }));
    const having = pre.asts[targets.length] ?? null;
    const g = buildGrouped(ctx, { node, scope, targets: scalarTargets, groupClause: sel.groupClause ?? [], having, rootTypes, above: pre.attach, values: pre.ids });
    node = g.node;
    items = g.targets.map((expr, i) => ({ col: ctx.col(targets[i]!.name, rootTypes?.[i] ?? ctx.typeOf(expr)), expr, cast: rootTypes?.[i] ?? null }));
  } else {
    const pre = extractScalars(ctx, scope, targets.map((t) => t.ast), scopeEnv, true);
    node = pre.attach(node);
    items = targets.map((t, i) => {
      const expr = scope.bind(pre.asts[i]!);
      return { col: ctx.col(t.name, rootTypes?.[i] ?? ctx.typeOf(expr)), expr, cast: rootTypes?.[i] ?? null };
    });
  }
  if (rootTypes && rootTypes.length !== targets.length) {
    throw new UnsupportedQueryError('output_columns', `query has ${targets.length} columns, probe has ${rootTypes.length}`);
  }
  const windowed = buildWindows(ctx, node, items);
  node = makeProject(windowed.node, windowed.items);
  if (sel.distinctClause?.length) node = makeDistinct(node);
  return { node, names: targets.map((t) => t.name) };
}

/** VALUES (…), (…): constant rows, columns named column1…N as PostgreSQL names them. */
function buildValues(ctx: BuildContext, sel: PgBody, rootTypes: readonly string[] | null): Built {
  const empty = new Scope([], new Map());
  const rows = (sel.valuesLists as PgNode[]).map((row) => ((row.List?.items ?? []) as PgNode[]).map((e) => empty.bind(e)));
  const width = rows[0]?.length ?? 0;
  const names = Array.from({ length: width }, (_, i) => `column${i + 1}`);
  const columns = names.map((name, i) => ctx.col(name, rootTypes?.[i] ?? ctx.typeOf(rows[0]![i]!)));
  return { node: makeConstant(rows, columns), names };
}

function expandTargets(ctx: BuildContext, list: readonly PgNode[], scope: Scope, star: readonly ScopeColumn[]): Target[] {
  const out: Target[] = [];
  for (const t of list) {
    const rt = t.ResTarget as PgBody;
    const val = rt.val as PgNode;
    const fields = val.ColumnRef?.fields as PgNode[] | undefined;
    if (fields && fields[fields.length - 1]?.A_Star) {
      const cols = fields.length === 1 ? star : scope.starOf(String(fields[fields.length - 2]!.String.sval), val.ColumnRef);
      for (const c of cols) out.push({ name: c.name, ast: boundRef(c.col.id) });
      continue;
    }
    out.push({ name: rt.name ?? ctx.figureName(val), ast: val });
  }
  return out;
}

/** A set-operation arm that is itself a plain part of the chain (no WITH, ORDER BY, LIMIT of its own). */
function plainArm(sel: PgBody): boolean {
  return !sel.withClause && !sel.sortClause?.length && !sel.limitCount && !sel.limitOffset;
}

/**
 * The arms of a chain of UNION ALL (all = true), or of UNION [ALL] under a
 * UNION without ALL (all = false: DISTINCT over all arms is the same as
 * DISTINCT over each nested UNION).
 */
function flattenUnion(sel: PgBody, out: PgBody[], all: boolean): void {
  if (sel.op === 'SETOP_UNION' && (all ? sel.all : true) && plainArm(sel)) {
    flattenUnion(sel.larg, out, all);
    flattenUnion(sel.rarg, out, all);
  } else out.push(sel);
}

function buildSetOperation(ctx: BuildContext, sel: PgBody, env: CteEnv | null, rootTypes: readonly string[] | null): Built {
  if (sel.op === 'SETOP_UNION') {
    const all = sel.all === true;
    const leaves: PgBody[] = [];
    flattenUnion(sel.larg, leaves, all);
    flattenUnion(sel.rarg, leaves, all);
    const union = buildUnionAll(ctx, leaves, env, rootTypes);
    return all ? union : { node: makeDistinct(union.node), names: union.names };
  }
  const left = buildSelect(ctx, sel.larg, env, rootTypes);
  const right = buildSelect(ctx, sel.rarg, env, rootTypes);
  if (left.node.columns.length !== right.node.columns.length) {
    throw new UnsupportedQueryError('output_columns', `${sel.op.replace('SETOP_', '')} arms have different column counts`);
  }
  const columns = left.names.map((name, i) => ctx.col(name, rootTypes?.[i] ?? left.node.columns[i]!.type));
  const node = makeSetOp(
    sel.op === 'SETOP_INTERSECT' ? 'intersect' : 'except',
    sel.all === true,
    { node: left.node, columns: left.node.columns },
    { node: right.node, columns: right.node.columns },
    columns,
  );
  return { node, names: left.names };
}

function buildUnionAll(ctx: BuildContext, leaves: readonly PgBody[], env: CteEnv | null, rootTypes: readonly string[] | null): Built {
  const built = leaves.map((leaf) => buildSelect(ctx, leaf, env, rootTypes));
  const first = built[0]!;
  for (const b of built) {
    if (b.node.columns.length !== first.node.columns.length) {
      throw new UnsupportedQueryError('output_columns', 'UNION branches have different column counts');
    }
  }
  const columns = first.names.map((name, i) => ctx.col(name, rootTypes?.[i] ?? first.node.columns[i]!.type));
  const branches: UnionBranch[] = built.map((b) => ({ node: b.node, columns: b.node.columns }));
  return { node: makeUnionAll(branches, columns, ctx.col('branch_key', 'bigint')), names: first.names };
}

export function buildFromList(ctx: BuildContext, items: readonly PgNode[], env: CteEnv | null): FromResult {
  let acc: FromResult | null = null;
  for (const item of items) {
    const r = buildFromItem(ctx, item, env);
    acc = acc === null ? r : {
      node: makeJoin(acc.node, r.node, null),
      entries: [...acc.entries, ...r.entries],
      star: [...acc.star, ...r.star],
      merged: new Map([...acc.merged, ...r.merged]),
    };
  }
  return acc!;
}

function buildFromItem(ctx: BuildContext, item: PgNode, env: CteEnv | null): FromResult {
  const kind = kindOf(item);
  const b = bodyOf(item);
  switch (kind) {
    case 'RangeVar':
      return buildRangeVar(ctx, b, env);
    case 'RangeSubselect': {
      const built = buildSelect(ctx, b.subquery.SelectStmt, env, null);
      return fromBuilt(built, b.alias?.aliasname ?? null, colAliases(b.alias));
    }
    case 'JoinExpr':
      return buildJoin(ctx, b, env);
    default:
      throw new UnsupportedQueryError('unsupported_expression', `FROM item ${kind}`);
  }
}

function colAliases(alias: PgBody | undefined): string[] {
  return (alias?.colnames ?? []).map((n: PgNode) => String(n.String.sval));
}

function fromBuilt(built: Built, alias: string | null, aliases: readonly string[]): FromResult {
  const names = renamed(built.names, aliases);
  const columns = built.node.columns.map((col, i) => ({ name: names[i]!, col }));
  return { node: built.node, entries: [{ alias, schema: null, columns }], star: columns, merged: new Map() };
}

function resolveSource(ctx: BuildContext, schema: string | null, name: string, at: PgBody): CompileSource {
  const { sources, searchPath } = ctx.input;
  const found = schema !== null
    ? sources.find((s) => s.schema === schema && s.name === name)
    : searchPath.map((sp) => sources.find((s) => s.schema === sp && s.name === name)).find((s) => s !== undefined);
  if (!found) throw new UnsupportedQueryError('unknown_relation', schema ? `${schema}.${name}` : name, at.location ?? null);
  return found;
}

function buildRangeVar(ctx: BuildContext, rv: PgBody, env: CteEnv | null): FromResult {
  const alias: string | null = rv.alias?.aliasname ?? null;
  const aliases = colAliases(rv.alias);
  if (!rv.schemaname) {
    const cte = lookupCte(env, rv.relname);
    if (cte) {
      const built = buildSelect(ctx, cte.query, cte.env, null);
      return fromBuilt({ node: built.node, names: renamed(built.names, cte.colnames) }, alias ?? rv.relname, aliases);
    }
  }
  const source = resolveSource(ctx, rv.schemaname ?? null, rv.relname, rv);
  const visible: ScanColumn[] = [];
  const all = new Map<string, ScanColumn>();
  for (const c of source.columns) {
    const sc = { col: ctx.col(c.name, c.type), source: c.name };
    all.set(c.name, sc);
    if (!c.name.startsWith(RESERVED_PREFIX)) visible.push(sc);
  }
  const key = source.primaryKey?.map((k) => {
    const sc = all.get(k);
    if (!sc) throw new UnsupportedQueryError('unknown_column', `primary key column ${k} of ${source.name}`);
    return sc;
  }) ?? null;
  const names = renamed(visible.map((v) => v.source), aliases);
  const columns = visible.map((v, i) => ({ name: names[i]!, col: v.col }));
  const node = makeScan(source, alias ?? rv.relname, visible, key);
  return {
    node,
    entries: [{ alias: alias ?? rv.relname, schema: alias ? null : source.schema, columns }],
    star: columns,
    merged: new Map(),
  };
}

/** The column an unqualified name means within one side of a join. */
function sideColumn(side: FromResult, name: string): ScopeColumn | null {
  const merged = side.merged.get(name);
  if (merged) return { name, col: merged };
  const hits = side.entries.flatMap((e) => e.columns.filter((c) => c.name === name));
  return hits.length === 1 ? hits[0]! : null;
}

function buildJoin(ctx: BuildContext, j: PgBody, env: CteEnv | null): FromResult {
  const left = buildFromItem(ctx, j.larg, env);
  const right = buildFromItem(ctx, j.rarg, env);
  const entries = [...left.entries, ...right.entries];
  const merged = new Map([...left.merged, ...right.merged]);
  let usingNames: string[] = (j.usingClause ?? []).map((n: PgNode) => String(n.String.sval));
  if (j.isNatural) {
    const rightNames = new Set(right.star.map((c) => c.name));
    usingNames = left.star.map((c) => c.name).filter((n) => rightNames.has(n));
  }
  const join = (condition: Expr | null): OpNode => joinOf(ctx, j, left.node, right.node, condition);
  if (usingNames.length === 0) {
    const condition = j.quals ? new Scope(entries, merged).bind(j.quals) : null;
    return { node: join(condition), entries, star: [...left.star, ...right.star], merged };
  }
  const pairs = usingNames.map((name) => {
    const l = sideColumn(left, name);
    const r = sideColumn(right, name);
    if (!l || !r) throw new UnsupportedQueryError('unknown_column', `USING column ${name}`, j.location ?? null);
    return { name, l, r };
  });
  const equalities: PgNode[] = pairs.map((p) => ({
    A_Expr: { kind: 'AEXPR_OP', name: [{ String: { sval: 'pg_catalog' } }, { String: { sval: '=' } }], lexpr: boundRef(p.l.col.id), rexpr: boundRef(p.r.col.id) },
  }));
  const condition = exprOf(equalities.length === 1 ? equalities[0]! : { BoolExpr: { boolop: 'AND_EXPR', args: equalities } });
  const usedLeft = new Set(pairs.map((p) => p.l.col.id));
  const usedRight = new Set(pairs.map((p) => p.r.col.id));
  const star = [
    ...pairs.map((p) => ({ name: p.name, col: p.l.col })),
    ...left.star.filter((c) => !usedLeft.has(c.col.id)),
    ...right.star.filter((c) => !usedRight.has(c.col.id)),
  ];
  if (j.jointype === 'JOIN_FULL' || j.jointype === 'JOIN_RIGHT') {
    // The merged column of a FULL JOIN is COALESCE(l, r), of a RIGHT JOIN the right one: not maintained yet.
    throw new UnsupportedQueryError('outer_join', `${j.jointype === 'JOIN_FULL' ? 'FULL' : 'RIGHT'} JOIN with USING / NATURAL`, j.location ?? null);
  }
  for (const p of pairs) merged.set(p.name, p.l.col);
  return { node: join(condition), entries, star, merged };
}

/** INNER → Join; LEFT / FULL → OuterJoin; RIGHT → LEFT with the sides swapped (columns in the user's order). */
function joinOf(ctx: BuildContext, j: PgBody, left: OpNode, right: OpNode, condition: Expr | null): OpNode {
  switch (j.jointype ?? 'JOIN_INNER') {
    case 'JOIN_LEFT':
      return makeOuterJoin('left', left, right, condition, ctx.col('outer_key', 'bigint'));
    case 'JOIN_RIGHT':
      return makeOuterJoin('left', right, left, condition, ctx.col('outer_key', 'bigint'), [...left.columns, ...right.columns]);
    case 'JOIN_FULL':
      return makeOuterJoin('full', left, right, condition, ctx.col('outer_key', 'bigint'));
    default:
      return makeJoin(left, right, condition);
  }
}

