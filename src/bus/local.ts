/**
 * The in-process bus: one node, no broker (the default). Same semantics as
 * the NATS bus: a work queue with ack / nak(delay) / redelivery after ack_wait
 * / max_deliver → dead letter; compare-and-set leases with expiry; node
 * records with expiry; alerts fanned out with a bounded in-memory history.
 * Messages go through the same msgpackr + zod codec as on NATS.
 *
 * Several LocalBus instances may share one LocalHub (tests, or several
 * in-process "nodes"); the hub holds the state, each bus its consumers.
 */
import { silentLogger, type Logger } from '../log.ts';
import { toError } from '../errors.ts';
import { BusClosedError } from './errors.ts';
import { Alert, AlertPayload, LeaseRecord, NodeInfo, NodeRecord, RefreshJob, decode, encode } from './schemas.ts';
import { EVENT_NAME } from './subjects.ts';
import { InvalidMessageError } from './errors.ts';
import { LeaseTracker, callDeadLetter, runDelivery, settleRunning, type RawDelivery } from './shared.ts';
/** How long closing a job consumer waits for running handlers. */
const CLOSE_GRACE_MS = 10_000;

import type {
  AlertFilter,
  Bus,
  BusStatus,
  ConsumeJobsOptions,
  DeadLetter,
  JobHandler,
  Lease,
  LeaseEvent,
  Leases,
  LiveNode,
  LocalBusConfig,
  Nodes,
  SubscribeAlertsOptions,
  Subscription,
} from './types.ts';

interface QueueItem {
  id: number;
  data: Uint8Array;
  deliveries: number;
  readyAt: number;
  inflight: boolean;
  /** Changes on every delivery so a late settle of an old delivery is ignored. */
  token: number;
  ackTimer?: NodeJS.Timeout;
}

interface HubConsumer {
  free: number;
  deliver(item: QueueItem, token: number): void;
  deadLetter(dead: DeadLetter): Promise<void>;
}

interface StoredLease {
  record: LeaseRecord;
  revision: number;
  expiresAt: number;
  deleted: boolean;
}

type LeaseChange = { key: string; revision: number } & ({ op: 'put'; owner: string; expiresAt: number } | { op: 'del' });

/** The shared state of the local bus. */
export class LocalHub {
  readonly items: QueueItem[] = [];
  readonly consumers: HubConsumer[] = [];
  readonly pendingDead: DeadLetter[] = [];
  readonly leases = new Map<string, StoredLease>();
  readonly leaseWatchers = new Set<(c: LeaseChange) => void>();
  readonly nodes = new Map<string, { record: NodeRecord; expiresAt: number }>();
  readonly alerts: { at: number; data: Uint8Array; subject: { database: string; event: string } }[] = [];
  readonly alertSubscribers = new Set<(a: { database: string; event: string; data: Uint8Array }) => void>();
  #nextId = 1;
  #revision = 0;
  #rr = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  constructor(readonly config: LocalBusConfig, readonly log: Logger = silentLogger) {}

  nextRevision(): number {
    return ++this.#revision;
  }

