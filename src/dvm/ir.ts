/**
 * The operator tree (IR): an immutable, kind-tagged tree of relational
 * operators over *internal columns*.
 *
 * Every column produced anywhere in a plan has a unique internal id
 * (`c7_amount`), so generated SQL never depends on user names: user
 * expressions are bound to ids by the builder and re-emitted against
 * generated aliases, and only the final SELECT names the storage columns.
 *
 * A node exposes
 * - `columns`: its visible columns, in order (what a parent SELECT sees);
 * - `key`: columns identifying a row of the node's result uniquely (its
 *   *identity*), or null when the result can hold duplicates. Key columns may
 *   be hidden (not visible): a Project carries its child's key through even
 *   when the user does not select it, so `SELECT name FROM t` is still
 *   identified by t's primary key.
 * The relation a node's SQL produces is `relColumns(node)` = visible ∪ key.
 */
import type { PgNode } from './ast.ts';
import type { CompileSource } from './types.ts';

export interface Col {
  readonly id: string;
  /** The name a parent query uses to reference it (figure name / alias). */
  readonly name: string;
  /** `format_type` text when known (source columns, casts, aggregates). */
  readonly type: string | null;
}

/** A user expression whose column references are bound to internal column ids. */
export interface Expr {
  readonly ast: PgNode;
  /** Internal ids referenced, deduplicated. */
  readonly refs: readonly string[];
}

export interface ScanColumn {
  readonly col: Col;
  /** Column name in the source table (and `new_`/`old_` suffix in its change buffer). */
  readonly source: string;
}

export interface ScanNode {
  readonly kind: 'Scan';
  readonly source: CompileSource;
  /** The alias the user gave (for explain only). */
  readonly alias: string;
  /** Every scanned column: the visible ones (after pruning) plus primary-key columns. */
  readonly scanned: readonly ScanColumn[];
  readonly columns: readonly Col[];
  readonly key: readonly Col[] | null;
}

export interface FilterNode {
  readonly kind: 'Filter';
  readonly child: OpNode;
  readonly predicate: Expr;
  readonly columns: readonly Col[];
  readonly key: readonly Col[] | null;
}

export interface ProjectItem {
  readonly col: Col;
  readonly expr: Expr;
  /** Cast applied to the value (the probed output type of a top-level column). */
  readonly cast: string | null;
}

export interface ProjectNode {
  readonly kind: 'Project';
  readonly child: OpNode;
  readonly items: readonly ProjectItem[];
  readonly columns: readonly Col[];
  readonly key: readonly Col[] | null;
}

export interface JoinNode {
  readonly kind: 'Join';
  readonly left: OpNode;
  readonly right: OpNode;
  /** null = CROSS JOIN. */
  readonly condition: Expr | null;
  readonly columns: readonly Col[];
  readonly key: readonly Col[] | null;
}

/**
 * count/sum/avg are algebraic (state = sums); min/max are semi-algebraic
 * (state = the extreme, rescanned when it leaves); `rescan` is any other
 * aggregate call (holistic, DISTINCT, ORDER BY, WITHIN GROUP, user-defined),
 * recomputed over the touched groups from the sources.
 */
export type AggFunction = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'rescan';

export interface AggCall {
  readonly col: Col;
  readonly fn: AggFunction;
  /** null for COUNT(*) and for `rescan` calls. */
  readonly arg: Expr | null;
  readonly filter: Expr | null;
  /** The whole bound call (FILTER, ORDER BY, DISTINCT, WITHIN GROUP included), for `rescan`; else null. */
  readonly call: Expr | null;
  /**
   * Type of the state kept: the running sum for SUM/AVG (and SUM's result),
   * the extreme (= argument type) for MIN/MAX; null for COUNT and `rescan`.
   * Chosen so that state arithmetic reproduces PostgreSQL's own result exactly
   * for integer and numeric inputs (see build/aggregate.ts).
   */
  readonly sumType: string | null;
}

export interface GroupItem {
  readonly col: Col;
  readonly expr: Expr;
}

export interface AggregateNode {
  readonly kind: 'Aggregate';
  readonly child: OpNode;
  readonly groups: readonly GroupItem[];
  readonly aggs: readonly AggCall[];
  readonly columns: readonly Col[];
  /** The group columns; [] for an aggregate without GROUP BY (exactly one row). */
  readonly key: readonly Col[];
}

export interface DistinctNode {
  readonly kind: 'Distinct';
  readonly child: OpNode;
  readonly columns: readonly Col[];
  readonly key: readonly Col[];
}

export interface UnionBranch {
  readonly node: OpNode;
  /** The branch's visible columns, positionally matching the union's columns. */
  readonly columns: readonly Col[];
}

export interface UnionAllNode {
  readonly kind: 'UnionAll';
  readonly branches: readonly UnionBranch[];
  readonly columns: readonly Col[];
  /** `[branchKey]` when every branch has an identity, else null. */
  readonly key: readonly Col[] | null;
  /** Synthetic bigint column: hash of (branch number, branch identity); emitted only when keyed. */
  readonly branchKey: Col;
}

