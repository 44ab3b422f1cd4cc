/**
 * The coordinator (`pgtrickle start`): owns one DatabaseSession per managed
 * database. With no databases configured it starts the embedded PostgreSQL 18
 * (DESIGN D12) and manages one database in it.
 */
import pg from 'pg';
import type { Config } from '../config.ts';
import { startEmbeddedPostgres, type EmbeddedServer } from '../embedded.ts';
import { withDatabase } from '../db-url.ts';
import { ident } from '../sql/ident.ts';
import { describeError, PgTrickleError, ErrorCode } from '../errors.ts';

export { withDatabase };
import type { Logger } from '../log.ts';
import os from 'node:os';
import { createBus, type Bus } from '../bus/index.ts';
import { CompilerPools } from '../compile/pools.ts';
import { ClusterMember, databaseKey } from './cluster.ts';
import { DatabaseSession, type RefreshOutcome } from './database-session.ts';
import { CoordinatorMetrics, serveOperations } from './metrics.ts';

export interface RunningCoordinator {
  sessions: DatabaseSession[];
  embedded: EmbeddedServer | null;
  /** URLs of the managed databases (the embedded one included). */
  databaseUrls: string[];
  metrics: CoordinatorMetrics;
  bus: Bus;
  cluster: ClusterMember;
  nodeId: string;
  /** port of /metrics and /healthz, when served */
  operationsPort: number | null;
  stop(): Promise<void>;
}

/** Creates `database` on the server of `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${ident(database)}`);
  } finally {
    await client.end();
  }
}

/**
 * Databases on a server that have the pgtrickle catalog installed: every
 * connectable non-template database is probed for pgtrickle.pgt_stream_tables.
 */
export async function discoverDatabases(serverUrl: string): Promise<string[]> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  let names: string[];
  try {
    names = (await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname',
    )).rows.map((r) => r.datname);
  } finally {
    await admin.end();
  }
  const found: string[] = [];
  for (const name of names) {
    const url = withDatabase(serverUrl, name);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      const { rows } = await client.query<{ present: boolean }>("SELECT to_regclass('pgtrickle.pgt_stream_tables') IS NOT NULL AS present");
      if (rows[0]?.present) found.push(url);
    } catch {
      // not connectable with these credentials: not ours to manage
    } finally {
      await client.end().catch(() => {});
    }
  }
  return found;
}

/** Starts (or reuses) the embedded server and returns the URL of its managed database. */
export async function startEmbeddedDatabase(config: Config, log: Logger): Promise<{ server: EmbeddedServer; url: string }> {
  log.info({ dataDir: config.embedded.dataDir, port: config.embedded.port }, 'starting embedded PostgreSQL 18');
  const server = await startEmbeddedPostgres({
    dataDir: config.embedded.dataDir,
    port: config.embedded.port || undefined,
    onLog: (line) => log.debug({ postgres: line.trim() }, 'embedded postgres'),
  });
  await ensureDatabase(server.adminUrl, config.embedded.database);
  return { server, url: withDatabase(server.adminUrl, config.embedded.database) };
}

/** The managed databases: configured URLs, plus discovered ones. */
export async function resolveDatabases(config: Config): Promise<string[]> {
  const urls = new Set(config.databases);
  for (const server of config.discover) for (const url of await discoverDatabases(server)) urls.add(url);
  return [...urls];
}

export async function startCoordinator(
  config: Config,
  log: Logger,
  onRefresh?: (outcome: RefreshOutcome) => void,
): Promise<RunningCoordinator> {
  let embedded: EmbeddedServer | null = null;
  let urls = await resolveDatabases(config);
  if (urls.length === 0) {
    if (config.discover.length > 0) {
      throw new PgTrickleError(ErrorCode.Config, `no database with the pgtrickle catalog found on ${config.discover.join(', ')}; list databases with --database`);
    }
    const started = await startEmbeddedDatabase(config, log);
    embedded = started.server;
    urls = [started.url];
  }
  const metrics = new CoordinatorMetrics();
  const nodeId = config.cluster.nodeId ?? `${os.hostname()}-${process.pid}`;
  const busOptions = {
    leases: { ttlMs: config.cluster.leaseTtlMs },
    nodes: { ttlMs: config.cluster.leaseTtlMs },
    jobs: { ackWaitMs: config.cluster.jobAckWaitMs, maxDeliver: config.cluster.jobMaxDeliver },
  };
  // The in-process bus by default (a cluster of one); NATS when configured (D8, D12).
  const bus = config.nats.url
    ? await createBus({ kind: 'nats', url: config.nats.url, name: nodeId, namespace: config.nats.namespace, ...busOptions }, { logger: log })
    : await createBus({ kind: 'local', ...busOptions }, { logger: log });
  bus.onStatus((status) => log.info({ node: nodeId, bus: bus.kind, status: status.type }, 'bus status'));
  const compilers = new CompilerPools({ pools: config.compilePools, threadsPerPool: config.compileThreads });
  let member: ClusterMember | null = null;
  const sessions = urls.map(
    (url) =>
      new DatabaseSession({
        url,
        settings: config.pg_trickle,
        log,
        metrics,
        onRefresh,
        nodeId,
        ...compilers.forDatabaseUrl(url),
        dispatch: (session, work) => member!.dispatch(session, work),
        onAlert: (database, alert) => {
          const { event, ...payload } = alert;
          bus.publishAlert(database, String(event), payload).catch((raw) =>
            log.warn({ database, event, err: describeError(raw) }, 'could not publish an alert on the bus'));
        },
      }),
  );
  const results = await Promise.allSettled(sessions.map((s) => s.start({ schedule: false })));
  const failures = results
    .map((r, i) => (r.status === 'rejected' ? `${sessions[i]!.databaseName}: ${describeError(r.reason)}` : null))
    .filter(Boolean);
  const live = sessions.filter((_, i) => results[i]!.status === 'fulfilled');
  const cleanup = async (): Promise<void> => {
    await member?.stop().catch(() => {});
    await Promise.allSettled(sessions.map((s) => s.stop()));
    await bus.close().catch(() => {});
    await compilers.close();
    await embedded?.stop();
  };
  if (live.length === 0) {
    await cleanup();
    throw new PgTrickleError(ErrorCode.Connection, `could not start any database session: ${failures.join('; ')}`);
  }
  for (const failure of failures) log.error({ failure }, 'database session failed to start');
  member = new ClusterMember({
    bus,
    nodeId,
    sessions: new Map(live.map((s) => [databaseKey(s.url), s])),
    log,
    metrics,
    concurrency: config.cluster.jobConcurrency,
  });
  const cluster = member;
  await cluster.start();
  const pollPools = setInterval(() => compilers.reportUtilization(metrics), 5000);
  pollPools.unref();
  const operations =
    config.metricsPort === null
      ? null
      : await serveOperations(
          config.metricsPort,
          metrics,
          () => ({
            healthy: live.every((s) => s.state === 'running' || s.state === 'standby'),
            node: nodeId,
            bus: bus.kind,
            owned: cluster.ownedDatabases,
            databases: Object.fromEntries(live.map((s) => [s.databaseName, s.state])),
          }),
          log,
        ).catch(async (raw) => {
          await cleanup();
          throw raw;
        });
  return {
    sessions: live,
    embedded,
    databaseUrls: urls,
    metrics,
    bus,
    cluster,
    nodeId,
    operationsPort: operations?.port ?? null,
    stop: async () => {
      clearInterval(pollPools);
      await operations?.close();
      await cleanup();
    },
  };
}
