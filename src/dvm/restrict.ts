/**
 * The restriction walker: one pass over the raw parse tree, before anything
 * is built, that rejects every construct the compiler cannot maintain with a
 * coded UnsupportedQueryError (pg_ivm's habit). Expression nodes are checked
 * against an allowlist, so an unknown construct is rejected, never guessed at.
 */
import { bodyOf, funcName, funcSchema, kindOf, type PgBody, type PgNode } from './ast.ts';
import { UnsupportedQueryError } from './errors.ts';
import type { CompileInput } from './types.ts';

export const RESERVED_PREFIX = '__pgt_';

/** Aggregates maintained differentially. */
export const SUPPORTED_AGGREGATES = new Set(['count', 'sum', 'avg']);

const MIN_MAX = new Set(['min', 'max']);

const OTHER_AGGREGATES = new Set([
  'array_agg', 'string_agg', 'bool_and', 'bool_or', 'every', 'bit_and', 'bit_or', 'bit_xor',
  'json_agg', 'jsonb_agg', 'json_agg_strict', 'jsonb_agg_strict', 'json_object_agg', 'jsonb_object_agg',
  'json_object_agg_strict', 'jsonb_object_agg_strict', 'json_object_agg_unique', 'jsonb_object_agg_unique',
  'json_object_agg_unique_strict', 'jsonb_object_agg_unique_strict',
  'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp',
  'corr', 'covar_pop', 'covar_samp', 'regr_avgx', 'regr_avgy', 'regr_count', 'regr_intercept',
  'regr_r2', 'regr_slope', 'regr_sxx', 'regr_sxy', 'regr_syy',
  'mode', 'percentile_cont', 'percentile_disc', 'rank', 'dense_rank', 'percent_rank', 'cume_dist',
  'any_value', 'range_agg', 'range_intersect_agg',
]);

/**
 * Aggregates refused: XMLAGG's xml has no equality operator, which a
 * recomputation inside a plan needs (consolidating the rows before the window).
 */
const REFUSED_AGGREGATES = new Set(['xmlagg']);

const SET_RETURNING = new Set([
  'generate_series', 'generate_subscripts', 'unnest', 'regexp_matches', 'regexp_split_to_table',
  'string_to_table', 'json_array_elements', 'json_array_elements_text', 'jsonb_array_elements',
  'jsonb_array_elements_text', 'json_each', 'json_each_text', 'jsonb_each', 'jsonb_each_text',
  'json_object_keys', 'jsonb_object_keys', 'json_populate_recordset', 'jsonb_populate_recordset',
  'json_to_recordset', 'jsonb_to_recordset', 'jsonb_path_query', 'pg_options_to_table', 'ts_stat',
  'ts_debug', 'ts_parse', 'ts_token_type', 'aclexplode', 'pg_listening_channels',
]);

/** Expression node kinds allowed anywhere an expression may appear. */
const EXPRESSION_KINDS = new Set([
  'A_Expr', 'BoolExpr', 'ColumnRef', 'A_Const', 'TypeCast', 'TypeName', 'FuncCall', 'CaseExpr', 'CaseWhen',
  'CoalesceExpr', 'MinMaxExpr', 'NullTest', 'BooleanTest', 'A_ArrayExpr', 'RowExpr', 'A_Indirection',
  'A_Indices', 'CollateClause', 'SQLValueFunction', 'String', 'Integer', 'Float', 'Boolean', 'BitString',
  'List', 'NamedArgExpr', 'A_Star',
]);

/**
 * Is this FuncCall an aggregate: one of PostgreSQL's built-in aggregates (by
 * name), or one of the user's (CompileInput.userAggregates)?
 */
export function isAggregateCall(call: PgBody, userAggregates: ReadonlySet<string>): boolean {
  if (call.over) return false;
  return isUserAggregate(call, userAggregates) || aggregateKind(call) !== null;
}

