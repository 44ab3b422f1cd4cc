/**
 * The NATS bus (cluster): JetStream work-queue stream for jobs, KV buckets
 * for leases and nodes (bucket-level TTL: nats-server 2.9 ignores per-key
 * TTL), a limits stream for alerts. Names in subjects.ts / docs/CLUSTER.md.
 */
import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { KV, KvEntry } from '@nats-io/kv';
import { silentLogger, type Logger } from '../log.ts';
import { toError } from '../errors.ts';
import { BusClosedError, BusConnectionError, BusConsumeError, BusPublishError, InvalidMessageError, LeaseError } from './errors.ts';
import { Alert, AlertPayload, LeaseRecord, NodeInfo, NodeRecord, RefreshJob, decode, encode } from './schemas.ts';
import { EVENT_NAME, busNames, decodeToken, encodeToken, type BusNames } from './subjects.ts';
import { LeaseTracker, callDeadLetter, runDelivery, settleRunning, sleep, type RawDelivery } from './shared.ts';
/** How long closing a job consumer waits for running handlers. */
const CLOSE_GRACE_MS = 10_000;
/** Publish attempts on timeout / no responders (same message id each time). */
const PUBLISH_ATTEMPTS = 3;

import type {
  AlertFilter,
  Bus,
  BusStatus,
  ConsumeJobsOptions,
  JobHandler,
  Lease,
  LeaseEvent,
  Leases,
  LiveNode,
  NatsBusConfig,
  Nodes,
  SubscribeAlertsOptions,
  Subscription,
} from './types.ts';

const nanos = (ms: number) => ms * 1_000_000;

