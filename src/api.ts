/**
 * The library API: thin, typed calls of the SQL API installed in each database
 * (DESIGN D1). The CLI is a layer over this; so is anything embedding pgtrickle.
 */
import type pg from 'pg';
import { compileStreamTable, type CompileResult } from './compile/plans.ts';
import type { CompilerPool } from './compile/pool.ts';

/** An unsupported query in explicit DIFFERENTIAL mode, reported before anything is created. */
export class UnsupportedRefreshModeError extends Error {
  constructor(message: string, readonly code: string, readonly hint: string) {
    super(message);
    this.name = 'UnsupportedRefreshModeError';
  }
}

export type RefreshMode = 'AUTO' | 'FULL' | 'DIFFERENTIAL' | 'IMMEDIATE';

export interface CreateOptions {
  name: string;
  query: string;
  schedule?: string;
  refreshMode?: string;
  initialize?: boolean;
}

export interface CreateResult {
  /** 'installed': a DIFFERENTIAL plan is in place; 'fallback_full': AUTO chose FULL; 'full': FULL was asked for */
  plan: 'installed' | 'fallback_full' | 'full' | 'pending';
  notice?: string;
}

/**
 * Creates a stream table. With a compiler pool (the CLI and library path,
 * DESIGN D2) the DVM plan is compiled in the same transaction, so an
 * unsupported query in DIFFERENTIAL mode fails before anything exists and the
 * table is populated under its compiled plan; without one, the coordinator
 * compiles it moments later, as for `create_stream_table` called from psql.
 */