/** Is this FuncCall one of PostgreSQL's built-in aggregates (by name)? */
export function aggregateKind(call: PgBody): 'supported' | 'min_max' | 'other' | null {
  if (call.over) return null;
  const schema = funcSchema(call);
  if (schema !== null && schema !== 'pg_catalog') return null;
  const name = funcName(call);
  if (SUPPORTED_AGGREGATES.has(name)) return 'supported';
  if (MIN_MAX.has(name)) return 'min_max';
  if (OTHER_AGGREGATES.has(name)) return 'other';
  return null;
}

function fail(code: ConstructorParameters<typeof UnsupportedQueryError>[0], detail: string | null, at: PgBody | null | undefined): never {
  const loc = at && typeof at.location === 'number' ? at.location : null;
  throw new UnsupportedQueryError(code, detail, loc);
}

function checkName(name: unknown, at: PgBody | null): void {
  if (typeof name === 'string' && name.startsWith(RESERVED_PREFIX)) fail('reserved_name', name, at);
}

const MAX_DEPTH = 64;

/** Join types the builder maintains (RIGHT becomes LEFT with the sides swapped). */
const JOIN_TYPES = new Set(['JOIN_INNER', 'JOIN_LEFT', 'JOIN_RIGHT', 'JOIN_FULL']);

/** EXISTS, IN / op ANY, op ALL and scalar subqueries; ARRAY(…), row comparisons and MULTIEXPR are refused. */
const SUBLINK_TYPES = new Set(['EXISTS_SUBLINK', 'ANY_SUBLINK', 'ALL_SUBLINK', 'EXPR_SUBLINK']);

interface ExprContext {
  /** Aggregates may appear here (SELECT list, HAVING) — not inside another aggregate. */
  aggregates: boolean;
  /** Inside a window call (no window call may nest there). */
  inWindow?: boolean;
}

/**
 * Window functions maintained by partition recompute: ranking, offset, and
 * the aggregates whose value does not depend on the order of their input.
 */
const WINDOW_FUNCTIONS = new Set([
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile',
  'lag', 'lead', 'first_value', 'last_value', 'nth_value',
  'count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'bit_and', 'bit_or', 'bit_xor',
]);

/**
 * Is this call one of the user's aggregates? The list comes from the catalog
 * (CompileInput.userAggregates): an entry `name` matches any call of that
 * name, `schema.name` only a call qualified with that schema.
 */
export function isUserAggregate(call: PgBody, userAggregates: ReadonlySet<string>): boolean {
  if (userAggregates.size === 0) return false;
  const name = funcName(call);
  const schema = funcSchema(call);
  return userAggregates.has(name) || (schema !== null && userAggregates.has(`${schema}.${name}`));
}

class Walker {
  readonly warnings: string[] = [];

  constructor(private readonly userAggregates: ReadonlySet<string>) {}

  /** Nesting depth of the query being walked (sublinks nest queries inside expressions). */
  private depth = 0;

  select(sel: PgBody, depth: number, top: boolean): void {
    const saved = this.depth;
    this.depth = depth;
    try {
      this.selectAt(sel, depth, top);
    } finally {
      this.depth = saved;
    }
  }