  enqueue(data: Uint8Array): void {
    this.items.push({ id: this.#nextId++, data, deliveries: 0, readyAt: Date.now(), inflight: false, token: 0 });
    this.pump();
  }

  /** Deliver ready items to consumers with free slots (round-robin), and arm a timer for the next one. */
  pump(): void {
    const now = Date.now();
    let next = Infinity;
    for (const item of this.items) {
      if (item.inflight) continue;
      if (item.readyAt > now) {
        next = Math.min(next, item.readyAt);
        continue;
      }
      const consumer = this.#pickConsumer();
      if (!consumer) break;
      this.#deliver(item, consumer);
    }
    if (next < this.#timerAt) {
      clearTimeout(this.#timer);
      this.#timerAt = next;
      this.#timer = setTimeout(() => {
        this.#timerAt = Infinity;
        this.pump();
      }, Math.max(0, next - now));
      this.#timer.unref();
    }
  }

  #pickConsumer(): HubConsumer | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = this.consumers[(this.#rr + i) % n]!;
      if (c.free > 0) {
        this.#rr = (this.#rr + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  #deliver(item: QueueItem, consumer: HubConsumer): void {
    item.deliveries++;
    item.inflight = true;
    const token = ++item.token;
    this.armAckTimer(item, token);
    consumer.deliver(item, token);
  }

  armAckTimer(item: QueueItem, token: number): void {
    clearTimeout(item.ackTimer);
    item.ackTimer = setTimeout(() => this.#ackTimeout(item, token), this.config.jobs.ackWaitMs);
    item.ackTimer.unref();
  }

  #ackTimeout(item: QueueItem, token: number): void {
    if (item.token !== token || !item.inflight) return;
    if (item.deliveries >= this.config.jobs.maxDeliver) {
      this.remove(item);
      let job: RefreshJob;
      try {
        job = decode(RefreshJob, 'RefreshJob', item.data);
      } catch {
        return;
      }
      this.deadLetter({ job, deliveries: item.deliveries, reason: 'ack_timeout' });
      return;
    }
    item.inflight = false;
    item.token++;
    item.readyAt = Date.now();
    this.pump();
  }

  deadLetter(dead: DeadLetter): void {
    const c = this.consumers[0];
    if (c) void c.deadLetter(dead);
    else this.pendingDead.push(dead);
  }

  settle(item: QueueItem, token: number, how: { op: 'ack' | 'term' } | { op: 'nak'; delayMs: number }): void {
    if (item.token !== token || !item.inflight) return; // redelivered meanwhile: too late
    clearTimeout(item.ackTimer);
    if (how.op === 'nak') {
      item.inflight = false;
      item.token++;
      item.readyAt = Date.now() + how.delayMs;
    } else {
      this.remove(item);
    }
    this.pump();
  }

  remove(item: QueueItem): void {
    clearTimeout(item.ackTimer);
    const i = this.items.indexOf(item);
    if (i >= 0) this.items.splice(i, 1);
    item.inflight = false;
    item.token++;
  }

  emitLease(change: LeaseChange): void {
    for (const w of this.leaseWatchers) w(change);
  }

  trimAlerts(): void {
    const cutoff = Date.now() - this.config.alerts.maxAgeMs;
    let drop = 0;
    while (drop < this.alerts.length && this.alerts[drop]!.at < cutoff) drop++;
    drop = Math.max(drop, this.alerts.length - this.config.alerts.maxMessages);
    if (drop > 0) this.alerts.splice(0, drop);
  }
}

function matches(filter: AlertFilter, a: { database: string; event: string }): boolean {
  return (filter.database === undefined || filter.database === a.database) && (filter.event === undefined || filter.event === a.event);
}

export class LocalBus implements Bus {
  readonly kind = 'local' as const;
  readonly leases: Leases;
  readonly nodes: Nodes;
  readonly #hub: LocalHub;
  readonly #log: Logger;
  readonly #subs = new Set<Subscription>();
  readonly #statusListeners = new Set<(s: BusStatus) => void>();
  #closed = false;

