/**
 * The one error a query gets when the DVM compiler cannot maintain it (D7).
 *
 * Every construct the restriction walker rejects has its own code, so a user
 * (and AUTO mode) can tell *what* is unsupported, *where* it is in the query
 * and *what to do*; the message is derived from the code's entry below.
 */

export const UNSUPPORTED = {
  not_a_select: { construct: 'statement other than a single SELECT', hint: 'a stream table is defined by exactly one SELECT statement' },
  select_into: { construct: 'SELECT INTO', hint: 'remove the INTO clause' },
  no_from: { construct: 'SELECT without FROM', hint: 'a defining query must read at least one table' },
  values: { construct: 'VALUES list', hint: "move the constants into a table, or use refresh_mode => 'FULL'" },
  outer_join: { construct: 'outer join (LEFT/RIGHT/FULL)', hint: "use refresh_mode => 'FULL'" },
  join_type: { construct: 'join type', hint: "only INNER and CROSS joins are maintained differentially; use refresh_mode => 'FULL'" },
  join_alias: { construct: 'alias on a parenthesised JOIN', hint: 'reference the joined tables by their own aliases' },
  lateral: { construct: 'LATERAL', hint: "use refresh_mode => 'FULL'" },
  function_in_from: { construct: 'function or table function in FROM', hint: "use refresh_mode => 'FULL'" },
  tablesample: { construct: 'TABLESAMPLE', hint: 'TABLESAMPLE is non-deterministic and cannot define a stream table' },
  only: { construct: 'FROM ONLY', hint: 'read the table without ONLY' },
  locking: { construct: 'FOR UPDATE / FOR SHARE', hint: 'remove the locking clause' },
  limit: { construct: 'LIMIT / OFFSET / FETCH', hint: "a TopK is ORDER BY … LIMIT n [OFFSET m] with constants, at the top level; otherwise use refresh_mode => 'FULL'" },
  topk_order: { construct: 'ORDER BY of a TopK', hint: 'order a TopK by output columns (by name, position or the same expression as a SELECT-list entry)' },
  window_order: { construct: 'window function that depends on the order of peers', hint: "add the input's key columns (primary key, or GROUP BY columns) to the window's ORDER BY so it is a total order" },
  window_unsupported: { construct: 'window function form', hint: "use refresh_mode => 'FULL'" },
  sublink: { construct: 'subquery expression (EXISTS, IN, ANY/ALL, scalar subquery)', hint: "rewrite as a join, or use refresh_mode => 'FULL'" },
  recursive_cte: { construct: 'WITH RECURSIVE', hint: "use refresh_mode => 'FULL'" },
  modifying_cte: { construct: 'data-modifying statement in WITH', hint: 'a defining query must not write' },
  aggregate_unsupported: { construct: 'aggregate function', hint: "XMLAGG and the SQL/JSON JSON_ARRAYAGG/JSON_OBJECTAGG syntax are not maintained differentially; use refresh_mode => 'FULL'" },
  aggregate_nested: { construct: 'aggregate outside the SELECT list or HAVING', hint: 'aggregates may only appear in the SELECT list and HAVING' },
  grouping_sets: { construct: 'GROUPING SETS / CUBE / ROLLUP', hint: "write one UNION ALL branch per grouping set, or use refresh_mode => 'FULL'" },
  grouping_function: { construct: 'GROUPING()', hint: "use refresh_mode => 'FULL'" },
  group_distinct: { construct: 'GROUP BY DISTINCT', hint: 'remove DISTINCT from GROUP BY' },
  ungrouped_column: { construct: 'column not in GROUP BY', hint: 'add the column to GROUP BY (functional dependency on a primary key is not inferred)' },
  having_without_aggregate: { construct: 'HAVING without GROUP BY or aggregates', hint: 'use WHERE instead' },
  distinct_on: { construct: 'DISTINCT ON', hint: "use refresh_mode => 'FULL'" },
  set_returning_function: { construct: 'set-returning function in the SELECT list', hint: "use refresh_mode => 'FULL'" },
  volatile_function: { construct: 'volatile function or operator', hint: "results would change without any source change; use refresh_mode => 'FULL'" },
  reserved_name: { construct: 'name starting with __pgt_', hint: 'the __pgt_ prefix is reserved for hidden stream-table columns; rename the column or alias' },
  unknown_relation: { construct: 'relation not among the resolved sources', hint: 'reference tables and stream tables only (views must be inlined)' },
  unknown_column: { construct: 'column reference that cannot be resolved', hint: 'check the column name' },
  ambiguous_column: { construct: 'ambiguous column reference', hint: 'qualify the column with its table alias' },
  system_column: { construct: 'system column (ctid, xmin, …)', hint: 'system columns change without a logical change; use a real column' },
  whole_row_reference: { construct: 'whole-row reference', hint: 'list the columns explicitly' },
  parameter: { construct: 'parameter ($n)', hint: 'a defining query cannot take parameters' },
  unsupported_expression: { construct: 'expression', hint: "use refresh_mode => 'FULL'" },
  output_columns: { construct: 'output column list', hint: 'the probed output columns do not match the query; recreate the stream table' },
  syntax_error: { construct: 'query text the parser rejects', hint: 'the compiler parses with the PostgreSQL 18 grammar; check the query text' },
  too_complex: { construct: 'query nesting depth', hint: 'simplify the query' },
} as const satisfies Record<string, { construct: string; hint: string }>;

export type UnsupportedCode = keyof typeof UNSUPPORTED;

export class UnsupportedQueryError extends Error {
  override readonly name = 'UnsupportedQueryError';
  readonly code: string;
  readonly construct: string;
  readonly hint: string;
  readonly location: number | null;

  constructor(code: UnsupportedCode, detail: string | null, location: number | null = null, options?: { cause?: unknown }) {
    const entry = UNSUPPORTED[code];
    const construct = detail ? `${entry.construct}: ${detail}` : entry.construct;
    super(
      `unsupported in DIFFERENTIAL mode: ${construct}${location != null && location >= 0 ? ` (at character ${location + 1})` : ''}. HINT: ${entry.hint}`,
      options,
    );
    this.code = code;
    this.construct = construct;
    this.hint = entry.hint;
    this.location = location != null && location >= 0 ? location : null;
  }
}

/** A bug in the compiler (an invariant broke), as opposed to an unsupported query. */
export class DvmInternalError extends Error {
  override readonly name = 'DvmInternalError';
}
