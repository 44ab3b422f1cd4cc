/**
 * Typed reads of pg_trickle's introspection functions (st_refresh_stats,
 * health_check, change_buffer_sizes, fuse_status …; column lists as pg_trickle
 * v0.14.0 names them). Several of these functions are still being added to the
 * catalog: a call of one this database does not have throws
 * FunctionMissingError naming it, so a caller can say "this catalog does not
 * have X yet" — and the same call just works once the function is installed.
 */
import type pg from 'pg';
import { CatalogMissingError, ErrorCode, PgTrickleError, toSqlApiError } from './errors.ts';
import { SqlState, sqlStateOf } from './sql-state.ts';

const UNDEFINED_FUNCTION = '42883';

/** The catalog of this database has no `pgtrickle.<fn>()` (yet). */
export class FunctionMissingError extends PgTrickleError {
  constructor(readonly functionName: string, options?: { cause?: unknown }) {
    super(ErrorCode.Catalog, `this catalog has no pgtrickle.${functionName}()`, options);
    this.name = 'FunctionMissingError';
  }
}

/** Whether the catalog has a function of that name (any signature). */
export async function hasCatalogFunction(client: pg.ClientBase, fn: string): Promise<boolean> {
  const { rows } = await client.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT FROM pg_catalog.pg_proc WHERE pronamespace = to_regnamespace('pgtrickle') AND proname = $1) AS present`,
    [fn],
  );
  return rows[0]!.present;
}

/**
 * `SELECT * FROM pgtrickle.<fn>(<args>)`. A 42883 is told apart: the catalog
 * missing altogether, this function missing (FunctionMissingError), or
 * something the function calls missing (the server's error, by class).
 */
async function callFunction<T extends pg.QueryResultRow>(client: pg.ClientBase, fn: string, args: unknown[] = [], select = '*'): Promise<T[]> {
  const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
  try {
    const { rows } = await client.query<T>(`SELECT ${select} FROM pgtrickle.${fn}(${placeholders}) AS r`, args);
    return rows;
  } catch (raw) {
    const code = sqlStateOf(raw);
    if (code === UNDEFINED_FUNCTION || code === SqlState.SchemaMissing) {
      const schema = await client
        .query<{ missing: boolean }>("SELECT to_regnamespace('pgtrickle') IS NULL AS missing")
        .then((r) => r.rows[0]!.missing, () => false);
      if (schema) throw new CatalogMissingError({ cause: raw });
      if (!(await hasCatalogFunction(client, fn).catch(() => true))) throw new FunctionMissingError(fn, { cause: raw });
    }
    throw toSqlApiError(raw);
  }
}

/** Every column of pg_trickle's `st_refresh_stats()`, one row per stream table. */
export interface RefreshStatsRow {
  pgt_name: string;
  pgt_schema: string;
  status: string;
  refresh_mode: string;
  is_populated: boolean;
  total_refreshes: number;
  successful_refreshes: number;
  failed_refreshes: number;
  total_rows_inserted: number;
  total_rows_deleted: number;
  avg_duration_ms: number;
  last_refresh_action: string | null;
  last_refresh_status: string | null;
  last_refresh_at: string | null;
  staleness_secs: number | null;
  stale: boolean;
  consecutive_errors: number;
  schedule: string | null;
  refresh_tier: string;
  last_error_message: string | null;
}

const REFRESH_STATS_SELECT = `r.pgt_name, r.pgt_schema, r.status, r.refresh_mode, r.is_populated,
  r.total_refreshes::int8::float8 AS total_refreshes, r.successful_refreshes::int8::float8 AS successful_refreshes,
  r.failed_refreshes::int8::float8 AS failed_refreshes, r.total_rows_inserted::int8::float8 AS total_rows_inserted,
  r.total_rows_deleted::int8::float8 AS total_rows_deleted, COALESCE(r.avg_duration_ms, 0)::float8 AS avg_duration_ms,
  r.last_refresh_action, r.last_refresh_status, r.last_refresh_at::text AS last_refresh_at, r.staleness_secs::float8 AS staleness_secs,
  COALESCE(r.stale, false) AS stale, COALESCE(r.consecutive_errors, 0)::int AS consecutive_errors, r.schedule,
  COALESCE(r.refresh_tier, 'hot') AS refresh_tier, r.last_error_message`;

/**
 * `st_refresh_stats()`, ordered by schema and name. Until the catalog has the
 * function, the same columns are read from `pgt_stream_tables` and
 * `pg_stat_stream_tables`, which every catalog version has.
 */
export async function refreshStats(client: pg.ClientBase): Promise<RefreshStatsRow[]> {
  try {
    const rows = await callFunction<RefreshStatsRow>(client, 'st_refresh_stats', [], REFRESH_STATS_SELECT);
    return rows.sort((a, b) => a.pgt_schema.localeCompare(b.pgt_schema) || a.pgt_name.localeCompare(b.pgt_name));
  } catch (raw) {
    if (!(raw instanceof FunctionMissingError)) throw raw;
  }
  try {
    const { rows } = await client.query<RefreshStatsRow>(`
      SELECT ${REFRESH_STATS_SELECT}
        FROM (SELECT s.pgt_name, s.pgt_schema, s.status, s.refresh_mode, s.is_populated,
                     p.total_refreshes, p.successful_refreshes, p.failed_refreshes,
                     (SELECT COALESCE(sum(h.rows_inserted), 0) FROM pgtrickle.pgt_refresh_history h WHERE h.pgt_id = s.pgt_id) AS total_rows_inserted,
                     (SELECT COALESCE(sum(h.rows_deleted), 0) FROM pgtrickle.pgt_refresh_history h WHERE h.pgt_id = s.pgt_id) AS total_rows_deleted,
                     p.avg_duration_ms, l.action AS last_refresh_action, l.status AS last_refresh_status, s.last_refresh_at,
                     extract(epoch FROM now() - s.data_timestamp) AS staleness_secs, p.stale, s.consecutive_errors,
                     s.schedule, s.refresh_tier, s.last_error_message
                FROM pgtrickle.pgt_stream_tables s
                JOIN pgtrickle.pg_stat_stream_tables p ON p.pgt_id = s.pgt_id
                LEFT JOIN LATERAL (SELECT h.action, h.status FROM pgtrickle.pgt_refresh_history h
                                    WHERE h.pgt_id = s.pgt_id ORDER BY h.refresh_id DESC LIMIT 1) l ON true) r
       ORDER BY r.pgt_schema, r.pgt_name`);
    return rows;
  } catch (raw) {
    if (sqlStateOf(raw) === '42P01' || sqlStateOf(raw) === SqlState.SchemaMissing) throw new CatalogMissingError({ cause: raw });
    throw toSqlApiError(raw);
  }
}

export interface HealthCheckRow {
  check_name: string;
  /** as the server sent it (`OK`/`WARN`/`ERROR` at pg_trickle 0.14.0) */
  severity: string;
  detail: string | null;
}

export type NormalisedSeverity = 'critical' | 'warning' | 'ok' | 'other';

/** ERROR/CRITICAL → critical, WARN/WARNING → warning, OK → ok, case-insensitively (pg_trickle sends upper case, its CLI tested lower). */
export function normaliseSeverity(severity: string | null | undefined): NormalisedSeverity {
  switch ((severity ?? '').trim().toLowerCase()) {
    case 'error':
    case 'critical':
      return 'critical';
    case 'warn':
    case 'warning':
      return 'warning';
    case 'ok':
      return 'ok';
    default:
      return 'other';
  }
}

const SEVERITY_ORDER: Record<NormalisedSeverity, number> = { critical: 0, warning: 1, ok: 2, other: 3 };

/** `health_check()`: critical first, then warning, ok, other; then by name. */
export async function healthCheck(client: pg.ClientBase): Promise<HealthCheckRow[]> {
  const rows = await callFunction<HealthCheckRow>(client, 'health_check', [], 'r.check_name, r.severity, r.detail');
  return rows.sort(
    (a, b) => SEVERITY_ORDER[normaliseSeverity(a.severity)] - SEVERITY_ORDER[normaliseSeverity(b.severity)] || a.check_name.localeCompare(b.check_name),
  );
}

export interface ChangeBufferRow {
  stream_table: string;
  source_table: string;
  source_oid: number;
  cdc_mode: string;
  pending_rows: number;
  buffer_bytes: number;
}

/** `change_buffer_sizes()`, largest buffer first. */
export async function changeBufferSizes(client: pg.ClientBase): Promise<ChangeBufferRow[]> {
  const rows = await callFunction<ChangeBufferRow>(
    client,
    'change_buffer_sizes',
    [],
    'r.stream_table::text, r.source_table::text, r.source_oid::int8::float8 AS source_oid, r.cdc_mode, r.pending_rows::int8::float8 AS pending_rows, r.buffer_bytes::int8::float8 AS buffer_bytes',
  );
  return rows.sort((a, b) => b.buffer_bytes - a.buffer_bytes);
}

export interface RecommendationRow {
  pgt_schema: string;
  pgt_name: string;
  current_mode: string;
  effective_mode: string | null;
  recommended_mode: string;
  confidence: string;
  reason: string;
}

/** `recommend_refresh_mode(name)`, or for every stream table; ordered by schema, name. */
export async function recommendRefreshMode(client: pg.ClientBase, name?: string): Promise<RecommendationRow[]> {
  const rows = await callFunction<RecommendationRow>(
    client,
    'recommend_refresh_mode',
    name === undefined ? [] : [name],
    'r.pgt_schema, r.pgt_name, r.current_mode, r.effective_mode, r.recommended_mode, r.confidence, r.reason',
  );
  return rows.sort((a, b) => a.pgt_schema.localeCompare(b.pgt_schema) || a.pgt_name.localeCompare(b.pgt_name));
}

export interface RefreshEfficiencyRow {
  pgt_schema: string;
  pgt_name: string;
  refresh_mode: string;
  total_refreshes: number;
  diff_count: number;
  full_count: number;
  avg_diff_ms: number | null;
  avg_full_ms: number | null;
  avg_change_ratio: number | null;
  diff_speedup: string | null;
  last_refresh_at: string | null;
}

export async function refreshEfficiency(client: pg.ClientBase): Promise<RefreshEfficiencyRow[]> {
  return callFunction<RefreshEfficiencyRow>(
    client,
    'refresh_efficiency',
    [],
    `r.pgt_schema, r.pgt_name, r.refresh_mode, r.total_refreshes::int8::float8 AS total_refreshes, r.diff_count::int8::float8 AS diff_count,
     r.full_count::int8::float8 AS full_count, r.avg_diff_ms::float8 AS avg_diff_ms, r.avg_full_ms::float8 AS avg_full_ms,
     r.avg_change_ratio::float8 AS avg_change_ratio, r.diff_speedup::text AS diff_speedup, r.last_refresh_at::text AS last_refresh_at`,
  );
}

export interface TimelineRow {
  start_time: string;
  stream_table: string;
  action: string;
  status: string;
  rows_inserted: number;
  rows_deleted: number;
  duration_ms: number | null;
  error_message: string | null;
}

/** `refresh_timeline(max_rows)`, newest first. */
export async function refreshTimeline(client: pg.ClientBase, maxRows = 50): Promise<TimelineRow[]> {
  return callFunction<TimelineRow>(
    client,
    'refresh_timeline',
    [maxRows],
    `r.start_time::text AS start_time, r.stream_table::text AS stream_table, r.action, r.status,
     r.rows_inserted::int8::float8 AS rows_inserted, r.rows_deleted::int8::float8 AS rows_deleted, r.duration_ms::float8 AS duration_ms, r.error_message`,
  );
}

export interface WorkerPoolRow {
  active_workers: number;
  max_workers: number;
  per_db_cap: number;
  parallel_mode: string;
}

export async function workerPoolStatus(client: pg.ClientBase): Promise<WorkerPoolRow[]> {
  return callFunction<WorkerPoolRow>(
    client,
    'worker_pool_status',
    [],
    'r.active_workers::int, r.max_workers::int, r.per_db_cap::int, r.parallel_mode::text',
  );
}

export interface ParallelJobRow {
  job_id: string;
  unit_key: string;
  unit_kind: string;
  status: string;
  attempt_no: number | null;
  enqueued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

/** `parallel_job_status(max_age_seconds)`, newest first. */
export async function parallelJobStatus(client: pg.ClientBase, maxAgeSeconds = 300): Promise<ParallelJobRow[]> {
  const rows = await callFunction<ParallelJobRow>(
    client,
    'parallel_job_status',
    [maxAgeSeconds],
    `r.job_id::text, r.unit_key::text, r.unit_kind::text, r.status::text, r.attempt_no::int, r.enqueued_at::text AS enqueued_at,
     r.started_at::text AS started_at, r.finished_at::text AS finished_at, r.duration_ms::float8 AS duration_ms`,
  );
  return rows.sort((a, b) => (b.enqueued_at ?? '').localeCompare(a.enqueued_at ?? ''));
}

export interface FuseRow {
  stream_table: string;
  fuse_mode: string;
  fuse_state: string;
  fuse_ceiling: number | null;
  effective_ceiling: number | null;
  fuse_sensitivity: number | null;
  blown_at: string | null;
  blow_reason: string | null;
}

const FUSE_ORDER: Record<string, number> = { blown: 0, tripped: 1 };

/** `fuse_status()`: blown first, then tripped, then the rest (states compared case-insensitively), then by name. */
export async function fuseStatus(client: pg.ClientBase): Promise<FuseRow[]> {
  const rows = await callFunction<FuseRow>(
    client,
    'fuse_status',
    [],
    `r.stream_table::text, r.fuse_mode::text, r.fuse_state::text, r.fuse_ceiling::int8::float8 AS fuse_ceiling,
     r.effective_ceiling::int8::float8 AS effective_ceiling, r.fuse_sensitivity::int8::float8 AS fuse_sensitivity,
     r.blown_at::text AS blown_at, r.blow_reason`,
  );
  const rank = (s: string) => FUSE_ORDER[s.toLowerCase()] ?? 2;
  return rows.sort((a, b) => rank(a.fuse_state) - rank(b.fuse_state) || a.stream_table.localeCompare(b.stream_table));
}

export interface WatermarkGroupRow {
  group_name: string;
  source_count: number;
  tolerance_secs: number;
  created_at: string | null;
}

export async function watermarkGroups(client: pg.ClientBase): Promise<WatermarkGroupRow[]> {
  const rows = await callFunction<WatermarkGroupRow>(
    client,
    'watermark_groups',
    [],
    'r.group_name::text, r.source_count::int, r.tolerance_secs::float8 AS tolerance_secs, r.created_at::text AS created_at',
  );
  return rows.sort((a, b) => a.group_name.localeCompare(b.group_name));
}

export interface WatermarkStatusRow {
  group_name: string;
  min_watermark: string | null;
  max_watermark: string | null;
  lag_secs: number | null;
  aligned: boolean;
  sources_with_watermark: number;
  sources_total: number;
}

export async function watermarkStatus(client: pg.ClientBase): Promise<WatermarkStatusRow[]> {
  return callFunction<WatermarkStatusRow>(
    client,
    'watermark_status',
    [],
    `r.group_name::text, r.min_watermark::text AS min_watermark, r.max_watermark::text AS max_watermark, r.lag_secs::float8 AS lag_secs,
     r.aligned, r.sources_with_watermark::int, r.sources_total::int`,
  );
}

export interface TriggerRow {
  source_table: string;
  trigger_name: string;
  trigger_type: string;
  present: boolean;
  enabled: boolean;
}

export async function triggerInventory(client: pg.ClientBase): Promise<TriggerRow[]> {
  return callFunction<TriggerRow>(client, 'trigger_inventory', [], 'r.source_table::text, r.trigger_name::text, r.trigger_type::text, r.present, r.enabled');
}

/** `explain_delta(name, format)`: the lines of EXPLAIN over the delta statement. */
export async function explainDelta(client: pg.ClientBase, name: string, format = 'text'): Promise<string[]> {
  const rows = await callFunction<{ line: string }>(client, 'explain_delta', [name, format], 'r::text AS line');
  return rows.map((r) => r.line);
}

/** `export_definition(name)`: a script that recreates the stream table in psql. */
export async function exportDefinition(client: pg.ClientBase, name: string): Promise<string | null> {
  const rows = await callFunction<{ script: string | null }>(client, 'export_definition', [name], 'r AS script');
  return rows[0]?.script ?? null;
}

export interface DedupStatsRow {
  total_diff_refreshes: number;
  dedup_needed: number;
  dedup_ratio_pct: number;
}

export async function dedupStats(client: pg.ClientBase): Promise<DedupStatsRow[]> {
  return callFunction<DedupStatsRow>(
    client,
    'dedup_stats',
    [],
    'r.total_diff_refreshes::int8::float8 AS total_diff_refreshes, r.dedup_needed::int8::float8 AS dedup_needed, r.dedup_ratio_pct::float8 AS dedup_ratio_pct',
  );
}

export interface SettingRow {
  name: string;
  setting: string;
  unit: string | null;
  short_desc: string | null;
  category: string | null;
}

/**
 * The `pg_trickle.*` settings: the `pgtrickle.settings` view when the catalog
 * has one (every setting with its effective value). Else the ones this
 * session can see: pg_settings, plus the names set with ALTER DATABASE / ALTER
 * ROLE … SET and ALTER SYSTEM (PostgreSQL keeps placeholder settings of an
 * unknown extension out of pg_settings), each with its current value.
 */
export async function listSettings(client: pg.ClientBase): Promise<SettingRow[]> {
  const { rows: view } = await client.query<{ present: boolean }>("SELECT to_regclass('pgtrickle.settings') IS NOT NULL AS present");
  if (view[0]!.present) {
    const { rows } = await client.query<SettingRow>(
      `SELECT name::text, setting::text, unit::text, short_desc::text, category::text FROM pgtrickle.settings WHERE name LIKE 'pg\\_trickle.%' ORDER BY name`,
    );
    return rows;
  }
  const { rows } = await client.query<SettingRow>(`
    SELECT name, setting, unit, short_desc, category FROM pg_catalog.pg_settings WHERE name LIKE 'pg\\_trickle.%'
    UNION
    SELECT DISTINCT split_part(cfg, '=', 1), pg_catalog.current_setting(split_part(cfg, '=', 1), true), NULL, NULL, 'Customized Options'
      FROM pg_catalog.pg_db_role_setting, unnest(setconfig) AS cfg
     WHERE setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))
       AND cfg LIKE 'pg\\_trickle.%'
     ORDER BY 1`);
  // ALTER SYSTEM values: readable by superusers and pg_read_all_settings only
  const fromFile = await client
    .query<SettingRow>(`SELECT DISTINCT name, pg_catalog.current_setting(name, true) AS setting, NULL::text AS unit, NULL::text AS short_desc, 'Customized Options' AS category
                          FROM pg_catalog.pg_file_settings WHERE name LIKE 'pg\\_trickle.%' AND applied`)
    .then((r) => r.rows, () => [] as SettingRow[]);
  const byName = new Map(rows.map((r) => [r.name, r]));
  for (const r of fromFile) if (!byName.has(r.name)) byName.set(r.name, r);
  return [...byName.values()].filter((r) => r.setting !== null).sort((a, b) => a.name.localeCompare(b.name));
}

const SETTING_NAME = /^pg_trickle\.[a-z0-9_]+$/;

/**
 * Sets a `pg_trickle.*` setting for the server (ALTER SYSTEM, then
 * pg_reload_conf()) or for this database only (ALTER DATABASE … SET), which
 * the coordinator and the catalog read at their next session. The name must
 * be `pg_trickle.<lower_snake>`; the value is always a quoted literal.
 */
export async function setSetting(client: pg.Client, name: string, value: string, scope: 'system' | 'database' = 'system'): Promise<void> {
  if (!SETTING_NAME.test(name)) throw new TypeError(`not a pg_trickle setting name: ${name} (expected pg_trickle.<name>, lower case)`);
  try {
    if (scope === 'system') {
      await client.query(`ALTER SYSTEM SET ${name} = ${client.escapeLiteral(value)}`);
      await client.query('SELECT pg_catalog.pg_reload_conf()');
    } else {
      const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
      await client.query(`ALTER DATABASE ${client.escapeIdentifier(rows[0]!.db)} SET ${name} = ${client.escapeLiteral(value)}`);
    }
  } catch (raw) {
    throw toSqlApiError(raw);
  }
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the stream table's stored delta statement
 * (explain_st's `delta_query`), inside a transaction that is rolled back, so
 * nothing is applied and the frontier does not move. Null when the stream
 * table has no differential plan.
 */
export async function explainDeltaAnalyze(client: pg.ClientBase, name: string): Promise<string[] | null> {
  let rows: { property: string; value: string | null }[];
  try {
    ({ rows } = await client.query<{ property: string; value: string | null }>('SELECT property, value FROM pgtrickle.explain_st($1)', [name]));
  } catch (raw) {
    throw toSqlApiError(raw);
  }
  const sql = rows.find((r) => r.property === 'delta_query')?.value;
  if (!sql) return null;
  await client.query('BEGIN');
  try {
    const { rows: plan } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`);
    return plan.map((r) => r['QUERY PLAN']);
  } catch (raw) {
    throw toSqlApiError(raw);
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
}