  constructor(hub: LocalHub, log: Logger = hub.log) {
    this.#hub = hub;
    this.#log = log;
    this.leases = new LocalLeases(hub, this.#track.bind(this));
    this.nodes = new LocalNodes(hub);
  }

  get hub(): LocalHub {
    return this.#hub;
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

  async publishJob(job: RefreshJob): Promise<void> {
    this.#check();
    const { data } = encode(RefreshJob, 'RefreshJob', job);
    this.#hub.enqueue(data);
  }

  async consumeJobs(handler: JobHandler, options: ConsumeJobsOptions): Promise<Subscription> {
    this.#check();
    const hub = this.#hub;
    const cfg = hub.config.jobs;
    const log = this.#log;
    const running = new Set<Promise<void>>();
    const policy = { maxDeliver: cfg.maxDeliver, errorNakDelayMs: cfg.errorNakDelayMs, deadLetter: options.deadLetter, log };
    const consumer: HubConsumer = {
      free: Math.max(1, options.concurrency),
      deliver: (item, token) => {
        consumer.free--;
        let job: RefreshJob;
        try {
          job = decode(RefreshJob, 'RefreshJob', item.data);
        } catch (err) {
          log.warn({ err }, 'bus: dropping an invalid job message');
          hub.settle(item, token, { op: 'term' });
          consumer.free++;
          return;
        }
        const raw: RawDelivery = {
          deliveryCount: item.deliveries,
          ack: async () => hub.settle(item, token, { op: 'ack' }),
          nak: (delayMs) => hub.settle(item, token, { op: 'nak', delayMs }),
          term: () => hub.settle(item, token, { op: 'term' }),
          working: () => {
            if (item.token === token && item.inflight) hub.armAckTimer(item, token);
          },
        };
        const p = runDelivery(job, raw, handler, policy).finally(() => {
          running.delete(p);
          consumer.free++;
          queueMicrotask(() => hub.pump());
        });
        running.add(p);
      },
      deadLetter: (dead) => callDeadLetter(policy, dead),
    };
    hub.consumers.push(consumer);
    for (const dead of hub.pendingDead.splice(0)) void consumer.deadLetter(dead);
    queueMicrotask(() => hub.pump());
    return this.#track({
      close: async () => {
        const i = hub.consumers.indexOf(consumer);
        if (i >= 0) hub.consumers.splice(i, 1);
        consumer.free = 0;
        await settleRunning(running, CLOSE_GRACE_MS, log);
      },
    });
  }

  async publishAlert(database: string, event: string, payload: AlertPayload = {}): Promise<import('./schemas.ts').Alert> {
    this.#check();
    const extra = AlertPayload.safeParse(payload);
    if (!extra.success) throw new InvalidMessageError('Alert', extra.error.issues, { cause: extra.error });
    const { data, value } = encode(Alert, 'Alert', { ...extra.data, event, database, at: extra.data.at ?? new Date().toISOString() });
    const hub = this.#hub;
    hub.alerts.push({ at: Date.now(), data, subject: { database, event } });
    hub.trimAlerts();
    for (const s of hub.alertSubscribers) s({ database, event, data });
    return value;
  }

