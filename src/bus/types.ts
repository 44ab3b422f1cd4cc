/**
 * The bus (D8): refresh jobs, database leases, node membership and alerts.
 * Two implementations behind this one interface: `local` (in-process, the
 * default) and `nats` (JetStream + KV, for a cluster). test/bus/contract.ts
 * runs the same suite against both.
 */
import { z } from 'zod';
import type { Alert, AlertPayload, LeaseRecord, NodeInfo, NodeRecord, RefreshJob } from './schemas.ts';
import { NAMESPACE } from './subjects.ts';

const ms = z.number().int().positive();

const common = {
  jobs: z
    .object({
      /** A delivered job not acked within this is redelivered (the node died or hung). */
      ackWaitMs: ms.default(60_000),
      /** Deliveries before a job goes to the dead-letter callback instead. */
      maxDeliver: z.number().int().min(1).default(5),
      /** Delay before redelivery when a handler throws. */
      errorNakDelayMs: z.number().int().nonnegative().default(1_000),
      /**
       * NATS: a job still in the stream after this long is dropped by the server
       * (stream max_age). Schedulers publish fresh jobs when tables are due, so
       * an old job is worth nothing; this sweeps jobs stranded when they ran out
       * of deliveries while no node was there to dead-letter them. The local
       * bus's jobs live and die with its process. Default: 1 h, or twice every
       * retry of a job (ackWaitMs × maxDeliver) if that is longer.
       */
      maxAgeMs: ms.optional(),
    })
    .prefault({})
    .transform((j) => ({ ...j, maxAgeMs: j.maxAgeMs ?? Math.max(3_600_000, 2 * j.ackWaitMs * j.maxDeliver) }))
    .refine((j) => j.maxAgeMs > j.ackWaitMs * j.maxDeliver, {
      message: 'jobs.maxAgeMs must be longer than jobs.ackWaitMs × jobs.maxDeliver, or a job could expire while still being retried',
    }),
  leases: z.object({ /** Lease TTL: a lease not renewed for this long is free. */ ttlMs: ms.default(15_000) }).prefault({}),
  nodes: z.object({ /** A node not heard from for this long is gone. */ ttlMs: ms.default(15_000) }).prefault({}),
  alerts: z
    .object({
      /** Alerts kept for replay at most this long (NATS stream max_age). */
      maxAgeMs: ms.default(7 * 24 * 3600_000),
      /** And at most this many (NATS stream max_msgs; local in-memory history). */
      maxMessages: z.number().int().positive().default(100_000),
    })
    .prefault({}),
};

export const LocalBusConfig = z.object({ kind: z.literal('local'), ...common });
export const NatsBusConfig = z.object({
  kind: z.literal('nats'),
  /** nats://host:port, or several for a NATS cluster. */
  url: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** Connection name shown by the server (e.g. the node id). */
  name: z.string().optional(),
  /** First subject token and stem of stream/bucket names; lets clusters share a NATS. */
  namespace: z.string().regex(NAMESPACE).default('pgtrickle'),
  reconnectWaitMs: ms.default(1_000),
  /** Keep retrying the first connect instead of failing (default: fail fast). */
  waitOnFirstConnect: z.boolean().default(false),
  /** JetStream API / publish timeout. */
  requestTimeoutMs: ms.default(5_000),
  /** Storage of the streams and buckets. */
  storage: z.enum(['file', 'memory']).default('file'),
  replicas: z.number().int().min(1).max(5).default(1),
  ...common,
});
export const BusConfig = z.discriminatedUnion('kind', [LocalBusConfig, NatsBusConfig]);
export type BusConfigInput = z.input<typeof BusConfig>;
export type BusConfig = z.output<typeof BusConfig>;
export type LocalBusConfig = z.output<typeof LocalBusConfig>;
export type NatsBusConfig = z.output<typeof NatsBusConfig>;

/** One delivery of a job to a handler. Settle it exactly once. */
export interface JobDelivery {
  readonly job: RefreshJob;
  /** 1 on the first delivery, 2 on the first redelivery, … */
  readonly deliveryCount: number;
  /** Done: removes the job (call after the refresh committed). */
  ack(): Promise<void>;
  /** Not now: redeliver after `delayMs` (default 0). On the last allowed delivery the job is dead-lettered instead. */
  nak(delayMs?: number): Promise<void>;
  /** Give up: remove the job without redelivery and without dead-lettering. */
  term(reason?: string): Promise<void>;
  /** Still working: restarts the ack_wait clock (long refreshes). */
  inProgress(): void;
}

