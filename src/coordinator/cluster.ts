/**
 * A node's part in the cluster (DESIGN D8): which databases it schedules
 * (leases), which refresh jobs it runs (any), and what it tells others
 * (heartbeats, alerts). With the local bus this is a cluster of one node that
 * always wins every lease; with NATS the same code spreads databases and jobs
 * over every node sharing the NATS server.
 *
 * Lease states per database: free → owned (this node schedules it) → free
 * (released on rebalance or shutdown, or lost when a renew fails). Every
 * transition goes through `own()` / `disown()`, which log it and start or stop
 * the session's scheduler.
 *
 * Balance: with D databases and N live nodes each node aims for floor(D/N),
 * the first D mod N nodes (by id) for one more.
 * A node takes free databases up to its share, preferring those that hash
 * highest for it (rendezvous hashing: the same node keeps preferring the same
 * databases, so rebalancing moves few), and releases its least-preferred ones
 * when it holds more than its share (a node joined).
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { Bus, DeadLetter, JobDelivery, LeaseEvent, Subscription } from '../bus/index.ts';
import { databaseKey } from '../db-url.ts';
import { describeError } from '../errors.ts';

export { databaseKey };
import type { Logger } from '../log.ts';
import { PRODUCT_VERSION } from '../version.ts';
import type { DatabaseSession, RefreshWork } from './database-session.ts';
import type { CoordinatorMetrics } from './metrics.ts';

export interface ClusterOptions {
  bus: Bus;
  nodeId: string;
  /** database key (host:port/dbname) → its session on this node */
  sessions: Map<string, DatabaseSession>;
  log: Logger;
  metrics?: CoordinatorMetrics;
  /** refresh jobs this node runs at once */
  concurrency: number;
}

function preference(nodeId: string, key: string): number {
  return createHash('sha1').update(`${nodeId}\u0000${key}`).digest().readUInt32BE(0);
}

export class ClusterMember {
  private readonly owned = new Set<string>();
  /** who held a lease before it expired or was released, for the takeover alert */
  private readonly previousOwner = new Map<string, { node: string; how: 'expired' | 'released' }>();
  private jobs: Subscription | null = null;
  private leaseWatch: Subscription | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private balancing: Promise<void> | null = null;
  private rebalanceRequested = false;
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(private readonly o: ClusterOptions) {}

  get ownedDatabases(): string[] {
    return [...this.owned].sort();
  }

  /** Where a database owner's scheduler sends due work: the job queue. */
  readonly dispatch = async (session: DatabaseSession, work: RefreshWork): Promise<'queued'> => {
    const last = work.pgtIds[work.pgtIds.length - 1]!;
    await this.o.bus.publishJob({
      database: this.keyOf(session),
      pgtId: last,
      name: work.name,
      enqueuedAt: Date.now(),
      dueAt: work.dueAt,
      reason: work.group ? 'refresh_group' : work.pgtIds.length > 1 ? 'diamond' : 'schedule',
    });
    return 'queued';
  };