  async subscribeAlerts(
    filter: AlertFilter,
    handler: (alert: import('./schemas.ts').Alert) => Promise<void> | void,
    options: SubscribeAlertsOptions = {},
  ): Promise<Subscription> {
    this.#check();
    if (filter.event !== undefined && !EVENT_NAME.test(filter.event)) {
      throw new InvalidMessageError('AlertFilter', [{ path: ['event'], message: `must match ${EVENT_NAME}` }]);
    }
    const hub = this.#hub;
    const log = this.#log;
    // Handlers run one at a time, in publish order (like an ordered consumer).
    let chain: Promise<void> = Promise.resolve();
    let open = true;
    const deliver = (data: Uint8Array) => {
      chain = chain.then(async () => {
        if (!open) return;
        let alert: import('./schemas.ts').Alert;
        try {
          alert = decode(Alert, 'Alert', data);
        } catch (err) {
          log.warn({ err }, 'bus: dropping an invalid alert message');
          return;
        }
        try {
          await handler(alert);
        } catch (err) {
          log.warn({ err: toError(err) }, 'bus: alert handler failed');
        }
      });
    };
    if (options.replay === 'all') {
      hub.trimAlerts();
      for (const a of hub.alerts) if (matches(filter, a.subject)) deliver(a.data);
    }
    const sub = (a: { database: string; event: string; data: Uint8Array }) => {
      if (matches(filter, a)) deliver(a.data);
    };
    hub.alertSubscribers.add(sub);
    return this.#track({
      close: async () => {
        hub.alertSubscribers.delete(sub);
        open = false;
        await chain;
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
    for (const l of this.#statusListeners) l({ type: 'closed' });
    this.#statusListeners.clear();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function toLease(s: StoredLease, key: string): Lease {
  return { key, owner: s.record.owner, acquiredAt: s.record.acquiredAt, renewedAt: s.record.renewedAt, expiresAt: s.expiresAt, revision: s.revision };
}

class LocalLeases implements Leases {
  constructor(
    private readonly hub: LocalHub,
    private readonly track: (s: Subscription) => Subscription,
  ) {}

  get ttlMs(): number {
    return this.hub.config.leases.ttlMs;
  }

  #live(key: string): StoredLease | undefined {
    const s = this.hub.leases.get(key);
    return s && !s.deleted && s.expiresAt > Date.now() ? s : undefined;
  }

  #write(key: string, owner: string, acquiredAt: number): void {
    const now = Date.now();
    const { value } = encode(LeaseRecord, 'LeaseRecord', { key, owner, acquiredAt, renewedAt: now });
    const s: StoredLease = { record: value, revision: this.hub.nextRevision(), expiresAt: now + this.ttlMs, deleted: false };
    this.hub.leases.set(key, s);
    this.hub.emitLease({ op: 'put', key, owner, revision: s.revision, expiresAt: s.expiresAt });
  }

  async acquire(key: string, owner: string): Promise<boolean> {
    const cur = this.#live(key);
    if (cur && cur.record.owner !== owner) return false;
    this.#write(key, owner, cur?.record.acquiredAt ?? Date.now());
    return true;
  }

  async renew(key: string, owner: string): Promise<boolean> {
    // Like NATS: an expired lease nobody has taken yet can still be renewed by its owner.
    const cur = this.hub.leases.get(key);
    if (!cur || cur.deleted || cur.record.owner !== owner) return false;
    this.#write(key, owner, cur.record.acquiredAt);
    return true;
  }

  async release(key: string, owner: string): Promise<boolean> {
    const cur = this.#live(key);
    if (!cur || cur.record.owner !== owner) return false;
    cur.deleted = true;
    cur.revision = this.hub.nextRevision();
    this.hub.emitLease({ op: 'del', key, revision: cur.revision });
    return true;
  }

  async owner(key: string): Promise<string | null> {
    return this.#live(key)?.record.owner ?? null;
  }

  async get(key: string): Promise<Lease | null> {
    const s = this.#live(key);
    return s ? toLease(s, key) : null;
  }

  async list(): Promise<Lease[]> {
    const out: Lease[] = [];
    for (const key of [...this.hub.leases.keys()].sort()) {
      const s = this.#live(key);
      if (s) out.push(toLease(s, key));
    }
    return out;
  }

  async watch(callback: (event: LeaseEvent) => void): Promise<Subscription> {
    const tracker = new LeaseTracker(callback);
    for (const key of [...this.hub.leases.keys()].sort()) {
      const s = this.#live(key);
      if (s) tracker.put(key, s.record.owner, s.revision, s.expiresAt);
    }
    const w = (c: LeaseChange) => (c.op === 'put' ? tracker.put(c.key, c.owner, c.revision, c.expiresAt) : tracker.remove(c.key, c.revision));
    this.hub.leaseWatchers.add(w);
    return this.track({
      close: async () => {
        this.hub.leaseWatchers.delete(w);
        tracker.close();
      },
    });
  }
}

class LocalNodes implements Nodes {
  constructor(private readonly hub: LocalHub) {}

  get ttlMs(): number {
    return this.hub.config.nodes.ttlMs;
  }

  async heartbeat(nodeId: string, info: NodeInfo = {}): Promise<void> {
    const now = Date.now();
    const { value } = encode(NodeRecord, 'NodeRecord', { nodeId, info, at: now });
    this.hub.nodes.set(nodeId, { record: value, expiresAt: now + this.ttlMs });
  }

  async list(): Promise<LiveNode[]> {
    const now = Date.now();
    const out: LiveNode[] = [];
    for (const [id, n] of this.hub.nodes) {
      if (n.expiresAt > now) out.push({ ...n.record, expiresAt: n.expiresAt });
      else this.hub.nodes.delete(id);
    }
    return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  async remove(nodeId: string): Promise<void> {
    this.hub.nodes.delete(nodeId);
  }
}
