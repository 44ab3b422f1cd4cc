/** Logic both implementations share: settling a delivery, lease-watch bookkeeping. */
import type { Logger } from '../log.ts';
import { toError } from '../errors.ts';
import type { DeadLetter, JobDelivery, JobHandler, LeaseEvent } from './types.ts';
import type { RefreshJob } from './schemas.ts';

/** What an implementation provides for one delivered message. */
export interface RawDelivery {
  readonly deliveryCount: number;
  ack(): Promise<void>;
  nak(delayMs: number): Promise<void> | void;
  term(): Promise<void> | void;
  working(): void;
}

export interface DeliveryPolicy {
  maxDeliver: number;
  errorNakDelayMs: number;
  deadLetter: (dead: DeadLetter) => Promise<void> | void;
  log: Logger;
}

/**
 * Runs the handler for one delivery. Settling is once-only; a nak (or a throw)
 * on the last allowed delivery dead-letters the job and removes it, so a
 * failing job never loops. A dead-letter callback that throws is logged; the
 * job is removed anyway.
 */
export async function runDelivery(job: RefreshJob, raw: RawDelivery, handler: JobHandler, policy: DeliveryPolicy): Promise<void> {
  let settled = false;
  const once = <A extends unknown[]>(fn: (...a: A) => Promise<void>) =>
    async (...a: A): Promise<void> => {
      if (settled) return;
      settled = true;
      await fn(...a);
    };
  const retryOrDead = async (delayMs: number, reason: 'nak' | 'error', error?: string): Promise<void> => {
    if (raw.deliveryCount >= policy.maxDeliver) {
      await callDeadLetter(policy, { job, deliveries: raw.deliveryCount, reason, ...(error === undefined ? {} : { error }) });
      await raw.term();
    } else {
      await raw.nak(Math.max(0, delayMs));
    }
  };
  const nak = once((delayMs?: number) => retryOrDead(delayMs ?? 0, 'nak'));
  const delivery: JobDelivery = {
    job,
    deliveryCount: raw.deliveryCount,
    ack: once(() => raw.ack()),
    nak,
    term: once(async () => {
      await raw.term();
    }),
    inProgress: () => {
      if (!settled) raw.working();
    },
  };
  try {
    await handler(delivery);
  } catch (rawErr) {
    const err = toError(rawErr);
    policy.log.warn({ err, database: job.database, pgtId: job.pgtId, deliveries: raw.deliveryCount }, 'bus: job handler failed');
    if (!settled) {
      settled = true;
      await retryOrDead(policy.errorNakDelayMs, 'error', err.message).catch((e: unknown) =>
        policy.log.error({ err: toError(e) }, 'bus: could not nak a failed job'),
      );
    }
  }
}

export async function callDeadLetter(policy: Pick<DeliveryPolicy, 'deadLetter' | 'log'>, dead: DeadLetter): Promise<void> {
  policy.log.warn({ database: dead.job.database, pgtId: dead.job.pgtId, deliveries: dead.deliveries, reason: dead.reason }, 'bus: job dead-lettered');
  try {
    await policy.deadLetter(dead);
  } catch (e) {
    policy.log.error({ err: toError(e), database: dead.job.database, pgtId: dead.job.pgtId }, 'bus: dead-letter callback failed');
  }
}

/**
 * Turns raw lease changes (put with an expiry, delete) into LeaseEvents, and
 * reports `expired` itself when a lease's expiry passes without a newer write
 * (NATS removes expired KV entries silently; the local map does not remove them at all).
 */
export class LeaseTracker {
  readonly #state = new Map<string, { owner: string; revision: number; timer: NodeJS.Timeout }>();
  #closed = false;
  constructor(private readonly emit: (event: LeaseEvent) => void) {}

  put(key: string, owner: string, revision: number, expiresAt: number): void {
    if (this.#closed) return;
    const prev = this.#state.get(key);
    if (prev && revision <= prev.revision) return;
    if (prev) clearTimeout(prev.timer);
    const wait = expiresAt - Date.now();
    if (wait <= 0) {
      this.#state.delete(key);
      if (prev) this.emit({ key, owner: null, previousOwner: prev.owner, kind: 'expired' });
      return;
    }
    const timer = setTimeout(() => {
      const cur = this.#state.get(key);
      if (!cur || cur.revision !== revision) return;
      this.#state.delete(key);
      this.emit({ key, owner: null, previousOwner: owner, kind: 'expired' });
    }, wait);
    timer.unref();
    this.#state.set(key, { owner, revision, timer });
    this.emit({ key, owner, previousOwner: prev?.owner ?? null, kind: prev?.owner === owner ? 'renewed' : 'acquired' });
  }

  remove(key: string, revision: number): void {
    if (this.#closed) return;
    const prev = this.#state.get(key);
    if (!prev || revision <= prev.revision) return;
    clearTimeout(prev.timer);
    this.#state.delete(key);
    this.emit({ key, owner: null, previousOwner: prev.owner, kind: 'released' });
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#state.values()) clearTimeout(s.timer);
    this.#state.clear();
  }
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', done);
      resolve();
    }, ms);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
  });

/** Waits for running handlers, at most `graceMs` (a hung handler must not hang close()). */
export async function settleRunning(running: Iterable<Promise<void>>, graceMs: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), graceMs);
    timer.unref();
  });
  const result = await Promise.race([Promise.allSettled([...running]).then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') log.warn({ graceMs }, 'bus: handlers still running at close; not waiting longer (their jobs will be redelivered)');
}