  private selectAt(sel: PgBody, depth: number, top: boolean): void {
    if (depth > MAX_DEPTH) fail('too_complex', `more than ${MAX_DEPTH} nested queries`, null);
    if (sel.intoClause) fail('select_into', null, sel.intoClause);
    if (sel.lockingClause?.length) fail('locking', null, bodyOf(sel.lockingClause[0]));
    if (sel.limitCount || sel.limitOffset) this.limit(sel, top);
    if (sel.valuesLists?.length) {
      // Inside a query a VALUES list is a constant relation; as the whole defining query it has no source.
      if (top) fail('values', null, null);
      for (const row of sel.valuesLists) this.expr(row, { aggregates: false });
      return;
    }
    if (sel.windowClause?.length) fail('window_unsupported', 'WINDOW clause (named windows)', bodyOf(sel.windowClause[0]));
    if (sel.withClause) this.withClause(sel.withClause, depth);
    if (sel.sortClause?.length && !sel.limitCount) {
      this.warnings.push(top ? 'ORDER BY in the defining query is ignored: a stream table has no row order' : 'ORDER BY in a subquery is ignored');
    }
    const op = sel.op ?? 'SETOP_NONE';
    if (op !== 'SETOP_NONE') {
      this.select(sel.larg, depth + 1, false);
      this.select(sel.rarg, depth + 1, false);
      return;
    }
    if (!sel.fromClause?.length && top) fail('no_from', null, null);
    if (sel.distinctClause?.length && sel.distinctClause.some((d: PgNode) => Object.keys(d).length > 0)) {
      fail('distinct_on', null, bodyOf(sel.distinctClause.find((d: PgNode) => Object.keys(d).length > 0)));
    }
    for (const item of sel.fromClause ?? []) this.fromItem(item, depth);
    for (const t of sel.targetList ?? []) {
      const rt = t.ResTarget as PgBody;
      checkName(rt.name, rt);
      const val = rt.val as PgNode;
      // `*` and `t.*` as a whole target are expanded by the builder.
      if (val.ColumnRef && (val.ColumnRef.fields as PgNode[]).some((f) => f.A_Star)) continue;
      this.expr(val, { aggregates: true });
    }
    if (sel.whereClause) this.expr(sel.whereClause, { aggregates: false });
    if (sel.groupDistinct) fail('group_distinct', null, null);
    for (const g of sel.groupClause ?? []) {
      if (g.GroupingSet) fail('grouping_sets', null, g.GroupingSet);
      this.expr(g, { aggregates: false });
    }
    if (sel.havingClause) {
      this.expr(sel.havingClause, { aggregates: true });
      if (!sel.groupClause?.length && !containsAggregate(sel.targetList, this.userAggregates) && !containsAggregate(sel.havingClause, this.userAggregates)) {
        fail('having_without_aggregate', null, bodyOf(sel.havingClause));
      }
    }
  }

  /** A window call: in the SELECT list, of a function whose maintenance is known. */
  window(b: PgBody, name: string, ctx: ExprContext): void {
    if (!ctx.aggregates || ctx.inWindow) fail('aggregate_nested', `window function ${name} outside the SELECT list`, b);
    if (!WINDOW_FUNCTIONS.has(name) || (funcSchema(b) !== null && funcSchema(b) !== 'pg_catalog')) fail('window_unsupported', name, b);
    const over = b.over as PgBody;
    if (over.name || over.refname) fail('window_unsupported', 'a named window', b);
    if (b.agg_distinct || b.agg_order?.length || b.agg_within_group) fail('window_unsupported', `${name} with DISTINCT / ORDER BY / WITHIN GROUP`, b);
    const inner: ExprContext = { aggregates: true, inWindow: true };
    for (const a of b.args ?? []) this.expr(a, inner);
    if (b.agg_filter) this.expr(b.agg_filter, inner);
    for (const p of over.partitionClause ?? []) this.expr(p, inner);
    for (const o of over.orderClause ?? []) this.expr(bodyOf(o).node, inner);
    for (const f of [over.startOffset, over.endOffset]) if (f) this.expr(f, { aggregates: false });
  }

  /** TopK: `ORDER BY … LIMIT n [OFFSET m]` / FETCH FIRST, constants, at the top level only. */
  limit(sel: PgBody, top: boolean): void {
    const at = sel.limitCount ? bodyOf(sel.limitCount) : bodyOf(sel.limitOffset);
    if (!top) fail('limit', 'LIMIT / OFFSET inside a subquery or CTE', at);
    if (!sel.sortClause?.length) fail('limit', 'LIMIT / OFFSET without ORDER BY (the rows kept would be arbitrary)', at);
    if (!sel.limitCount) fail('limit', 'OFFSET without LIMIT', at);
    const constant = (n: PgNode | undefined): boolean => !n || (n.A_Const?.ival !== undefined && Number(n.A_Const.ival.ival ?? 0) >= 0);
    if (!constant(sel.limitCount) || !constant(sel.limitOffset)) fail('limit', 'LIMIT / OFFSET must be non-negative integer constants', at);
    if (sel.limitOption === 'LIMIT_OPTION_WITH_TIES' && sel.limitOffset) fail('limit', 'OFFSET with FETCH … WITH TIES', at);
    for (const s of sel.sortClause) if (bodyOf(s).sortby_dir === 'SORTBY_USING') fail('limit', 'ORDER BY … USING', bodyOf(s));
  }