function isCasConflict(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

export class NatsBus implements Bus {
  readonly kind = 'nats' as const;
  readonly leases: NatsLeases;
  readonly nodes: NatsNodes;
  readonly names: BusNames;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #config: NatsBusConfig;
  readonly #log: Logger;
  readonly #subs = new Set<Subscription>();
  readonly #statusListeners = new Set<(s: BusStatus) => void>();
  #closed = false;
  #statusLoop: Promise<void>;

  private constructor(nc: NatsConnection, jsm: JetStreamManager, config: NatsBusConfig, log: Logger, leaseKv: KV, nodeKv: KV) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jetstream(nc, { timeout: config.requestTimeoutMs });
    this.#config = config;
    this.#log = log;
    this.names = busNames(config.namespace);
    this.leases = new NatsLeases(leaseKv, new BucketKeys(jsm, this.names.leaseBucket), config.leases.ttlMs, (s) => this.#track(s), log);
    this.nodes = new NatsNodes(nodeKv, new BucketKeys(jsm, this.names.nodeBucket), config.nodes.ttlMs);
    this.#statusLoop = this.#watchStatus();
  }

  /** Connect, and create (or update) the streams and buckets. */
  static async connect(config: NatsBusConfig, log: Logger = silentLogger): Promise<NatsBus> {
    const names = busNames(config.namespace);
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: config.url,
        name: config.name ?? 'pgtrickle',
        maxReconnectAttempts: -1,
        reconnectTimeWait: config.reconnectWaitMs,
        waitOnFirstConnect: config.waitOnFirstConnect,
        timeout: config.requestTimeoutMs,
      });
    } catch (err) {
      throw new BusConnectionError(`cannot connect to NATS at ${String(config.url)}: ${toError(err).message}`, { cause: err });
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout: config.requestTimeoutMs });
      const storage = config.storage === 'memory' ? StorageType.Memory : StorageType.File;
      await ensureStream(jsm, {
        name: names.jobsStream,
        subjects: [names.jobsWildcard],
        retention: RetentionPolicy.Workqueue,
        max_age: nanos(config.jobs.maxAgeMs),
        storage,
        num_replicas: config.replicas,
      });
      await ensureStream(jsm, {
        name: names.alertsStream,
        subjects: [names.alertsWildcard],
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_age: nanos(config.alerts.maxAgeMs),
        max_msgs: config.alerts.maxMessages,
        storage,
        num_replicas: config.replicas,
      });
      const kvm = new Kvm(jetstream(nc, { timeout: config.requestTimeoutMs }));
      const leaseKv = await ensureBucket(jsm, kvm, names.leaseBucket, config.leases.ttlMs, storage, config.replicas);
      const nodeKv = await ensureBucket(jsm, kvm, names.nodeBucket, config.nodes.ttlMs, storage, config.replicas);
      return new NatsBus(nc, jsm, config, log, leaseKv, nodeKv);
    } catch (err) {
      await nc.close().catch(() => {});
      throw new BusConnectionError(`cannot set up JetStream on ${String(config.url)} (is JetStream enabled?): ${toError(err).message}`, { cause: err });
    }
  }

  async #watchStatus(): Promise<void> {
    this.#emit({ type: 'connected', server: this.#nc.getServer() });
    for await (const s of this.#nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.#emit({ type: 'disconnected', server: s.server });
          break;
        case 'reconnecting':
          this.#emit({ type: 'reconnecting' });
          break;
        case 'reconnect':
          this.#emit({ type: 'reconnected', server: s.server });
          break;
        case 'error':
          this.#emit({ type: 'error', error: toError(s.error) });
          break;
        default:
          break;
      }
    }
  }

  #emit(status: BusStatus): void {
    this.#log.info({ status: status.type }, 'bus: nats status');
    for (const l of this.#statusListeners) {
      try {
        l(status);
      } catch (err) {
        this.#log.warn({ err: toError(err) }, 'bus: status listener failed');
      }
    }
  }

  #check(): void {
    if (this.#closed) throw new BusClosedError();
  }

  #track(sub: Subscription): Subscription {
    const wrapped: Subscription = {
      close: async () => {
        this.#subs.delete(wrapped);
        await sub.close();
      },
    };
    this.#subs.add(wrapped);
    return wrapped;
  }

  /**
   * JetStream publish with a message id (the stream drops a duplicate within
   * its 2-minute window), retried on timeout / no responders — e.g. right
   * after a server restart — so a retry never stores the message twice.
   */
  async #publish(subject: string, data: Uint8Array): Promise<void> {
    const msgID = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#js.publish(subject, data, { msgID });
        return;
      } catch (err) {
        const e = toError(err);
        const transient = e.name === 'TimeoutError' || e.name === 'NoRespondersError' || /timeout|no responders/i.test(e.message);
        if (!transient || attempt >= PUBLISH_ATTEMPTS || this.#closed) throw err;
        this.#log.warn({ err: e, subject, attempt }, 'bus: publish not confirmed; retrying');
        await sleep(250 * attempt);
      }
    }
  }

  async publishJob(job: RefreshJob): Promise<void> {
    this.#check();
    const { data } = encode(RefreshJob, 'RefreshJob', job);
    try {
      await this.#publish(this.names.jobSubject(job.database), data);
    } catch (err) {
      throw new BusPublishError(`could not publish a refresh job for ${job.database}/${job.name}: ${toError(err).message}`, { cause: err });
    }
  }

  async consumeJobs(handler: JobHandler, options: ConsumeJobsOptions): Promise<Subscription> {
    this.#check();
    const { jobsStream, jobsConsumer } = this.names;
    const cfg = this.#config.jobs;
    const log = this.#log;
    let consumer: Consumer;
    try {
      await ensureConsumer(this.#jsm, jobsStream, {
        durable_name: jobsConsumer,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(cfg.ackWaitMs),
        max_deliver: cfg.maxDeliver,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: -1,
      });
      consumer = await this.#js.consumers.get(jobsStream, jobsConsumer);
    } catch (err) {
      throw new BusConsumeError(`could not create the jobs consumer ${jobsConsumer}: ${toError(err).message}`, { cause: err });
    }
    const policy = { maxDeliver: cfg.maxDeliver, errorNakDelayMs: cfg.errorNakDelayMs, deadLetter: options.deadLetter, log };
    const concurrency = Math.max(1, options.concurrency);
    const abort = new AbortController();
    const running = new Set<Promise<void>>();
    let current: ConsumerMessages | undefined;
    let slotFreed: (() => void) | undefined;

    // Jobs that exhausted max_deliver without being settled (their node died or
    // hung): the server announces them; whoever deletes the message dead-letters it.
    const advisory: NatsSubscription = this.#nc.subscribe(this.names.maxDeliveriesAdvisory, {
      callback: (err, msg) => {
        if (err) return;
        void (async () => {
          let seq: number;
          let deliveries: number;
          try {
            const a = msg.json<{ stream_seq: number; deliveries: number }>();
            seq = a.stream_seq;
            deliveries = a.deliveries;
          } catch {
            return;
          }
          try {
            const sm = await this.#jsm.streams.getMessage(jobsStream, { seq });
            if (!sm) return;
            await this.#jsm.streams.deleteMessage(jobsStream, seq, false);
            let job: RefreshJob;
            try {
              job = decode(RefreshJob, 'RefreshJob', sm.data);
            } catch (e) {
              log.warn({ err: e }, 'bus: dropping an invalid job message');
              return;
            }
            await callDeadLetter(policy, { job, deliveries, reason: 'ack_timeout' });
          } catch (e) {
            // Another node got there first (no message found), or NATS is down.
            log.debug({ err: toError(e), seq }, 'bus: max-deliveries advisory not handled here');
          }
        })();
      },
    });

    const pullLoop = async () => {
      let backoff = 100;
      while (!abort.signal.aborted) {
        const free = concurrency - running.size;
        if (free <= 0) {
          await new Promise<void>((r) => (slotFreed = r));
          continue;
        }
        try {
          current = await consumer.fetch({ max_messages: free, expires: 2_000 });
          if (abort.signal.aborted) current.stop();
          for await (const m of current) {
            backoff = 100;
            let job: RefreshJob;
            try {
              job = decode(RefreshJob, 'RefreshJob', m.data);
            } catch (err) {
              log.warn({ err, subject: m.subject }, 'bus: dropping an invalid job message');
              m.term();
              continue;
            }
            const raw: RawDelivery = {
              deliveryCount: m.info.deliveryCount,
              ack: async () => {
                await m.ackAck().catch((e: unknown) => {
                  log.warn({ err: toError(e) }, 'bus: ack not confirmed (the job may be redelivered; harmless)');
                });
              },
              nak: (delayMs) => m.nak(delayMs),
              term: () => m.term(),
              working: () => m.working(),
            };
            const p = runDelivery(job, raw, handler, policy).finally(() => {
              running.delete(p);
              slotFreed?.();
              slotFreed = undefined;
            });
            running.add(p);
          }
        } catch (err) {
          if (abort.signal.aborted) break;
          log.warn({ err: toError(err) }, 'bus: pulling jobs failed; retrying');
          await sleep(backoff, abort.signal);
          backoff = Math.min(backoff * 2, 5_000);
        } finally {
          current = undefined;
        }
      }
    };
    const loop = pullLoop();

    return this.#track({
      close: async () => {
        abort.abort();
        current?.stop();
        slotFreed?.();
        advisory.unsubscribe();
        await loop;
        await settleRunning(running, CLOSE_GRACE_MS, log);
      },
    });
  }

  async publishAlert(database: string, event: string, payload: AlertPayload = {}): Promise<Alert> {
    this.#check();
    const extra = AlertPayload.safeParse(payload);
    if (!extra.success) throw new InvalidMessageError('Alert', extra.error.issues, { cause: extra.error });
    const { data, value } = encode(Alert, 'Alert', { ...extra.data, event, database, at: extra.data.at ?? new Date().toISOString() });
    try {
      await this.#publish(this.names.alertSubject(database, event), data);
    } catch (err) {
      throw new BusPublishError(`could not publish alert ${event} for ${database}: ${toError(err).message}`, { cause: err });
    }
    return value;
  }

  async subscribeAlerts(
    filter: AlertFilter,
    handler: (alert: Alert) => Promise<void> | void,
    options: SubscribeAlertsOptions = {},
  ): Promise<Subscription> {
    this.#check();
    if (filter.event !== undefined && !EVENT_NAME.test(filter.event)) {
      throw new InvalidMessageError('AlertFilter', [{ path: ['event'], message: `must match ${EVENT_NAME}` }]);
    }
    const log = this.#log;
    let messages: ConsumerMessages;
    try {
      const oc = await this.#js.consumers.get(this.names.alertsStream, {
        filter_subjects: this.names.alertFilter(filter),
        deliver_policy: options.replay === 'all' ? DeliverPolicy.All : DeliverPolicy.New,
      });
      messages = await oc.consume();
    } catch (err) {
      throw new BusConsumeError(`could not subscribe to alerts: ${toError(err).message}`, { cause: err });
    }
    const loop = (async () => {
      for await (const m of messages) {
        let alert: Alert;
        try {
          alert = decode(Alert, 'Alert', m.data);
        } catch (err) {
          log.warn({ err, subject: m.subject }, 'bus: dropping an invalid alert message');
          continue;
        }
        try {
          await handler(alert);
        } catch (err) {
          log.warn({ err: toError(err) }, 'bus: alert handler failed');
        }
      }
    })().catch((err: unknown) => log.warn({ err: toError(err) }, 'bus: alert subscription ended'));
    return this.#track({
      close: async () => {
        await messages.close().catch(() => {});
        await loop;
      },
    });
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#subs].map((s) => s.close()));
    try {
      await this.#nc.drain();
    } catch {
      await this.#nc.close().catch(() => {});
    }
    await this.#statusLoop.catch(() => {});
    this.#emit({ type: 'closed' });
    this.#statusListeners.clear();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    const info = await jsm.streams.info(config.name);
    const c = info.config;
    if (c.max_age !== (config.max_age ?? c.max_age) || c.max_msgs !== (config.max_msgs ?? c.max_msgs)) {
      await jsm.streams.update(config.name, { ...c, max_age: config.max_age ?? c.max_age, max_msgs: config.max_msgs ?? c.max_msgs });
    }
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
      await jsm.streams.add(config);
      return;
    }
    throw err;
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, config: Parameters<JetStreamManager['consumers']['add']>[1] & { durable_name: string }): Promise<void> {
  try {
    const info = await jsm.consumers.info(stream, config.durable_name);
    const c = info.config;
    if (c.ack_wait !== config.ack_wait || c.max_deliver !== config.max_deliver) {
      await jsm.consumers.update(stream, config.durable_name, { ack_wait: config.ack_wait, max_deliver: config.max_deliver });
    }
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) {
      await jsm.consumers.add(stream, config);
      return;
    }
    throw err;
  }
}