/** INTERSECT [ALL] / EXCEPT [ALL] (ops/set-op.ts). */
export interface SetOpNode {
  readonly kind: 'SetOp';
  readonly op: 'intersect' | 'except';
  readonly all: boolean;
  readonly left: UnionBranch;
  readonly right: UnionBranch;
  readonly columns: readonly Col[];
  /** All columns for the distinct forms; null for ALL (the result has duplicates). */
  readonly key: readonly Col[] | null;
}

export interface WindowCall {
  readonly col: Col;
  /** The bound call, OVER (…) included. */
  readonly call: Expr;
}

/** Window functions over the child's rows (ops/window.ts). */
export interface WindowNode {
  readonly kind: 'Window';
  readonly child: OpNode;
  readonly calls: readonly WindowCall[];
  /** PARTITION BY expressions every call shares (the recompute scope); [] = the whole input. */
  readonly partition: readonly Expr[];
  /** The child's columns, then one per call. */
  readonly columns: readonly Col[];
  readonly key: readonly Col[] | null;
}

export interface SortKey {
  readonly col: Col;
  readonly desc: boolean;
  /** NULLS FIRST (default: DESC puts NULLs first, ASC last). */
  readonly nullsFirst: boolean;
}

/** ORDER BY … LIMIT n [OFFSET m] at the root (ops/topk.ts). */
export interface TopKNode {
  readonly kind: 'TopK';
  readonly child: OpNode;
  readonly order: readonly SortKey[];
  readonly limit: number;
  readonly offset: number;
  readonly withTies: boolean;
  readonly columns: readonly Col[];
  /** The kept rows are numbered copies of their content (see the topk strategy). */
  readonly key: null;
}

/**
 * Semi-join (EXISTS, IN, = ANY, …) or anti-join (NOT EXISTS, NOT IN, ALL):
 * the rows of `left` for which some (semi) / no (anti) row of `right`
 * satisfies `condition` (TRUE, not NULL). The condition may reference columns
 * of both sides (the correlation). Multiplicities of `left` are kept.
 */
export interface SemiJoinNode {
  readonly kind: 'SemiJoin';
  readonly left: OpNode;
  readonly right: OpNode;
  readonly condition: Expr | null;
  readonly anti: boolean;
  readonly columns: readonly Col[];
  readonly key: readonly Col[] | null;
}

/**
 * LEFT / FULL outer join (RIGHT is built as LEFT with the sides swapped and
 * the columns kept in the user's order). Maintained as the union of its
 * parts: the inner join, the left rows without a match padded with NULLs and,
 * for FULL, the right rows without a match (ops/outer-join.ts).
 */
export interface OuterJoinNode {
  readonly kind: 'OuterJoin';
  readonly type: 'left' | 'full';
  readonly left: OpNode;
  readonly right: OpNode;
  /** null = ON true. */
  readonly condition: Expr | null;
  readonly columns: readonly Col[];
  /** `[branchKey]` when both sides have an identity, else null. */
  readonly key: readonly Col[] | null;
  /** Synthetic bigint column: hash of (part number, part identity). */
  readonly branchKey: Col;
}

/**
 * The rows of `child` widened with typed NULLs for the columns of `template`
 * (the NULL-padded rows of an outer join). `columns` fixes the order.
 */
export interface PadNode {
  readonly kind: 'Pad';
  readonly child: OpNode;
  readonly template: OpNode;
  /** The columns that are NULL (of `template`). */
  readonly padded: readonly Col[];
  readonly columns: readonly Col[];
  readonly key: readonly Col[] | null;
}

/**
 * Constant rows: a VALUES list, or the one row without columns a SELECT
 * without FROM reads. Never changes: its delta is empty.
 */
export interface ConstantNode {
  readonly kind: 'Constant';
  /** One list of (column-free) expressions per row. */
  readonly rows: readonly (readonly Expr[])[];
  readonly columns: readonly Col[];
  readonly key: null;
}

export type OpNode =
  | ConstantNode
  | ScanNode
  | FilterNode
  | ProjectNode
  | JoinNode
  | AggregateNode
  | DistinctNode
  | UnionAllNode
  | SetOpNode
  | TopKNode
  | WindowNode
  | SemiJoinNode
  | OuterJoinNode
  | PadNode;
export type OpKind = OpNode['kind'];
export type NodeOf<K extends OpKind> = Extract<OpNode, { kind: K }>;

/** The relation a node's SQL produces: visible columns, then hidden key columns. */
export function relColumns(node: OpNode): Col[] {
  const out = [...node.columns];
  const seen = new Set(out.map((c) => c.id));
  for (const k of node.key ?? []) {
    if (!seen.has(k.id)) {
      out.push(k);
      seen.add(k.id);
    }
  }
  return out;
}