  withClause(w: PgBody, depth: number): void {
    if (w.recursive) fail('recursive_cte', null, w);
    for (const c of w.ctes ?? []) {
      const cte = c.CommonTableExpr as PgBody;
      checkName(cte.ctename, cte);
      for (const a of cte.aliascolnames ?? []) checkName(a.String?.sval, cte);
      if (!cte.ctequery?.SelectStmt) fail('modifying_cte', kindOf(cte.ctequery), cte);
      if (cte.search_clause || cte.cycle_clause) fail('recursive_cte', 'SEARCH/CYCLE', cte);
      this.select(cte.ctequery.SelectStmt, depth + 1, false);
    }
  }

  fromItem(item: PgNode, depth: number): void {
    const kind = kindOf(item);
    const b = bodyOf(item);
    switch (kind) {
      case 'RangeVar':
        // The JSON AST omits false booleans: `inh` is absent for FROM ONLY.
        if (b.inh !== true) fail('only', b.relname, b);
        checkName(b.alias?.aliasname, b);
        for (const a of b.alias?.colnames ?? []) checkName(a.String?.sval, b);
        return;
      case 'JoinExpr': {
        if (!JOIN_TYPES.has(b.jointype ?? 'JOIN_INNER')) fail('join_type', String(b.jointype), locOf(b));
        if (b.alias || b.join_using_alias) fail('join_alias', (b.alias ?? b.join_using_alias).aliasname, locOf(b));
        this.fromItem(b.larg, depth);
        this.fromItem(b.rarg, depth);
        if (b.quals) this.expr(b.quals, { aggregates: false });
        return;
      }
      case 'RangeSubselect':
        if (b.lateral) fail('lateral', b.alias?.aliasname ?? null, null);
        checkName(b.alias?.aliasname, null);
        for (const a of b.alias?.colnames ?? []) checkName(a.String?.sval, null);
        this.select(b.subquery.SelectStmt, depth + 1, false);
        return;
      case 'RangeFunction':
        if (b.lateral) fail('lateral', null, null);
        fail('function_in_from', null, locOf(b));
      case 'RangeTableFunc':
      case 'JsonTable':
        fail('function_in_from', kind, locOf(b));
      case 'RangeTableSample':
        fail('tablesample', null, locOf(b));
      default:
        fail('unsupported_expression', `FROM item ${kind}`, locOf(b));
    }
  }