export async function createStreamTable(client: pg.ClientBase, o: CreateOptions, compiler?: CompilerPool): Promise<CreateResult> {
  const args = ['name => $1', 'query => $2'];
  const values: unknown[] = [o.name, o.query];
  if (o.schedule !== undefined) values.push(o.schedule), args.push(`schedule => $${values.length}`);
  if (o.refreshMode !== undefined) values.push(o.refreshMode), args.push(`refresh_mode => $${values.length}`);
  if (o.initialize !== undefined) values.push(o.initialize), args.push(`initialize => $${values.length}`);
  if (!compiler) {
    await client.query(`SELECT pgtrickle.create_stream_table(${args.join(', ')})`, values);
    return { plan: 'pending' };
  }
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pgtrickle.create_stream_table(${args.join(', ')})`, values);
    const { rows } = await client.query<{ pgt_id: string; refresh_mode: string; is_populated: boolean }>(
      'SELECT pgt_id, refresh_mode, is_populated FROM pgtrickle.pgt_stream_tables WHERE pgt_id = (pgtrickle._find_stream_table($1)).pgt_id',
      [o.name],
    );
    const st = rows[0]!;
    let result: CreateResult = { plan: 'full' };
    if (st.refresh_mode === 'DIFFERENTIAL' || st.refresh_mode === 'IMMEDIATE') {
      const compiled: CompileResult = await compileStreamTable(client, compiler, Number(st.pgt_id));
      if (compiled.status === 'unsupported') throw new UnsupportedRefreshModeError(compiled.message, compiled.code, compiled.hint);
      if (compiled.status === 'installed' && st.is_populated) {
        // Re-populate under the compiled plan now, so the first scheduled refresh is already incremental.
        await client.query("SELECT pgtrickle._refresh($1, 'MANUAL')", [st.pgt_id]);
      }
      result = compiled.status === 'fallback_full' ? { plan: 'fallback_full', notice: compiled.message } : { plan: 'installed' };
    }
    await client.query('COMMIT');
    return result;
  } catch (raw) {
    await client.query('ROLLBACK').catch(() => {});
    throw raw;
  }
}

export interface AlterOptions {
  query?: string;
  schedule?: string;
  refreshMode?: string;
  status?: string;
  tier?: string;
}

const ALTER_PARAMS: Record<keyof AlterOptions, string> = {
  query: 'query',
  schedule: 'schedule',
  refreshMode: 'refresh_mode',
  status: 'status',
  tier: 'tier',
};

export async function alterStreamTable(client: pg.ClientBase, name: string, o: AlterOptions): Promise<void> {
  const args = ['name => $1'];
  const values: unknown[] = [name];
  for (const [key, param] of Object.entries(ALTER_PARAMS) as [keyof AlterOptions, string][]) {
    if (o[key] === undefined) continue;
    values.push(o[key]);
    args.push(`${param} => $${values.length}`);
  }
  await client.query(`SELECT pgtrickle.alter_stream_table(${args.join(', ')})`, values);
}

export async function dropStreamTable(client: pg.ClientBase, name: string): Promise<void> {
  await client.query('SELECT pgtrickle.drop_stream_table($1)', [name]);
}

/** The same executor the scheduler runs (DESIGN D3). Returns the action taken. */
export async function refreshStreamTable(client: pg.ClientBase, name: string): Promise<string> {
  const { rows } = await client.query<{ action: string }>(
    "SELECT pgtrickle._refresh((pgtrickle._find_stream_table($1)).pgt_id, 'MANUAL') AS action",
    [name],
  );
  return rows[0]!.action;
}

export async function resumeStreamTable(client: pg.ClientBase, name: string): Promise<void> {
  await client.query('SELECT pgtrickle.resume_stream_table($1)', [name]);
}

export interface StreamTableSummary {
  name: string;
  schema: string;
  status: string;
  refresh_mode: string;
  is_populated: boolean;
  consecutive_errors: number;
  schedule: string | null;
  staleness: string | null;
}

export async function listStreamTables(client: pg.ClientBase): Promise<StreamTableSummary[]> {
  const { rows } = await client.query<StreamTableSummary>(`
    SELECT pgt_name AS name, pgt_schema AS schema, status, refresh_mode, is_populated, consecutive_errors, schedule,
           CASE WHEN data_timestamp IS NULL THEN NULL
                ELSE to_char(extract(epoch FROM now() - data_timestamp), 'FM999999990.0') || 's' END AS staleness
      FROM pgtrickle.pgt_stream_tables ORDER BY pgt_schema, pgt_name`);
  return rows;
}

export interface StreamTableStatus extends StreamTableSummary {
  total_refreshes: number;
  successful_refreshes: number;
  failed_refreshes: number;
  avg_duration_ms: number | null;
  last_refresh_at: string | null;
  stale: boolean;
  last_error_message: string | null;
  effective_refresh_mode: string | null;
  plan: string;
}

export async function streamTableStatus(client: pg.ClientBase, name: string): Promise<StreamTableStatus> {
  const { rows } = await client.query<StreamTableStatus>(
    `SELECT s.pgt_name AS name, s.pgt_schema AS schema, s.status, s.refresh_mode, s.is_populated,
            s.consecutive_errors, s.schedule,
            CASE WHEN s.data_timestamp IS NULL THEN NULL
                 ELSE to_char(extract(epoch FROM now() - s.data_timestamp), 'FM999999990.0') || 's' END AS staleness,
            p.total_refreshes::int, p.successful_refreshes::int, p.failed_refreshes::int,
            p.avg_duration_ms::float8 AS avg_duration_ms, s.last_refresh_at::text, COALESCE(p.stale, false) AS stale,
            s.last_error_message, s.effective_refresh_mode,
            COALESCE(pl.plan_kind || CASE WHEN pl.compile_error IS NOT NULL THEN ' (compile error: ' || pl.compile_error || ')' ELSE '' END, 'none') AS plan
       FROM pgtrickle.pgt_stream_tables s
       JOIN pgtrickle.pg_stat_stream_tables p ON p.pgt_id = s.pgt_id
       LEFT JOIN pgtrickle.pgt_coord_plans pl ON pl.pgt_id = s.pgt_id
      WHERE s.pgt_id = (pgtrickle._find_stream_table($1)).pgt_id`,
    [name],
  );
  return rows[0]!;
}

export interface HistoryRow {
  refresh_id: number;
  start_time: string;
  action: string;
  status: string;
  initiated_by: string | null;
  rows_inserted: number;
  rows_deleted: number;
  delta_row_count: number;
  duration_ms: number | null;
  error_message: string | null;
}

export async function refreshHistory(client: pg.ClientBase, name: string, limit = 20): Promise<HistoryRow[]> {
  const { rows } = await client.query<HistoryRow>(
    `SELECT h.refresh_id::int, h.start_time::text, h.action, h.status, h.initiated_by,
            h.rows_inserted::int, h.rows_deleted::int, h.delta_row_count::int,
            round((extract(epoch FROM h.end_time - h.start_time) * 1000)::numeric, 3)::float8 AS duration_ms,
            h.error_message
       FROM pgtrickle.pgt_refresh_history h
      WHERE h.pgt_id = (pgtrickle._find_stream_table($1)).pgt_id
      ORDER BY h.refresh_id DESC LIMIT $2`,
    [name, limit],
  );
  return rows;
}

/** `pgtrickle.explain_st(name)`: the stored plan as (property, value) pairs. */
export async function explainStreamTable(client: pg.ClientBase, name: string): Promise<{ property: string; value: string | null }[]> {
  const { rows } = await client.query<{ property: string; value: string | null }>('SELECT * FROM pgtrickle.explain_st($1)', [name]);
  return rows;
}

export interface TreeRow {
  tree_line: string;
  node: string;
  node_type: 'stream_table' | 'source_table';
  depth: number;
  status: string | null;
  refresh_mode: string | null;
}

/** `pgtrickle.dependency_tree()`: the DAG as ASCII tree lines. */
export async function dependencyTree(client: pg.ClientBase): Promise<TreeRow[]> {
  const { rows } = await client.query<TreeRow>('SELECT * FROM pgtrickle.dependency_tree()');
  return rows;
}
