/**
 * One managed database (DESIGN D10): a connection pool for refreshes, a LISTEN
 * connection for catalog changes, and the scheduler state of its stream tables.
 *
 * States: starting → running ⇄ reconnecting → stopping → stopped.
 * Every transition goes through `transition()`, which logs it.
 *
 * The scheduler only decides *when*; the refresh itself is always
 * `pgtrickle._refresh(pgt_id, 'SCHEDULER')` in the database, the same executor
 * that `refresh_stream_table()` runs (DESIGN D3). Each refresh is its own
 * transaction, so one slow stream table never holds back another's commit.
 */
import pg from 'pg';
import type { PgTrickleSettings } from '../config.ts';
import { CATALOG_CHANGED_OP, catalogMismatch, installCatalog } from '../catalog/install.ts';
import { compilePendingPlans } from '../compile/plans.ts';
import type { CompilerPool } from '../compile/pool.ts';
import { databaseNameOf } from '../db-url.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { isDue, parseSchedule } from '../schedule.ts';
import { atomicGroups, topologicalWaves, type DagNode } from './dag.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import { NodeHeartbeat, type RunningJob } from './node-heartbeat.ts';

export type SessionState = 'starting' | 'standby' | 'running' | 'reconnecting' | 'stopping' | 'stopped';

export interface RefreshOutcome {
  database: string;
  pgtId: number;
  name: string;
  action: string;
  durationMs: number;
  error?: string;
}

/**
 * A unit of refresh work: one stream table, or a diamond's atomic group
 * (upstream first; the last id is the convergence point) refreshed in one
 * REPEATABLE READ transaction.
 */
export interface RefreshWork {
  pgtIds: number[];
  name: string;
  /**
   * When the stream table became due (epoch ms; duration schedules only): the
   * node that runs the refresh observes the scheduling lag from it when the
   * refresh starts, so a cluster's queue wait is part of the lag.
   */
  dueAt?: number;
  /**
   * A refresh group's (sql/code/24_refresh_groups.sql): its members in
   * dependency order, refreshed in one transaction at this isolation level.
   */
  isolation?: 'read_committed' | 'repeatable_read';
  group?: string;
}

interface RefreshGroupRow {
  group_name: string;
  isolation: 'read_committed' | 'repeatable_read';
  pgt_ids: string[];
}

/** pgt_id → the work of its refresh group (members upstream first). */
function refreshGroupWork(nodes: (DagNode & { name: string })[], groups: RefreshGroupRow[]): Map<string, RefreshWork> {
  const byId = new Map(nodes.map((n) => [n.pgt_id, n]));
  const result = new Map<string, RefreshWork>();
  for (const g of groups) {
    const members = g.pgt_ids.map((id) => byId.get(id)).filter((n): n is DagNode & { name: string } => n !== undefined);
    if (members.length === 0) continue;
    const ordered = topologicalWaves(members).flat();
    const work: RefreshWork = {
      pgtIds: ordered.map((n) => Number(n.pgt_id)), name: g.group_name, isolation: g.isolation, group: g.group_name,
    };
    for (const n of ordered) result.set(n.pgt_id, work);
  }
  return result;
}

export interface SessionOptions {
  url: string;
  settings: PgTrickleSettings;
  log: Logger;
  compiler: CompilerPool | null;
  metrics?: CoordinatorMetrics;
  /**
   * Where due refreshes go. Default: run here. In a cluster the owner of the
   * database publishes them as jobs that any node's `execute()` runs.
   */
  dispatch?: (session: DatabaseSession, work: RefreshWork) => Promise<'done' | 'queued'>;
  onRefresh?: (outcome: RefreshOutcome) => void;
  /** Every pg_trickle_alert NOTIFY of this database, while it is scheduled here. */
  onAlert?: (database: string, alert: Record<string, unknown>) => void;
  /** This coordinator node's id; its heartbeat row in pgt_coord_nodes (node-heartbeat.ts). */
  nodeId?: string;
}

interface CatalogRow extends DagNode {
  name: string;
  schedule: string | null;
  last_refresh_at: Date | null;
  refresh_tier: string;
  is_populated: boolean;
  consecutive_errors: number;
  pending: boolean;
  status: string;
  refresh_mode: string;
  staleness: number | null;
}

/** application_name of the scheduler session; quick_health() looks for it. */
export const SCHEDULER_APPLICATION_NAME = 'pg_trickle scheduler';