  expr(node: PgNode, ctx: ExprContext): void {
    const kind = kindOf(node);
    const b = bodyOf(node);
    switch (kind) {
      case 'SubLink': {
        // Where a sublink may stand and which shapes are maintained is decided by the builder (build/sublinks.ts).
        const type = String(b.subLinkType ?? '');
        if (!SUBLINK_TYPES.has(type)) fail('sublink', type.replace('_SUBLINK', ''), b);
        if (b.testexpr) this.expr(b.testexpr, ctx);
        this.select(b.subselect.SelectStmt, this.depth + 1, false);
        return;
      }
      case 'ParamRef':
        fail('parameter', `$${b.number}`, b);
      case 'GroupingFunc':
        fail('grouping_function', null, b);
      case 'JsonObjectAgg':
      case 'JsonArrayAgg':
        fail('aggregate_unsupported', kind, b);
      case 'ColumnRef': {
        const fields = b.fields as PgNode[];
        if (fields.some((f) => f.A_Star)) fail('whole_row_reference', null, b);
        checkName(fields[fields.length - 1]?.String?.sval, b);
        return;
      }
      case 'FuncCall': {
        const name = funcName(b);
        if (b.over) {
          this.window(b, name, ctx);
          return;
        }
        if (REFUSED_AGGREGATES.has(name) && (funcSchema(b) === null || funcSchema(b) === 'pg_catalog') && !b.over) fail('aggregate_unsupported', name, b);
        // Checked before the built-in names: a user aggregate may shadow one in its own schema.
        const agg = isUserAggregate(b, this.userAggregates) ? 'other' : aggregateKind(b);
        if (agg) {
          if (!ctx.aggregates) fail('aggregate_nested', name, b);
          if (b.agg_star && (b.args ?? []).length) fail('aggregate_unsupported', `${name} with * and arguments`, b);
          // Arguments, ORDER BY / WITHIN GROUP keys and FILTER are per-row expressions.
          for (const a of b.args ?? []) this.expr(a, { aggregates: false });
          for (const o of b.agg_order ?? []) this.expr(bodyOf(o).node ?? o, { aggregates: false });
          if (b.agg_filter) this.expr(b.agg_filter, { aggregates: false });
          return;
        }
        if (SET_RETURNING.has(name) && (funcSchema(b) === null || funcSchema(b) === 'pg_catalog')) {
          fail('set_returning_function', name, b);
        }
        if (b.agg_filter || b.agg_order?.length || b.agg_within_group || b.agg_star || b.agg_distinct) {
          fail('aggregate_unsupported', name, b);
        }
        for (const a of b.args ?? []) this.expr(a, ctx);
        return;
      }
      default:
        if (!EXPRESSION_KINDS.has(kind)) fail('unsupported_expression', kind, b);
        this.children(b, ctx);
    }
  }

  private children(body: unknown, ctx: ExprContext): void {
    if (body === null || typeof body !== 'object') return;
    if (Array.isArray(body)) {
      for (const v of body) this.children(v, ctx);
      return;
    }
    const keys = Object.keys(body);
    if (keys.length === 1 && /^[A-Z]/.test(keys[0]!)) {
      this.expr(body as PgNode, ctx);
      return;
    }
    for (const v of Object.values(body as PgBody)) this.children(v, ctx);
  }
}

function locOf(b: PgBody): PgBody | null {
  if (typeof b.location === 'number') return b;
  for (const v of Object.values(b)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const inner = Object.values(v as PgBody)[0];
      if (inner && typeof inner === 'object' && typeof (inner as PgBody).location === 'number') return inner as PgBody;
    }
  }
  return null;
}

export function containsAggregate(value: unknown, userAggregates: ReadonlySet<string> = new Set()): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => containsAggregate(v, userAggregates));
  const obj = value as PgBody;
  // An aggregate inside a subquery belongs to the subquery (one over outer columns only is refused when built).
  if (obj.SubLink) return containsAggregate(obj.SubLink.testexpr, userAggregates);
  if (obj.FuncCall && isAggregateCall(obj.FuncCall, userAggregates)) return true;
  return Object.values(obj).some((v) => containsAggregate(v, userAggregates));
}

/** Reject what cannot be maintained; returns creation-time warnings. */
export function restrict(statements: readonly PgNode[], input: CompileInput): string[] {
  if (statements.length !== 1) fail('not_a_select', `${statements.length} statements`, null);
  const stmt = statements[0]!;
  if (!stmt.SelectStmt) fail('not_a_select', kindOf(stmt), null);
  if (input.worstVolatility === 'v') fail('volatile_function', null, null);
  for (const c of input.outputColumns) checkName(c.name, null);
  const walker = new Walker(new Set(input.userAggregates ?? []));
  walker.select(stmt.SelectStmt as PgBody, 0, true);
  if (input.worstVolatility === 's') {
    walker.warnings.push('the defining query calls STABLE functions (e.g. now()); their result is re-evaluated only for changed rows');
  }
  if (input.mode === 'IMMEDIATE') {
    walker.warnings.push('IMMEDIATE mode: this plan reads change buffers; transition-table deltas are not generated by this compiler version');
  }
  return walker.warnings;
}
