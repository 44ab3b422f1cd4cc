/**
 * Operations endpoint: `/metrics` (Prometheus text format, prom-client) and
 * `/healthz` on a configurable port. The coordinator feeds it refresh
 * outcomes, per-tick catalog readings, compile pool use and lease ownership.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../log.ts';

export interface StreamTableReading {
  database: string;
  name: string;
  stalenessSeconds: number | null;
  consecutiveErrors: number;
  status: string;
}

export class CoordinatorMetrics {
  readonly registry = new Registry();
  private readonly refreshes = new Counter({
    name: 'pgtrickle_refreshes_total',
    help: 'Refreshes run by this node, by action (FULL, DIFFERENTIAL, NO_DATA, REINITIALIZE, SKIPPED, FAILED).',
    labelNames: ['database', 'stream_table', 'action'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'pgtrickle_refresh_duration_seconds',
    help: 'Wall time of refreshes run by this node (client side).',
    labelNames: ['database', 'action'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly schedulingLag = new Histogram({
    name: 'pgtrickle_scheduling_lag_seconds',
    help: 'Time from a stream table becoming due to its refresh starting.',
    labelNames: ['database'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly staleness = new Gauge({
    name: 'pgtrickle_stream_table_staleness_seconds',
    help: 'Seconds since the stream table was last known to equal its query (data_timestamp).',
    labelNames: ['database', 'stream_table'] as const,
    registers: [this.registry],
  });
  private readonly errors = new Gauge({
    name: 'pgtrickle_stream_table_consecutive_errors',
    help: 'Consecutive failed refreshes of the stream table.',
    labelNames: ['database', 'stream_table'] as const,
    registers: [this.registry],
  });
  private readonly inError = new Gauge({
    name: 'pgtrickle_stream_table_unhealthy',
    help: '1 when the stream table is SUSPENDED or ERROR.',
    labelNames: ['database', 'stream_table', 'status'] as const,
    registers: [this.registry],
  });
  readonly poolUtilization = new Gauge({
    name: 'pgtrickle_compile_pool_utilization',
    help: 'Share of the compile worker threads busy (piscina utilization), per pool.',
    labelNames: ['pool'] as const,
    registers: [this.registry],
  });
  readonly owned = new Gauge({
    name: 'pgtrickle_database_owned',
    help: '1 when this node holds the scheduling lease of the database.',
    labelNames: ['database', 'node'] as const,
    registers: [this.registry],
  });

  recordRefresh(database: string, streamTable: string, action: string, durationMs: number): void {
    this.refreshes.inc({ database, stream_table: streamTable, action });
    this.duration.observe({ database, action }, durationMs / 1000);
  }

  recordSchedulingLag(database: string, lagMs: number): void {
    this.schedulingLag.observe({ database }, Math.max(0, lagMs) / 1000);
  }

  /** stream tables with series, per database, so dropped ones lose theirs */
  private readonly seen = new Map<string, Map<string, string>>();

  /** Replaces the per-stream-table gauges of one database with a fresh reading. */
  recordReadings(database: string, readings: StreamTableReading[]): void {
    const previous = this.seen.get(database) ?? new Map<string, string>();
    const current = new Map(readings.map((r) => [r.name, r.status]));
    for (const [name, status] of previous) {
      if (!current.has(name)) {
        this.staleness.remove({ database, stream_table: name });
        this.errors.remove({ database, stream_table: name });
      }
      if (current.get(name) !== status) this.inError.remove({ database, stream_table: name, status });
    }
    for (const r of readings) {
      if (r.stalenessSeconds !== null) this.staleness.set({ database, stream_table: r.name }, r.stalenessSeconds);
      this.errors.set({ database, stream_table: r.name }, r.consecutiveErrors);
      if (r.status === 'ERROR' || r.status === 'SUSPENDED') this.inError.set({ database, stream_table: r.name, status: r.status }, 1);
    }
    this.seen.set(database, current);
  }
}

export interface HealthReport {
  healthy: boolean;
  [key: string]: unknown;
}

/** Serves /metrics and /healthz until closed. Port 0 picks a free port. */
export async function serveOperations(
  port: number,
  metrics: CoordinatorMetrics,
  health: () => HealthReport,
  log: Logger,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        })
        .catch((err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        });
      return;
    }
    if (path === '/healthz') {
      const report = health();
      res.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(report));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `metrics port ${port} is already in use; choose another with --metrics-port` : err.message)),
    );
    server.listen(port, '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  log.info({ port: actualPort }, 'serving /metrics and /healthz');
  return {
    server,
    port: actualPort,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