const SETTING_NAMES = ['enabled', 'scheduler_interval_ms', 'max_concurrent_refreshes', 'tiered_scheduling'] as const;

/** The DagNode fields of a stream table row `s` (see dag.ts). */
const DAG_NODE_COLUMNS = `ARRAY(SELECT u.pgt_id::text FROM pgtrickle.pgt_dependencies d
                     JOIN pgtrickle.pgt_stream_tables u ON u.pgt_relid = d.source_relid
                    WHERE d.pgt_id = s.pgt_id) AS upstream,
             s.pgt_relid::text AS relid,
             ARRAY(SELECT d.source_relid::text FROM pgtrickle.pgt_dependencies d WHERE d.pgt_id = s.pgt_id) AS sources,
             s.diamond_consistency`;

/** A dispatched job counts as in flight this long unless the table refreshes first. */
const DISPATCH_TIMEOUT_MS = 60_000;

/** When a duration-scheduled stream table became due (epoch ms), or undefined. */
function dueAt(row: CatalogRow): number | undefined {
  if (!row.last_refresh_at) return undefined;
  try {
    const schedule = parseSchedule(row.schedule);
    return schedule.kind === 'duration' ? row.last_refresh_at.getTime() + schedule.seconds * 1000 : undefined;
  } catch {
    return undefined; // unreadable schedules are reported by isRowDue
  }
}

export class DatabaseSession {
  state: SessionState = 'starting';
  readonly url: string;
  readonly databaseName: string;
  private readonly pool: pg.Pool;
  private readonly log: Logger;
  private readonly compiler: CompilerPool | null;
  private readonly metrics: CoordinatorMetrics | undefined;
  private readonly dispatchWork: (session: DatabaseSession, work: RefreshWork) => Promise<'done' | 'queued'>;
  private readonly onRefresh: (outcome: RefreshOutcome) => void;
  private readonly onAlert: (database: string, alert: Record<string, unknown>) => void;
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = new Map<number, Promise<void>>();
  /** jobs handed to dispatch and not yet seen refreshed: pgt_id → dispatch time */
  private dispatched = new Map<string, number>();
  private tickInFlight: Promise<void> | null = null;
  private settings: PgTrickleSettings;
  private reconnectAttempt = 0;
  private readonly heartbeat: NodeHeartbeat;
  /** refresh jobs running here, by job id, for the heartbeat */
  private readonly jobs = new Map<number, RunningJob>();
  private jobSeq = 0;
  private diffRefreshes = 0;

