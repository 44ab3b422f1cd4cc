/**
 * The library API: thin, typed calls of the SQL API installed in each database
 * (DESIGN D1). The CLI is a layer over this; so is anything embedding pgtrickle.
 */
import pg from 'pg';
import { createBus } from './bus/index.ts';
import type { Alert } from './bus/types.ts';
import { compileStreamTable, type CompileResult } from './compile/plans.ts';
import type { CompilerPool } from './compile/pool.ts';
import { topologicalWaves } from './coordinator/dag.ts';
import { CatalogMissingError, ConnectionFailedError, toSqlApiError, UnsupportedRefreshModeError } from './errors.ts';
import { SqlState, sqlStateOf } from './sql-state.ts';

export { UnsupportedRefreshModeError };
export type { Alert };

/** A connected client, or ConnectionFailedError (`connection failed: <driver message>`). */
export async function openConnection(connectionString: string, applicationName = 'pgtrickle'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString, application_name: applicationName });
  try {
    await client.connect();
  } catch (raw) {
    await client.end().catch(() => {});
    throw new ConnectionFailedError(raw);
  }
  return client;
}

/**
 * Runs one API call and turns its database error into the class of its
 * SQLSTATE (src/errors.ts), keeping `cause`. A missing `pgtrickle` schema or
 * function is checked against the catalog itself: CatalogMissingError.
 */
