/** The DVM compiler's contract with the rest of the system (fixed). */

export interface SourceColumn {
  name: string;
  /** format_type text */
  type: string;
  notNull: boolean;
}

export interface CompileSource {
  relid: number;
  schema: string;
  name: string;
  kind: 'TABLE' | 'STREAM_TABLE';
  columns: SourceColumn[];
  /** null = keyless */
  primaryKey: string[] | null;
}

export interface CompileInput {
  pgtId: number;
  /** the storage table */
  target: { schema: string; name: string };
  /** the user's defining query */
  query: string;
  /** from a probe view of the query */
  outputColumns: { name: string; type: string }[];
  /** every relation the query reads, resolved by the database */
  sources: CompileSource[];
  /** to resolve unqualified names among sources */
  searchPath: string[];
  /** computed by the database from pg_depend */
  worstVolatility: 'i' | 's' | 'v';
  mode: 'DIFFERENTIAL' | 'IMMEDIATE';
  /**
   * Names of the non-built-in aggregate functions the query calls (`name`, or
   * `schema.name` to match only a qualified call), from pg_proc.prokind = 'a'.
   * The raw parse tree cannot tell `myagg(x)` from a per-row function call, so
   * without this list a user aggregate would be compiled as one (wrong
   * results). Absent = none.
   */
  userAggregates?: readonly string[];
}

export interface HiddenColumn {
  name: string;
  type: string;
}

export type Strategy = 'keyed' | 'lineage' | 'aggregate' | 'distinct' | 'topk';

export interface CompiledPlan {
  /** bump whenever generated SQL changes */
  compilerVersion: string;
  /** indented human-readable tree, for `explain` */
  operatorTree: string;
  /** how the storage is maintained (see emit/strategy.ts) */
  strategy: Strategy;
  hiddenColumns: HiddenColumn[];
  rowIdUnique: boolean;
  /**
   * Storage columns worth an index. User output columns that are GROUP BY keys,
   * and for the lineage strategy the hidden `__pgt_lineage` column, which the
   * delta looks up per changed row (it must be indexed).
   */
  groupByColumns: string[];
  /** from fullRefreshStatement(): one statement, replaces contents + advances frontier */
  fullRefreshSql: string;
  /** from differentialStatement(): one MERGE, applies the delta + advances frontier */
  differentialSql: string;
  /** the SELECT inside fullRefreshSql */
  fullSelectSql: string;
  /** the SELECT inside differentialSql */
  deltaSelectSql: string;
  warnings: string[];
}
