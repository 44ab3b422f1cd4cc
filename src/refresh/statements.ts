/**
 * The two statement shapes every refresh executes (D3, D5).
 *
 * Each refresh applies its data change and advances the stream table's
 * frontier in ONE statement: all parts of a statement share one MVCC snapshot,
 * so "the changes consumed", "the source state read" and "the frontier stored"
 * describe exactly the same instant, even when the caller runs at
 * READ COMMITTED (psql's default, where every statement gets a new snapshot).
 * That is what makes the frontier visibility-correct: a transaction that is
 * in progress when the statement starts is invisible to the read AND listed as
 * in-progress in the stored `pg_snapshot`, so its rows are consumed by the
 * next refresh, whenever it commits.
 *
 * The plpgsql executor (`pgtrickle._refresh`) runs these statements verbatim;
 * they are built here (and by sql/ for the plan-less FULL fallback) and stored
 * in `pgtrickle.pgt_coord_plans`.
 *
 * `pgtrickle.refresh_snapshot()` is the statement's snapshot with the refreshing
 * transaction's own writes counted as visible; as an uncorrelated scalar
 * subquery it is evaluated once per statement.
 */
import { ident } from '../sql/ident.ts';

export interface StorageTarget {
  schema: string;
  name: string;
}

export interface StorageColumn {
  name: string;
  /** `format_type()` text, used only for documentation/DDL. */
  type: string;
}

/** Bump when the statement shapes below change: stored plans are then re-derived. */
export const STATEMENTS_VERSION = 2;

const FRONTIER_TABLE = 'pgtrickle.pgt_coord_frontiers';
const STATS_TABLE = 'pgtrickle.pgt_coord_refresh_stats';

function target(t: StorageTarget): string {
  return `${ident(t.schema)}.${ident(t.name)}`;
}

/**
 * Advance every source frontier of the stream table to this statement's
 * snapshot. `self_xid`/`self_change_id` remember how far the refreshing
 * transaction's own changes were consumed: its own rows count as visible, yet
 * the same transaction may write more rows after this refresh, and those must
 * still be consumed later (they carry the same xid, and larger change ids).
 * Mirrors the frontier advance in sql/code/06_frontier.sql; a test keeps them equal.
 */
export function frontierAssignments(): string {
  return `frontier = (SELECT pgtrickle.refresh_snapshot()),
         self_xid = pg_catalog.pg_current_xact_id_if_assigned(),
         self_change_id = (SELECT __pgt_seq.last_value FROM pgtrickle_changes.change_seq AS __pgt_seq)`;
}

function frontierAdvance(pgtId: number): string {
  return `__pgt_frontier AS (
  UPDATE ${FRONTIER_TABLE}
     SET ${frontierAssignments()}
   WHERE pgt_id OPERATOR(pg_catalog.=) ${pgtId}::bigint
  RETURNING 1
)`;
}

/**
 * FULL refresh: replace the contents with `selectSql` (which must produce
 * `__pgt_row_id`, then the storage columns in order) and advance the frontier.
 * Returns one row (rows_inserted, rows_deleted).
 *
 * DELETE + INSERT in one statement instead of TRUNCATE: readers keep seeing
 * the old contents until commit instead of queueing behind an ACCESS EXCLUSIVE
 * lock. The INSERT is made to wait for the DELETE (the `__pgt_deleted`
 * initplan) so an unchanged row id never trips the unique index.
 */
export function fullRefreshStatement(args: {
  pgtId: number;
  target: StorageTarget;
  /** All storage columns after `__pgt_row_id`, in storage order. */
  columns: readonly string[];
  selectSql: string;
}): string {
  const cols = ['__pgt_row_id', ...args.columns].map(ident).join(', ');
  return `WITH ${frontierAdvance(args.pgtId)},
__pgt_deleted AS (
  DELETE FROM ${target(args.target)}
  RETURNING 1
),
__pgt_inserted AS (
  INSERT INTO ${target(args.target)} (${cols})
  SELECT __pgt_full.* FROM (${args.selectSql}) AS __pgt_full
   WHERE (SELECT pg_catalog.count(*) FROM __pgt_deleted) OPERATOR(pg_catalog.>=) 0
  RETURNING 1
)
SELECT (SELECT pg_catalog.count(*) FROM __pgt_inserted) AS rows_inserted,
       (SELECT pg_catalog.count(*) FROM __pgt_deleted) AS rows_deleted,
       (SELECT pg_catalog.count(*) FROM __pgt_frontier) AS frontiers_advanced`;
}