async function apiCall<T>(client: pg.ClientBase, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (raw) {
    const code = sqlStateOf(raw);
    // schema, function or table of the catalog missing: 3F000, 42883, 42P01
    if (code === SqlState.SchemaMissing || code === '42883' || code === '42P01') {
      const missing = await client
        .query<{ missing: boolean }>("SELECT to_regnamespace('pgtrickle') IS NULL AS missing")
        .then((r) => r.rows[0]!.missing, () => false); // in an aborted transaction: not knowable here
      if (missing) throw new CatalogMissingError({ cause: raw });
    }
    throw toSqlApiError(raw);
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
  return apiCall(client, () => create(client, o, compiler));
}

async function create(client: pg.ClientBase, o: CreateOptions, compiler?: CompilerPool): Promise<CreateResult> {
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
  await apiCall(client, () => client.query(`SELECT pgtrickle.alter_stream_table(${args.join(', ')})`, values));
}

export async function dropStreamTable(client: pg.ClientBase, name: string): Promise<void> {
  await apiCall(client, () => client.query('SELECT pgtrickle.drop_stream_table($1)', [name]));
}

/** The same executor the scheduler runs (DESIGN D3). Returns the action taken. */
export async function refreshStreamTable(client: pg.ClientBase, name: string): Promise<string> {
  const { rows } = await apiCall(client, () =>
    client.query<{ action: string }>("SELECT pgtrickle._refresh((pgtrickle._find_owned_stream_table($1)).pgt_id, 'MANUAL') AS action", [name]),
  );
  return rows[0]!.action;
}

/**
 * Refreshes every ACTIVE or INITIALIZING stream table, each after the stream
 * tables it reads (the scheduler's waves), one transaction each. Returns the
 * name (pasteable form) and action of each, in the order they ran.
 */
export async function refreshAllStreamTables(
  client: pg.ClientBase,
  /** called after each refresh: that one, its position (1-based) and how many there are */
  onRefreshed?: (done: { name: string; action: string }, position: number, total: number) => void,
): Promise<{ name: string; action: string }[]> {
  const { rows } = await apiCall(client, () =>
    client.query<{ pgt_id: string; name: string; upstream: string[] }>(`
      SELECT s.pgt_id::text, pgtrickle._qualified(s) AS name,
             ARRAY(SELECT u.pgt_id::text FROM pgtrickle.pgt_dependencies d
                     JOIN pgtrickle.pgt_stream_tables u ON u.pgt_relid = d.source_relid
                    WHERE d.pgt_id = s.pgt_id) AS upstream
        FROM pgtrickle.pgt_stream_tables s
       WHERE s.status IN ('ACTIVE', 'INITIALIZING')
       ORDER BY s.pgt_id`),
  );
  const done: { name: string; action: string }[] = [];
  const order = topologicalWaves(rows).flat();
  for (const st of order) {
    done.push({ name: st.name, action: await refreshStreamTable(client, st.name) });
    onRefreshed?.(done.at(-1)!, done.length, order.length);
  }
  return done;
}

export async function resumeStreamTable(client: pg.ClientBase, name: string): Promise<void> {
  await apiCall(client, () => client.query('SELECT pgtrickle.resume_stream_table($1)', [name]));
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

const SUMMARY_COLUMNS = `s.pgt_name AS name, s.pgt_schema AS schema, s.status, s.refresh_mode, s.is_populated,
           s.consecutive_errors, s.schedule,
           CASE WHEN s.data_timestamp IS NULL THEN NULL
                ELSE to_char(extract(epoch FROM now() - s.data_timestamp), 'FM999999990.0') || 's' END AS staleness`;

export async function listStreamTables(client: pg.ClientBase): Promise<StreamTableSummary[]> {
  const { rows } = await apiCall(client, () =>
    client.query<StreamTableSummary>(`SELECT ${SUMMARY_COLUMNS} FROM pgtrickle.pgt_stream_tables s ORDER BY s.pgt_schema, s.pgt_name`),
  );
  return rows;
}

/** The stream table of that name (`name` or `schema.name`, PostgreSQL's identifier rules), or null. */
export async function findStreamTable(client: pg.ClientBase, name: string): Promise<StreamTableSummary | null> {
  const { rows } = await apiCall(client, () =>
    client.query<StreamTableSummary>(
      `SELECT ${SUMMARY_COLUMNS} FROM pgtrickle.pgt_stream_tables s, pgtrickle._resolve_name($1) r
        WHERE s.pgt_schema = r.schema_name AND s.pgt_name = r.table_name`,
      [name],
    ),
  );
  return rows[0] ?? null;
}

export interface StreamTableStatus extends StreamTableSummary {
  /** `schema.name` as it can be pasted back into any API call (identifiers quoted where needed) */
  qualified_name: string;
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
  const { rows } = await apiCall(client, () => client.query<StreamTableStatus>(
    `SELECT ${SUMMARY_COLUMNS}, pgtrickle._qualified(s) AS qualified_name,
            p.total_refreshes::int, p.successful_refreshes::int, p.failed_refreshes::int,
            p.avg_duration_ms::float8 AS avg_duration_ms, s.last_refresh_at::text, COALESCE(p.stale, false) AS stale,
            s.last_error_message, s.effective_refresh_mode,
            COALESCE(pl.plan_kind || CASE WHEN pl.compile_error IS NOT NULL THEN ' (compile error: ' || pl.compile_error || ')' ELSE '' END, 'none') AS plan
       FROM pgtrickle.pgt_stream_tables s
       JOIN pgtrickle.pg_stat_stream_tables p ON p.pgt_id = s.pgt_id
       LEFT JOIN pgtrickle.pgt_coord_plans pl ON pl.pgt_id = s.pgt_id
      WHERE s.pgt_id = (pgtrickle._find_stream_table($1)).pgt_id`,
    [name],
  ));
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
  const { rows } = await apiCall(client, () => client.query<HistoryRow>(
    `SELECT h.refresh_id::int, h.start_time::text, h.action, h.status, h.initiated_by,
            h.rows_inserted::int, h.rows_deleted::int, h.delta_row_count::int,
            round((extract(epoch FROM h.end_time - h.start_time) * 1000)::numeric, 3)::float8 AS duration_ms,
            h.error_message
       FROM pgtrickle.pgt_refresh_history h
      WHERE h.pgt_id = (pgtrickle._find_stream_table($1)).pgt_id
      ORDER BY h.refresh_id DESC LIMIT $2`,
    [name, limit],
  ));
  return rows;
}

/** `pgtrickle.explain_st(name)`: the stored plan as (property, value) pairs. */
export async function explainStreamTable(client: pg.ClientBase, name: string): Promise<{ property: string; value: string | null }[]> {
  const { rows } = await apiCall(client, () =>
    client.query<{ property: string; value: string | null }>('SELECT * FROM pgtrickle.explain_st($1)', [name]),
  );
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
  const { rows } = await apiCall(client, () => client.query<TreeRow>('SELECT * FROM pgtrickle.dependency_tree()'));
  return rows;
}

export interface FollowAlertsOptions {
  /** Subscribe on the cluster's NATS: every database's alerts. Without it, LISTEN pg_trickle_alert on `connectionString`. */
  natsUrl?: string;
  /** The cluster's NATS namespace. */
  namespace?: string;
  /** With NATS: only this database's alerts. */
  database?: string;
  /** With NATS: the kept alert history first. */
  replay?: boolean;
  /** The database to LISTEN on when there is no NATS. */
  connectionString?: string;
}

export interface AlertFollower {
  readonly source: 'nats' | 'listen';
  /** Where alerts come from: `NATS <url>` or the database name. */
  readonly from: string;
  /** Resolves when following ends: stop() was called, or the LISTEN connection closed. */
  readonly ended: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Calls `onAlert` for every alert as it happens: from the cluster's NATS when
 * `natsUrl` is given, else from LISTEN pg_trickle_alert on one database (the
 * payload plus `at` and `database`, the shape the bus delivers).
 */
export async function followAlerts(options: FollowAlertsOptions, onAlert: (alert: Alert) => void): Promise<AlertFollower> {
  if (options.natsUrl) {
    const bus = await createBus({ kind: 'nats', url: options.natsUrl, namespace: options.namespace, name: 'pgtrickle-alerts' }).catch((raw) => {
      throw new ConnectionFailedError(raw);
    });
    const sub = await bus.subscribeAlerts({ database: options.database }, onAlert, { replay: options.replay ? 'all' : 'new' });
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    return {
      source: 'nats',
      from: `NATS ${options.natsUrl}`,
      ended,
      async stop() {
        await sub.close();
        await bus.close();
        end();
      },
    };
  }
  if (!options.connectionString) throw new TypeError('followAlerts needs natsUrl or connectionString');
  const client = await openConnection(options.connectionString, 'pgtrickle alerts');
  const database = client.database ?? '';
  client.on('notification', (msg) => {
    if (!msg.payload) return;
    let payload: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(msg.payload);
      payload = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { message: msg.payload };
    } catch {
      payload = { message: msg.payload }; // a hand-written NOTIFY: not JSON, kept as the message
    }
    onAlert({ at: new Date().toISOString(), database, ...payload } as Alert);
  });
  const ended = new Promise<void>((resolve) => client.once('end', resolve));
  await apiCall(client, () => client.query('LISTEN pg_trickle_alert'));
  return {
    source: 'listen',
    from: database,
    ended,
    async stop() {
      await client.end().catch(() => {});
    },
  };
}

export interface ClusterNode {
  node: string;
  host: string | null;
  pid: number | null;
  /** ISO 8601 */
  started: string | null;
  /** ISO 8601 */
  last_heartbeat: string;
  /** the databases this node schedules (holds the lease of), sorted */
  databases: string[];
}

/** The live coordinator nodes of a cluster and the databases each schedules. */
export async function listClusterNodes(options: { natsUrl: string; namespace?: string }): Promise<ClusterNode[]> {
  const bus = await createBus({ kind: 'nats', url: options.natsUrl, namespace: options.namespace, name: 'pgtrickle-cli' }).catch((raw) => {
    throw new ConnectionFailedError(raw);
  });
  try {
    const [nodes, leases] = await Promise.all([bus.nodes.list(), bus.leases.list()]);
    return nodes.map((n) => ({
      node: n.nodeId,
      host: n.info.host ?? null,
      pid: n.info.pid ?? null,
      started: n.info.startedAt ? new Date(n.info.startedAt).toISOString() : null,
      last_heartbeat: new Date(n.at).toISOString(),
      databases: leases.filter((l) => l.owner === n.nodeId).map((l) => l.key).sort(),
    }));
  } finally {
    await bus.close();
  }
}