  constructor(options: SessionOptions) {
    this.url = options.url;
    this.log = options.log;
    this.compiler = options.compiler;
    this.metrics = options.metrics;
    this.dispatchWork = options.dispatch ?? ((session, work) => session.execute(work).then(() => 'done' as const));
    this.onRefresh = options.onRefresh ?? (() => {});
    this.onAlert = options.onAlert ?? (() => {});
    this.databaseName = databaseNameOf(options.url);
    this.settings = { ...options.settings };
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.settings.max_concurrent_refreshes + 1,
      // In a cluster every node may run jobs for every database: give idle
      // connections back quickly instead of holding nodes × databases × pool.
      idleTimeoutMillis: 2_000,
      application_name: 'pgtrickle refresh',
    });
    this.pool.on('error', (err) => this.log.warn({ db: this.databaseName, err: err.message }, 'idle refresh connection failed'));
    this.heartbeat = new NodeHeartbeat({
      pool: this.pool, nodeId: options.nodeId ?? `pid-${process.pid}`, database: this.databaseName, log: this.log,
      snapshot: () => ({
        scheduling: this.scheduling,
        maxWorkers: this.settings.max_concurrent_refreshes,
        compilePools: this.compiler ? [{ pool: 0, utilization: this.compiler.utilization }] : [],
        runningJobs: [...this.jobs.values()],
        counters: { diff_refreshes: this.diffRefreshes, dedup_needed: 0 },
      }),
    });
  }

  /**
   * A pooled connection for a multi-statement piece of work. While checked out
   * a client has no pool error listener: a server-side termination between two
   * statements would otherwise be an unhandled 'error' event; the statement in
   * flight fails (and is reported) anyway.
   */
  private async checkout(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    if (client.listenerCount('error') === 0) {
      client.on('error', (err) => this.log.warn({ db: this.databaseName, err: err.message }, 'refresh connection lost'));
    }
    return client;
  }

  get scheduling(): boolean {
    return this.state === 'running' || this.state === 'reconnecting';
  }

  private transition(next: SessionState, detail?: Record<string, unknown>): void {
    if (next === this.state) return;
    this.log.info({ db: this.databaseName, from: this.state, to: next, ...detail }, 'database session state');
    this.state = next;
    if (next === 'standby' || next === 'running') void this.heartbeat.beat(); // lease gained or lost: publish now
  }

  /**
   * Connects, installs or upgrades the catalog, reads per-database settings.
   * `schedule: false` leaves the session in standby: it executes jobs but does
   * not schedule (another node holds the database's lease).
   */
  async start(options: { schedule?: boolean } = {}): Promise<void> {
    const client = await this.checkout();
    try {
      const result = await installCatalog(client);
      if (result.status !== 'current') this.log.info({ db: this.databaseName, ...result }, `catalog ${result.status}`);
      await this.readSettings(client);
    } finally {
      client.release();
    }
    this.transition('standby');
    this.heartbeat.start();
    if (options.schedule ?? true) await this.startScheduling();
  }

  /** Becomes this database's scheduler: LISTEN for catalog changes and alerts, tick. */
  async startScheduling(): Promise<void> {
    if (this.state !== 'standby') return;
    await this.connectListener();
    this.transition('running');
    this.scheduleTick(0);
  }

  /** Hands scheduling back (lease lost or released); in-flight work finishes. */
  async stopScheduling(): Promise<void> {
    if (!this.scheduling) return;
    this.transition('standby');
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.tickInFlight;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
    this.dispatched.clear();
  }

  /** Per-database overrides: ALTER DATABASE … SET pg_trickle.x = … */
  private async readSettings(client: pg.PoolClient): Promise<void> {
    for (const name of SETTING_NAMES) {
      const { rows } = await client.query<{ v: string | null }>('SELECT current_setting($1, true) AS v', [`pg_trickle.${name}`]);
      const raw = rows[0]?.v;
      if (raw == null || raw === '') continue;
      if (name === 'enabled' || name === 'tiered_scheduling') {
        this.settings[name] = ['on', 'true', '1', 'yes'].includes(raw.toLowerCase());
      } else if (/^\d+$/.test(raw)) {
        this.settings[name] = Number(raw);
      }
    }
  }

  private async connectListener(): Promise<void> {
    const listener = new pg.Client({ connectionString: this.url, application_name: SCHEDULER_APPLICATION_NAME });
    listener.on('notification', (msg) => {
      if (msg.channel === 'pgtrickle_coordinator') {
        if (msg.payload?.includes(CATALOG_CHANGED_OP)) void this.checkCatalog();
        this.scheduleTick(0);
      }
      // gate_source/ungate_source and advance_watermark (sql/code/23_gates_watermarks.sql):
      // re-evaluate now, and tell the bus.
      if (msg.channel === 'pgtrickle_source_gate' || msg.channel === 'pgtrickle_watermark') {
        this.scheduleTick(0);
        const oid = (msg.payload ?? '').replace(/^wm:/, '');
        this.onAlert(this.databaseName, { event: msg.channel === 'pgtrickle_source_gate' ? 'source_gate' : 'watermark', source_oid: Number(oid) });
      }
      if (msg.channel === 'pg_trickle_alert' && msg.payload) {
        try {
          this.onAlert(this.databaseName, JSON.parse(msg.payload) as Record<string, unknown>);
        } catch {
          this.log.warn({ db: this.databaseName, payload: msg.payload }, 'unreadable alert payload');
        }
      }
    });
    listener.on('error', (err) => this.onListenerLost(err, listener));
    listener.on('end', () => this.onListenerLost(new Error('connection ended'), listener));
    await listener.connect();
    await listener.query('LISTEN pgtrickle_coordinator; LISTEN pg_trickle_alert; LISTEN pgtrickle_source_gate; LISTEN pgtrickle_watermark');
    this.listener = listener;
    this.reconnectAttempt = 0;
  }

  /**
   * Another coordinator installed its catalog here. One from a newer release
   * means this node's code is older than the database's: it stops managing
   * the database (an error in the log) rather than run old code against the
   * new catalog; a node of the new release takes it over (docs/ARCHITECTURE.md).
   */
  private async checkCatalog(): Promise<void> {
    const client = await this.checkout().catch(() => null);
    if (!client) return;
    let reason: string | null;
    try {
      reason = await catalogMismatch(client);
    } finally {
      client.release();
    }
    if (reason === null || this.state === 'stopping' || this.state === 'stopped') return;
    this.log.error({ db: this.databaseName, reason }, 'catalog upgraded by a newer pgtrickle: this node stops managing the database');
    await this.stop();
  }

  private onListenerLost(err: Error, lost: pg.Client): void {
    if (this.state !== 'running' || this.listener !== lost) return;
    this.transition('reconnecting', { err: err.message });
    this.listener = null;
    const retry = async (): Promise<void> => {
      if (this.state !== 'reconnecting') return;
      try {
        await this.connectListener();
        this.transition('running');
        this.scheduleTick(0);
      } catch (raw) {
        const delay = Math.min(30_000, 500 * 2 ** this.reconnectAttempt++);
        this.log.warn({ db: this.databaseName, err: describeError(raw), retryInMs: delay }, 'reconnect failed');
        setTimeout(() => void retry(), delay).unref();
      }
    };
    setTimeout(() => void retry(), 500).unref();
  }

  private scheduleTick(delayMs: number): void {
    if (!this.scheduling) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.tickInFlight) {
        this.scheduleTick(50);
        return;
      }
      this.tickInFlight = this.tick()
        .catch((raw) => this.log.warn({ db: this.databaseName, err: describeError(raw) }, 'scheduler tick failed'))
        .finally(() => {
          this.tickInFlight = null;
          this.scheduleTick(this.settings.scheduler_interval_ms);
        });
    }, delayMs);
  }

  /**
   * Compiles DIFFERENTIAL plans that are missing or were made by another
   * compiler version (DESIGN D2). Each install is its own short transaction.
   */
  private async compilePendingPlans(): Promise<void> {
    if (!this.compiler) return;
    const client = await this.checkout();
    try {
      await compilePendingPlans(client, this.compiler, (pgtId, result) => {
        if (result instanceof Error) {
          this.log.error({ db: this.databaseName, pgtId, err: describeError(result) }, 'compiling a plan failed');
        } else {
          const level = result.status === 'installed' || result.status === 'stale' ? 'info' : 'warn';
          this.log[level]({ db: this.databaseName, pgtId, result: result.status, ...('message' in result ? { message: result.message } : {}) }, 'plan compiled');
        }
      });
    } finally {
      client.release();
    }
  }

  /** One scheduler pass: compile missing plans, then dispatch due stream tables, upstream first. */
  private async tick(): Promise<void> {
    if (this.state !== 'running') return;
    await this.compilePendingPlans();
    const { rows: all } = await this.pool.query<CatalogRow>(`
      SELECT s.pgt_id, pgtrickle._qualified(s) AS name, s.schedule, s.last_refresh_at,
             s.refresh_tier, s.is_populated, s.consecutive_errors, s.status, s.refresh_mode,
             extract(epoch FROM now() - s.data_timestamp)::float8 AS staleness,
             CASE WHEN s.schedule IS NULL AND s.is_populated AND s.status IN ('ACTIVE', 'INITIALIZING')
                  THEN pgtrickle._scheduler_pending(s.pgt_id) ELSE false END AS pending,
             ${DAG_NODE_COLUMNS}
        FROM pgtrickle.pgt_stream_tables s
       ORDER BY s.pgt_id`);
    this.metrics?.recordReadings(
      this.databaseName,
      all.map((r) => ({ database: this.databaseName, name: r.name, stalenessSeconds: r.staleness, consecutiveErrors: r.consecutive_errors, status: r.status })),
    );
    await this.pool.query('SELECT pgtrickle._periodic_alerts()').catch((raw) =>
      this.log.warn({ db: this.databaseName, err: describeError(raw) }, 'periodic alert check failed'));
    if (!this.settings.enabled) return;
    for (const row of all) {
      const since = this.dispatched.get(row.pgt_id);
      if (since !== undefined && ((row.last_refresh_at?.getTime() ?? 0) >= since || Date.now() - since > DISPATCH_TIMEOUT_MS)) {
        this.dispatched.delete(row.pgt_id);
      }
    }
    const rows = all.filter((r) => (r.status === 'ACTIVE' || r.status === 'INITIALIZING') && r.refresh_mode !== 'IMMEDIATE');
    // Waves over every candidate, upstream first. A 'calculated' stream table is
    // judged just before its wave runs, so a change flows down a whole chain in
    // one tick instead of one level per tick.
    const groups = atomicGroups(rows);
    const refreshGroups = refreshGroupWork(all, await this.refreshGroupRows());
    const dispatchedThisTick = new Set<string>();
    for (const [index, wave] of topologicalWaves(rows).entries()) {
      if (index > 0) await this.refreshPendingFlags(wave);
      const now = new Date();
      const due = wave.filter((row) => {
        if (!this.isRowDue(row, now) || this.dispatched.has(row.pgt_id)) return false;
        // Work that runs elsewhere cannot be awaited: a consumer of something
        // dispatched this tick waits for the next tick, after its upstream ran.
        return !row.upstream.some((u) => dispatchedThisTick.has(u) && this.dispatched.has(u));
      });
      await runLimited(due, this.settings.max_concurrent_refreshes, async (row) => {
        // A refresh group's member brings the whole group, once.
        const groupWork = refreshGroups.get(row.pgt_id);
        const members = groupWork ? groupWork.pgtIds.map(String) : [row.pgt_id];
        if (groupWork && members.some((id) => this.dispatched.has(id) || dispatchedThisTick.has(id))) return;
        const work: RefreshWork = groupWork
          ? { ...groupWork, dueAt: dueAt(row) }
          : { pgtIds: (groups.get(row.pgt_id) ?? [row.pgt_id]).map(Number), name: row.name, dueAt: dueAt(row) };
        for (const id of members) {
          this.dispatched.set(id, Date.now());
          dispatchedThisTick.add(id);
        }
        try {
          if ((await this.dispatchWork(this, work)) === 'done') for (const id of members) this.dispatched.delete(id);
        } catch (raw) {
          for (const id of members) this.dispatched.delete(id);
          this.log.warn({ db: this.databaseName, st: row.name, err: describeError(raw) }, 'dispatching a refresh failed');
        }
      });
    }
  }

  private async refreshGroupRows(): Promise<RefreshGroupRow[]> {
    const { rows } = await this.pool.query<RefreshGroupRow>('SELECT * FROM pgtrickle._refresh_group_work()');
    return rows;
  }

  private async refreshPendingFlags(wave: CatalogRow[]): Promise<void> {
    const calculated = wave.filter((r) => r.schedule === null && r.is_populated).map((r) => r.pgt_id);
    if (calculated.length === 0) return;
    const { rows } = await this.pool.query<{ pgt_id: string; pending: boolean }>(
      'SELECT id::text AS pgt_id, pgtrickle._scheduler_pending(id) AS pending FROM unnest($1::bigint[]) AS id',
      [calculated],
    );
    const pending = new Map(rows.map((r) => [r.pgt_id, r.pending]));
    for (const row of wave) if (pending.has(row.pgt_id)) row.pending = pending.get(row.pgt_id)!;
  }

  private isRowDue(row: CatalogRow, now: Date): boolean {
    try {
      return isDue(
        {
          schedule: parseSchedule(row.schedule),
          lastRefreshAt: row.last_refresh_at,
          tier: row.refresh_tier,
          isPopulated: row.is_populated,
          consecutiveErrors: row.consecutive_errors,
          hasPendingChanges: row.pending,
          tieredScheduling: this.settings.tiered_scheduling,
        },
        now,
      );
    } catch (raw) {
      // Only a schedule written around the API gets here (the API accepts a
      // subset of what the scheduler reads): put that table in ERROR, say why, go on.
      const message = `the scheduler cannot read schedule ${JSON.stringify(row.schedule)}: ${describeError(raw)}`;
      this.log.warn({ db: this.databaseName, st: row.name, err: message }, 'unreadable schedule');
      void this.markFailed(Number(row.pgt_id), message).catch((err) =>
        this.log.warn({ db: this.databaseName, st: row.name, err: describeError(err) }, 'recording an unreadable schedule failed'));
      return false;
    }
  }

  /** The work for one stream table: itself, or its diamond group when it is a convergence point. */
  async workFor(pgtId: number): Promise<RefreshWork | null> {
    const { rows } = await this.pool.query<DagNode & { name: string }>(`
      SELECT s.pgt_id::text, pgtrickle._qualified(s) AS name, ${DAG_NODE_COLUMNS}
        FROM pgtrickle.pgt_stream_tables s`);
    const me = rows.find((r) => r.pgt_id === String(pgtId));
    if (!me) return null;
    const refreshGroup = refreshGroupWork(rows, await this.refreshGroupRows()).get(me.pgt_id);
    if (refreshGroup) return refreshGroup;
    const group = atomicGroups(rows).get(me.pgt_id);
    return { pgtIds: (group ?? [me.pgt_id]).map(Number), name: me.name };
  }

  /** A refresh that could not run anywhere: ERROR with the reason, and an alert. */
  async markFailed(pgtId: number, message: string): Promise<void> {
    await this.pool.query(
      `SELECT pgtrickle._alert('error_state', pgtrickle._transition(s.pgt_id, 'fail', jsonb_build_object('message', $2::text)),
                               '{}'::jsonb)
         FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = $1`,
      [pgtId, message],
    );
  }

  /**
   * An alert raised by the coordinator, sent like the database's own: NOTIFY
   * pg_trickle_alert (delivered on commit), which the scheduling node's
   * listener also republishes on the bus — one path, one payload shape.
   */
  async notifyAlert(alert: Record<string, unknown>): Promise<void> {
    await this.pool.query(`SELECT pg_notify('pg_trickle_alert', $1)`, [JSON.stringify(alert)]);
  }

  /**
   * Runs one unit of refresh work here, through the one executor (D3). A
   * group runs in one REPEATABLE READ transaction: one snapshot, so a
   * diamond's consumer never joins a newer branch with an older one (dag.ts).
   * Running the same work twice is harmless: the second finds nothing new.
   * Rejects only when the database could not be reached (retry elsewhere);
   * refresh failures are recorded by the executor and reported as FAILED.
   */
  async execute(work: RefreshWork): Promise<RefreshOutcome> {
    const last = work.pgtIds[work.pgtIds.length - 1]!;
    const busy = this.running.get(last);
    if (busy) await busy.catch(() => {});
    const started = performance.now();
    let outcome: RefreshOutcome;
    const task = (async () => {
      const client = await this.checkout();
      if (work.dueAt !== undefined) this.metrics?.recordSchedulingLag(this.databaseName, Date.now() - work.dueAt);
      const jobId = ++this.jobSeq;
      // A refresh group at its own isolation; a diamond's group REPEATABLE READ.
      const isolation = work.isolation ?? (work.pgtIds.length > 1 ? 'repeatable_read' : undefined);
      this.jobs.set(jobId, {
        job_id: jobId,
        unit_key: `${work.group ? 'rg' : work.pgtIds.length > 1 ? 'a' : 's'}:${work.pgtIds.join(',')}`,
        unit_kind: work.group ? 'repeatable_read_group' : work.pgtIds.length > 1 ? 'atomic_group' : 'singleton',
        member_count: work.pgtIds.length, attempt_no: 1,
        worker_pid: (client as unknown as { processID?: number }).processID ?? null, started_at: new Date().toISOString(),
      });
      try {
        let action = 'UNKNOWN';
        if (isolation) await client.query(`BEGIN ISOLATION LEVEL ${isolation === 'repeatable_read' ? 'REPEATABLE READ' : 'READ COMMITTED'}`);
        try {
          for (const id of work.pgtIds) {
            const { rows } = await client.query<{ action: string }>("SELECT pgtrickle._refresh($1, 'SCHEDULER') AS action", [id]);
            action = rows[0]?.action ?? action;
          }
          if (isolation) await client.query('COMMIT');
        } catch (raw) {
          if (isolation) await client.query('ROLLBACK').catch(() => {});
          throw raw;
        }
        outcome = { database: this.databaseName, pgtId: last, name: work.name, action, durationMs: performance.now() - started };
        if (action === 'DIFFERENTIAL') this.diffRefreshes++;
      } finally {
        this.jobs.delete(jobId);
        client.release();
      }
    })();
    this.running.set(last, task);
    try {
      await task;
    } catch (raw) {
      outcome = {
        database: this.databaseName, pgtId: last, name: work.name, action: 'FAILED',
        durationMs: performance.now() - started, error: describeError(raw),
      };
      this.log.warn({ ...outcome, group: work.pgtIds }, 'refresh failed');
      this.finish(outcome);
      throw raw;
    } finally {
      if (this.running.get(last) === task) this.running.delete(last);
    }
    this.finish(outcome!);
    return outcome!;
  }

  private finish(outcome: RefreshOutcome): void {
    if (outcome.action !== 'NO_DATA' && outcome.action !== 'SKIPPED' && outcome.action !== 'FAILED') this.log.info(outcome, 'refreshed');
    this.metrics?.recordRefresh(outcome.database, outcome.name, outcome.action, outcome.durationMs);
    this.onRefresh(outcome);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    await this.stopScheduling();
    this.transition('stopping');
    await Promise.allSettled([...this.running.values()]);
    await this.heartbeat.stop();
    await this.pool.end().catch(() => {});
    this.transition('stopped');
  }
}

async function runLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