async function ensureBucket(jsm: JetStreamManager, kvm: Kvm, name: string, ttlMs: number, storage: StorageType, replicas: number): Promise<KV> {
  const kv = await kvm.create(name, { ttl: ttlMs, history: 1, storage, replicas });
  const status = await kv.status();
  if (status.ttl !== ttlMs) {
    // The bucket existed with another TTL: the configured lease TTL wins.
    const stream = `KV_${name}`;
    const info = await jsm.streams.info(stream);
    await jsm.streams.update(stream, { ...info.config, max_age: nanos(ttlMs) });
  }
  return kv;
}

/**
 * The keys of a KV bucket, from one STREAM.INFO request with a subjects filter.
 * Not `kv.keys()`: that iterates an ordered consumer until the server reports
 * nothing pending, and on nats-server 2.9 it can wait forever when entries
 * expire during the scan (nats-server#3481) — lease and node entries expire
 * all the time, and a hung list() froze the cluster loop of a node in CI.
 */
class BucketKeys {
  readonly #stream: string;
  readonly #prefix: string;
  constructor(
    private readonly jsm: JetStreamManager,
    bucket: string,
  ) {
    this.#stream = `KV_${bucket}`;
    this.#prefix = `$KV.${bucket}.`;
  }

  /** Encoded keys with a stored entry (possibly a delete marker). */
  async list(): Promise<string[]> {
    const info = await this.jsm.streams.info(this.#stream, { subjects_filter: `${this.#prefix}>` });
    return Object.keys(info.state.subjects ?? {})
      .filter((subject) => subject.startsWith(this.#prefix))
      .map((subject) => subject.slice(this.#prefix.length));
  }
}

class NatsLeases implements Leases {
  constructor(
    private readonly kv: KV,
    private readonly keys: BucketKeys,
    readonly ttlMs: number,
    private readonly track: (s: Subscription) => Subscription,
    private readonly log: Logger,
  ) {}

  /** The live lease in an entry, or null (deleted, expired, unreadable). `expiresAt` is the server write time + TTL. */
  #parse(e: KvEntry | null): { lease: Lease | null; entry: KvEntry | null; record: LeaseRecord | null } {
    if (!e || e.operation !== 'PUT') return { lease: null, entry: e, record: null };
    let record: LeaseRecord | null = null;
    try {
      record = decode(LeaseRecord, 'LeaseRecord', e.value);
    } catch (err) {
      this.log.warn({ err, key: e.key }, 'bus: invalid lease record (treated as held until it expires)');
    }
    const expiresAt = e.created.getTime() + this.ttlMs;
    if (expiresAt <= Date.now() || !record) return { lease: null, entry: e, record };
    return {
      lease: { key: record.key, owner: record.owner, acquiredAt: record.acquiredAt, renewedAt: record.renewedAt, expiresAt, revision: e.revision },
      entry: e,
      record,
    };
  }

  async #get(key: string): Promise<KvEntry | null> {
    try {
      return await this.kv.get(encodeToken(key));
    } catch (err) {
      throw new LeaseError(`could not read lease ${key}: ${toError(err).message}`, { cause: err });
    }
  }

  /** Compare-and-set write; false when someone else wrote first. */
  async #cas(key: string, owner: string, acquiredAt: number, previous: number): Promise<boolean> {
    const { data } = encode(LeaseRecord, 'LeaseRecord', { key, owner, acquiredAt, renewedAt: Date.now() });
    try {
      await this.kv.put(encodeToken(key), data, { previousSeq: previous });
      return true;
    } catch (err) {
      if (isCasConflict(err)) return false;
      throw new LeaseError(`could not write lease ${key}: ${toError(err).message}`, { cause: err });
    }
  }

  async acquire(key: string, owner: string): Promise<boolean> {
    const e = await this.#get(key);
    const { lease, entry, record } = this.#parse(e);
    if (lease && lease.owner !== owner) return false;
    // An unreadable record blocks the key until it expires.
    if (!lease && entry?.operation === 'PUT' && !record && entry.created.getTime() + this.ttlMs > Date.now()) return false;
    return this.#cas(key, owner, lease?.acquiredAt ?? Date.now(), entry?.revision ?? 0);
  }

  async renew(key: string, owner: string): Promise<boolean> {
    const e = await this.#get(key);
    const { entry, record } = this.#parse(e);
    if (!entry || entry.operation !== 'PUT' || !record || record.owner !== owner) return false;
    return this.#cas(key, owner, record.acquiredAt, entry.revision);
  }

  async release(key: string, owner: string): Promise<boolean> {
    const { lease } = this.#parse(await this.#get(key));
    if (!lease || lease.owner !== owner) return false;
    try {
      await this.kv.delete(encodeToken(key), { previousSeq: lease.revision });
      return true;
    } catch (err) {
      if (isCasConflict(err)) return false;
      throw new LeaseError(`could not release lease ${key}: ${toError(err).message}`, { cause: err });
    }
  }

  async owner(key: string): Promise<string | null> {
    return (await this.get(key))?.owner ?? null;
  }

  async get(key: string): Promise<Lease | null> {
    return this.#parse(await this.#get(key)).lease;
  }

  async list(): Promise<Lease[]> {
    try {
      const entries = await Promise.all((await this.keys.list()).map((k) => this.kv.get(k)));
      return entries
        .map((e) => this.#parse(e).lease)
        .filter((l): l is Lease => l !== null)
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    } catch (err) {
      throw new LeaseError(`could not list leases: ${toError(err).message}`, { cause: err });
    }
  }

  async watch(callback: (event: LeaseEvent) => void): Promise<Subscription> {
    const tracker = new LeaseTracker(callback);
    const iter = await this.kv.watch().catch((err: unknown) => {
      throw new LeaseError(`could not watch leases: ${toError(err).message}`, { cause: err });
    });
    const loop = (async () => {
      for await (const e of iter) {
        const key = decodeToken(e.key);
        if (e.operation !== 'PUT') {
          tracker.remove(key, e.revision);
          continue;
        }
        const { lease } = this.#parse(e);
        if (lease) tracker.put(key, lease.owner, e.revision, lease.expiresAt);
      }
    })().catch((err: unknown) => this.log.warn({ err: toError(err) }, 'bus: lease watch ended'));
    return this.track({
      close: async () => {
        iter.stop();
        tracker.close();
        await loop;
      },
    });
  }
}

class NatsNodes implements Nodes {
  constructor(
    private readonly kv: KV,
    private readonly keys: BucketKeys,
    readonly ttlMs: number,
  ) {}

  async heartbeat(nodeId: string, info: NodeInfo = {}): Promise<void> {
    const { data } = encode(NodeRecord, 'NodeRecord', { nodeId, info, at: Date.now() });
    try {
      await this.kv.put(encodeToken(nodeId), data);
    } catch (err) {
      throw new LeaseError(`could not write the heartbeat of node ${nodeId}: ${toError(err).message}`, { cause: err });
    }
  }

  async list(): Promise<LiveNode[]> {
    try {
      const entries = await Promise.all((await this.keys.list()).map((k) => this.kv.get(k)));
      const now = Date.now();
      const out: LiveNode[] = [];
      for (const e of entries) {
        if (!e || e.operation !== 'PUT') continue;
        const expiresAt = e.created.getTime() + this.ttlMs;
        if (expiresAt <= now) continue;
        try {
          out.push({ ...decode(NodeRecord, 'NodeRecord', e.value), expiresAt });
        } catch {
          // invalid record: not a live node
        }
      }
      return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
    } catch (err) {
      throw new LeaseError(`could not list nodes: ${toError(err).message}`, { cause: err });
    }
  }

  async remove(nodeId: string): Promise<void> {
    try {
      await this.kv.delete(encodeToken(nodeId));
    } catch (err) {
      throw new LeaseError(`could not remove node ${nodeId}: ${toError(err).message}`, { cause: err });
    }
  }
}