/**
 * DIFFERENTIAL refresh: one MERGE keyed by `__pgt_row_id`.
 *
 * `deltaSql` must produce `__pgt_row_id, __pgt_action, <columns…>` with at
 * most one row per `__pgt_row_id`: action 'I' means "the row with this id now
 * has these values" (insert or update), 'D' means "delete this id".
 * The counts are written to pgt_coord_refresh_stats by a CTE because MERGE
 * has no RETURNING before PostgreSQL 17.
 */
export function differentialStatement(args: {
  pgtId: number;
  target: StorageTarget;
  columns: readonly string[];
  deltaSql: string;
}): string {
  const cols = args.columns.map(ident);
  const stCols = cols.map((c) => `__pgt_st.${c}`).join(', ');
  const dCols = cols.map((c) => `__pgt_d.${c}`).join(', ');
  const setList = cols.map((c) => `${c} = __pgt_d.${c}`).join(', ');
  // Compare as text: some column types (json, xml, point) have no equality operator.
  const differs = cols.length === 0
    ? 'false'
    : `(ROW(${stCols}))::text IS DISTINCT FROM (ROW(${dCols}))::text`;
  return `WITH ${frontierAdvance(args.pgtId)},
__pgt_delta AS MATERIALIZED (
${args.deltaSql}
),
__pgt_stats AS (
  INSERT INTO ${STATS_TABLE} (pgt_id, rows_inserted, rows_deleted)
  SELECT ${args.pgtId}::bigint,
         pg_catalog.count(*) FILTER (WHERE __pgt_action OPERATOR(pg_catalog.=) 'I'),
         pg_catalog.count(*) FILTER (WHERE __pgt_action OPERATOR(pg_catalog.=) 'D')
    FROM __pgt_delta
  ON CONFLICT (pgt_id) DO UPDATE
     SET rows_inserted = EXCLUDED.rows_inserted, rows_deleted = EXCLUDED.rows_deleted
  RETURNING 1
)
MERGE INTO ${target(args.target)} AS __pgt_st
USING __pgt_delta AS __pgt_d
   ON __pgt_st.__pgt_row_id OPERATOR(pg_catalog.=) __pgt_d.__pgt_row_id
WHEN MATCHED AND __pgt_d.__pgt_action OPERATOR(pg_catalog.=) 'D' THEN DELETE
WHEN MATCHED AND __pgt_d.__pgt_action OPERATOR(pg_catalog.=) 'I' AND ${differs} THEN
  UPDATE SET ${setList}
WHEN NOT MATCHED AND __pgt_d.__pgt_action OPERATOR(pg_catalog.=) 'I' THEN
  INSERT (__pgt_row_id${cols.length ? ', ' + cols.join(', ') : ''})
  VALUES (__pgt_d.__pgt_row_id${cols.length ? ', ' + dCols : ''})`;
}

/**
 * The change window of one source for one stream table, as a WHERE clause over
 * buffer alias `c`: rows written by transactions visible to this statement's
 * snapshot and not visible to the stored frontier snapshot (D5), plus rows the
 * frontier's own transaction wrote after that refresh. The first conjunct is
 * the sargable prefilter on the (xid) index: everything below the frontier's
 * xmin was already visible to the previous refresh.
 * Mirrors pgtrickle._window_predicate_for(); a test keeps them equal.
 */
export function changeWindowPredicate(pgtId: number, sourceRelid: number, alias = 'c'): string {
  const field = (name: string) =>
    `(SELECT __pgt_f.${name} FROM ${FRONTIER_TABLE} AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) ${pgtId}::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) ${sourceRelid}::oid)`;
  return `${alias}.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin(${field('frontier')})
   AND pg_catalog.pg_visible_in_snapshot(${alias}.xid, (SELECT pgtrickle.refresh_snapshot()))
   AND (NOT pg_catalog.pg_visible_in_snapshot(${alias}.xid, ${field('frontier')})
        OR (${alias}.xid OPERATOR(pg_catalog.=) ${field('self_xid')} AND ${alias}.change_id OPERATOR(pg_catalog.>) ${field('self_change_id')}))`;
}