  async start(): Promise<void> {
    this.jobs = await this.o.bus.consumeJobs((delivery) => this.runJob(delivery), {
      concurrency: this.o.concurrency,
      deadLetter: (dead) => this.onDeadLetter(dead),
    });
    this.leaseWatch = await this.o.bus.leases.watch((event) => this.onLeaseEvent(event));
    await this.heartbeat();
    await this.balancing; // take this node's share before start() returns
    const period = Math.max(200, Math.floor(this.o.bus.leases.ttlMs / 3));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), period);
    this.heartbeatTimer.unref();
  }

  private keyOf(session: DatabaseSession): string {
    return databaseKey(session.url);
  }

  /**
   * Runs a job on this node. Duplicates and redeliveries are harmless: the
   * executor's lock and the frontier make a repeat a no-op (D3). The job is
   * acked only after the refresh committed; a refresh *failure* is recorded by
   * the executor (history, error state) and still acked — retrying it is the
   * scheduler's business, with back-off. Only an unreachable database naks.
   */
  private async runJob(delivery: JobDelivery): Promise<void> {
    const { job } = delivery;
    const session = this.o.sessions.get(job.database);
    if (!session) {
      await delivery.term(`database ${job.database} is not configured on node ${this.o.nodeId}`);
      return;
    }
    const keepAlive = setInterval(() => delivery.inProgress(), 5_000);
    try {
      const work = await session.workFor(job.pgtId);
      if (work) await session.execute({ ...work, dueAt: job.dueAt });
      await delivery.ack();
    } catch (raw) {
      this.o.log.warn({ node: this.o.nodeId, job, err: describeError(raw) }, 'refresh job failed; it will be redelivered');
      await delivery.nak(1_000);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** A job that kept failing: the stream table's error handling, not an endless loop. */
  private async onDeadLetter(dead: DeadLetter): Promise<void> {
    const session = this.o.sessions.get(dead.job.database);
    const message = `refresh job failed ${dead.deliveries} times across the cluster (${dead.reason}${dead.error ? `: ${dead.error}` : ''})`;
    this.o.log.error({ node: this.o.nodeId, job: dead.job, reason: dead.reason }, 'refresh job dead-lettered');
    await session?.markFailed(dead.job.pgtId, message).catch((raw) =>
      this.o.log.error({ err: describeError(raw) }, 'could not record a dead-lettered job'),
    );
  }

  private onLeaseEvent(event: LeaseEvent): void {
    if (this.stopped) return;
    if (event.kind === 'expired' || event.kind === 'released') {
      if (event.previousOwner && event.previousOwner !== this.o.nodeId) {
        this.previousOwner.set(event.key, { node: event.previousOwner, how: event.kind });
      }
      if (this.owned.has(event.key) && event.owner !== this.o.nodeId) void this.disown(event.key, 'lost');
      this.requestBalance();
    }
  }

  private requestBalance(): void {
    if (this.balancing) {
      this.rebalanceRequested = true;
      return;
    }
    this.balancing = this.balance()
      .catch((raw) => this.o.log.warn({ node: this.o.nodeId, err: describeError(raw) }, 'rebalancing failed'))
      .finally(() => {
        this.balancing = null;
        if (this.rebalanceRequested && !this.stopped) {
          this.rebalanceRequested = false;
          this.requestBalance();
        }
      });
  }

  /** Announces the node, renews held leases, then balances. */
  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.o.bus.nodes.heartbeat(this.o.nodeId, {
        host: os.hostname(),
        pid: process.pid,
        startedAt: this.startedAt,
        databases: this.ownedDatabases,
        version: PRODUCT_VERSION,
      });
      for (const key of [...this.owned]) {
        if (!(await this.o.bus.leases.renew(key, this.o.nodeId))) await this.disown(key, 'lost');
      }
    } catch (raw) {
      this.o.log.warn({ node: this.o.nodeId, err: describeError(raw) }, 'heartbeat failed');
      return;
    }
    this.requestBalance();
  }

  private async balance(): Promise<void> {
    if (this.stopped) return;
    const nodes = (await this.o.bus.nodes.list()).map((n) => n.nodeId).sort();
    if (!nodes.includes(this.o.nodeId)) nodes.push(this.o.nodeId);
    const keys = [...this.o.sessions.keys()];
    // floor(D/N) each, and one more for the first D mod N nodes: 10 on 3 is 4/3/3, not 4/4/2.
    const rank = nodes.sort().indexOf(this.o.nodeId);
    const share = Math.floor(keys.length / nodes.length) + (rank < keys.length % nodes.length ? 1 : 0);
    const byPreference = keys.sort((a, b) => preference(this.o.nodeId, b) - preference(this.o.nodeId, a));
    // Too many: a node joined. Give back the least-preferred first.
    for (const key of [...byPreference].reverse()) {
      if (this.owned.size <= share) break;
      if (this.owned.has(key)) await this.disown(key, 'rebalanced');
    }
    if (this.owned.size >= share) return;
    const leases = new Map((await this.o.bus.leases.list()).map((l) => [l.key, l]));
    for (const key of byPreference) {
      if (this.owned.size >= share) break;
      if (this.owned.has(key) || leases.has(key)) continue;
      if (await this.o.bus.leases.acquire(key, this.o.nodeId)) await this.own(key);
    }
  }

  private async own(key: string): Promise<void> {
    const session = this.o.sessions.get(key)!;
    this.owned.add(key);
    this.o.metrics?.owned.set({ database: session.databaseName, node: this.o.nodeId }, 1);
    this.o.log.info({ node: this.o.nodeId, database: key }, 'lease acquired: scheduling this database');
    try {
      await session.startScheduling();
      // "node lost / database re-leased": the previous owner and whether its lease
      // expired (it stopped heartbeating) or was released (rebalance, shutdown).
      const previous = this.previousOwner.get(key);
      this.previousOwner.delete(key);
      await session.notifyAlert({
        event: 'database_leased',
        node: this.o.nodeId,
        previous_node: previous?.node ?? null,
        reason: previous ? (previous.how === 'expired' ? 'previous_owner_lost' : 'previous_owner_released') : 'unowned',
      });
    } catch (raw) {
      this.o.log.warn({ node: this.o.nodeId, database: key, err: describeError(raw) }, 'could not start scheduling; releasing');
      await this.disown(key, 'failed');
    }
  }

  private async disown(key: string, why: 'lost' | 'rebalanced' | 'failed' | 'shutdown'): Promise<void> {
    if (!this.owned.delete(key)) return;
    const session = this.o.sessions.get(key)!;
    this.o.metrics?.owned.set({ database: session.databaseName, node: this.o.nodeId }, 0);
    this.o.log.info({ node: this.o.nodeId, database: key, why }, 'lease given up: no longer scheduling this database');
    await session.stopScheduling();
    if (why !== 'lost') await this.o.bus.leases.release(key, this.o.nodeId).catch(() => {});
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.balancing;
    await this.leaseWatch?.close();
    for (const key of [...this.owned]) await this.disown(key, 'shutdown');
    await this.jobs?.close();
    await this.o.bus.nodes.remove(this.o.nodeId).catch(() => {});
  }
}