/**
 * Handles one job. A throw counts as `nak(errorNakDelayMs)`. Returning without
 * settling leaves the job unacked: it is redelivered after ack_wait.
 */
export type JobHandler = (delivery: JobDelivery) => Promise<void> | void;

export interface DeadLetter {
  readonly job: RefreshJob;
  readonly deliveries: number;
  /** `nak`/`error`: the last delivery was nak'ed or threw; `ack_timeout`: it was never settled (node died, hung). */
  readonly reason: 'nak' | 'error' | 'ack_timeout';
  readonly error?: string;
}

export interface ConsumeJobsOptions {
  /** Jobs handled at once by this consumer. */
  concurrency: number;
  /** A job that used up max_deliver. Called once per such job, on one node. */
  deadLetter: (dead: DeadLetter) => Promise<void> | void;
}

export interface Subscription {
  /** Stops delivery; waits for running handlers. */
  close(): Promise<void>;
}

export interface Lease {
  readonly key: string;
  readonly owner: string;
  readonly acquiredAt: number;
  readonly renewedAt: number;
  /** When the lease lapses unless renewed (epoch ms). */
  readonly expiresAt: number;
  readonly revision: number;
}

export interface LeaseEvent {
  readonly key: string;
  /** Owner after the change; null when released or expired. */
  readonly owner: string | null;
  readonly previousOwner: string | null;
  readonly kind: 'acquired' | 'renewed' | 'released' | 'expired';
}

/**
 * Exclusive, expiring ownership of a key (a database). Every write is a
 * compare-and-set on the stored revision, so two racing acquirers cannot both
 * win. Methods resolve false when someone else holds the key.
 */
export interface Leases {
  readonly ttlMs: number;
  /** Take the key if it is free or expired; true also when `owner` already holds it (it is renewed). */
  acquire(key: string, owner: string): Promise<boolean>;
  /** Extend `owner`'s lease; false if it lost it (stop acting as owner). */
  renew(key: string, owner: string): Promise<boolean>;
  /** Give it up; false if `owner` did not hold it. */
  release(key: string, owner: string): Promise<boolean>;
  owner(key: string): Promise<string | null>;
  get(key: string): Promise<Lease | null>;
  /** Live (unexpired) leases. */
  list(): Promise<Lease[]>;
  /** Current leases first (as `acquired`), then changes, including expiries. */
  watch(callback: (event: LeaseEvent) => void): Promise<Subscription>;
}

export interface LiveNode extends NodeRecord {
  readonly expiresAt: number;
}

export interface Nodes {
  readonly ttlMs: number;
  /** Announce (or refresh) this node; call every ttl/3 or so. */
  heartbeat(nodeId: string, info?: NodeInfo): Promise<void>;
  /** Nodes heard from within the TTL, sorted by nodeId. */
  list(): Promise<LiveNode[]>;
  /** Leave at once (graceful shutdown). */
  remove(nodeId: string): Promise<void>;
}

export interface AlertFilter {
  database?: string;
  event?: string;
}

export interface SubscribeAlertsOptions {
  /** `new`: only alerts published from now on (default); `all`: the kept history first. */
  replay?: 'new' | 'all';
}

export type BusStatus =
  | { type: 'connected'; server?: string }
  | { type: 'disconnected'; server?: string }
  | { type: 'reconnecting' }
  | { type: 'reconnected'; server?: string }
  | { type: 'error'; error: Error }
  | { type: 'closed' };

export interface Bus {
  readonly kind: 'local' | 'nats';
  /** Enqueue a refresh job (validated; throws InvalidMessageError / BusPublishError). */
  publishJob(job: RefreshJob): Promise<void>;
  /** Start taking jobs. Any node's consumer may get any job; each job goes to one at a time. */
  consumeJobs(handler: JobHandler, options: ConsumeJobsOptions): Promise<Subscription>;
  readonly leases: Leases;
  readonly nodes: Nodes;
  /** Publish an alert on `<ns>.alerts.<database>.<event>`; resolves with the validated alert. */
  publishAlert(database: string, event: string, payload?: AlertPayload): Promise<Alert>;
  subscribeAlerts(
    filter: AlertFilter,
    handler: (alert: Alert) => Promise<void> | void,
    options?: SubscribeAlertsOptions,
  ): Promise<Subscription>;
  /** Connection events; returns an unsubscribe function. The local bus only ever reports `closed`. */
  onStatus(listener: (status: BusStatus) => void): () => void;
  /** Stop consumers and subscriptions, drain, disconnect. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export type { Alert, AlertPayload, LeaseRecord, NodeInfo, NodeRecord, RefreshJob };
