/**
 * The bus contract: one suite, run against every implementation
 * (local.test.ts, nats.test.ts). Nodes are separate Bus instances sharing one
 * backend (a LocalHub, or one nats-server under a per-test namespace).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidMessageError, type Alert, type Bus, type BusConfigInput, type DeadLetter, type JobDelivery, type LeaseEvent, type RefreshJob } from '../../src/bus/index.ts';

export type Settings = {
  jobs?: { ackWaitMs?: number; maxDeliver?: number; errorNakDelayMs?: number };
  leases?: { ttlMs?: number };
  nodes?: { ttlMs?: number };
  alerts?: { maxAgeMs?: number; maxMessages?: number };
};

export interface Backend {
  /** A new node (bus) on this test's shared backend. */
  node(): Promise<Bus>;
  /** Put raw bytes where a job / an alert would be (to test receive-side validation). */
  injectRawJob(database: string, data: Uint8Array): Promise<void>;
  injectRawAlert(database: string, event: string, data: Uint8Array): Promise<void>;
}

export type BackendFactory = (settings: Settings) => Promise<Backend & { dispose(): Promise<void> }>;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function job(pgtId: number, database = 'app'): RefreshJob {
  return { database, pgtId, name: `public.st_${pgtId}`, enqueuedAt: Date.now(), reason: 'schedule' };
}

export type ConfigOf<T> = T extends { kind: 'local' } ? T : never;
export type { BusConfigInput };

export function busContract(label: string, factory: BackendFactory): void {
  describe(`bus contract: ${label}`, () => {
    const disposers: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const d of disposers.splice(0).reverse()) await d();
    });
    const setup = async (settings: Settings = {}) => {
      const backend = await factory(settings);
      const nodes: Bus[] = [];
      disposers.push(async () => {
        await Promise.allSettled(nodes.map((n) => n.close()));
        await backend.dispose();
      });
      return {
        ...backend,
        node: async () => {
          const n = await backend.node();
          nodes.push(n);
          return n;
        },
      };
    };
    const noDead = (d: DeadLetter) => {
      throw new Error(`unexpected dead letter ${JSON.stringify(d)}`);
    };

    describe('jobs', () => {
      it('each job is delivered to exactly one of two consumers, and acked jobs stay gone', async () => {
        const env = await setup({ jobs: { ackWaitMs: 1_000 } });
        const [a, b] = [await env.node(), await env.node()];
        const seen: { node: string; id: number }[] = [];
        const handler = (node: string) => async (d: JobDelivery) => {
          seen.push({ node, id: d.job.pgtId });
          await sleep(5);
          await d.ack();
        };
        await a.consumeJobs(handler('a'), { concurrency: 2, deadLetter: noDead });
        await b.consumeJobs(handler('b'), { concurrency: 2, deadLetter: noDead });
        const dbs = ['app', 'sales.db', 'Café DB', 'a*b>c'];
        for (let i = 1; i <= 40; i++) await (i % 2 ? a : b).publishJob(job(i, dbs[i % dbs.length]));
        await waitFor('40 deliveries', () => seen.length >= 40);
        // Past ack_wait: nothing is redelivered once acked.
        await sleep(1_500);
        expect(seen).toHaveLength(40);
        expect(new Set(seen.map((s) => s.id)).size).toBe(40);
      });

      it('delivers the job fields intact, with database names of any characters', async () => {
        const env = await setup();
        const a = await env.node();
        const got: RefreshJob[] = [];
        await a.consumeJobs(async (d) => {
          got.push(d.job);
          await d.ack();
        }, { concurrency: 1, deadLetter: noDead });
        const j: RefreshJob = { database: 'Ünïcode.db *>', pgtId: 7, name: '"My Schema"."ST 1"', enqueuedAt: 1_700_000_000_000, attempt: 2, reason: 'manual' };
        await a.publishJob(j);
        await waitFor('delivery', () => got.length === 1);
        expect(got[0]).toEqual(j);
      });

      it('jobs published before any consumer exists are delivered when one starts', async () => {
        const env = await setup();
        const a = await env.node();
        for (let i = 1; i <= 5; i++) await a.publishJob(job(i));
        await sleep(200);
        const b = await env.node();
        const ids: number[] = [];
        await b.consumeJobs(async (d) => {
          ids.push(d.job.pgtId);
          await d.ack();
        }, { concurrency: 1, deadLetter: noDead });
        await waitFor('5 deliveries', () => ids.length === 5);
        expect(ids.sort()).toEqual([1, 2, 3, 4, 5]);
      });

      it('nak(delay) redelivers after the delay, with the delivery count', async () => {
        const env = await setup({ jobs: { ackWaitMs: 5_000 } });
        const a = await env.node();
        const deliveries: { at: number; count: number }[] = [];
        await a.consumeJobs(async (d) => {
          deliveries.push({ at: Date.now(), count: d.deliveryCount });
          if (d.deliveryCount === 1) await d.nak(700);
          else await d.ack();
        }, { concurrency: 1, deadLetter: noDead });
        await a.publishJob(job(1));
        await waitFor('redelivery', () => deliveries.length === 2);
        expect(deliveries.map((d) => d.count)).toEqual([1, 2]);
        expect(deliveries[1]!.at - deliveries[0]!.at).toBeGreaterThanOrEqual(650);
        await sleep(300);
        expect(deliveries).toHaveLength(2);
      });

      it('a job not acked within ack_wait is redelivered (another node may take it)', async () => {
        const env = await setup({ jobs: { ackWaitMs: 1_000 } });
        const [a, b] = [await env.node(), await env.node()];
        const got: { node: string; at: number; count: number }[] = [];
        // Node a takes it and "dies" (never settles, holds its only slot).
        let unblock = () => {};
        const blocked = new Promise<void>((r) => (unblock = r));
        disposers.push(async () => unblock());
        await a.consumeJobs(async (d) => {
          got.push({ node: 'a', at: Date.now(), count: d.deliveryCount });
          await blocked;
        }, { concurrency: 1, deadLetter: noDead });
        await a.publishJob(job(1));
        await waitFor('first delivery', () => got.length === 1);
        await b.consumeJobs(async (d) => {
          got.push({ node: 'b', at: Date.now(), count: d.deliveryCount });
          await d.ack();
        }, { concurrency: 1, deadLetter: noDead });
        await waitFor('redelivery', () => got.length === 2);
        expect(got[1]).toMatchObject({ node: 'b', count: 2 });
        expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(900);
      });

      it('a handler that returns without settling gets the job again after ack_wait', async () => {
        const env = await setup({ jobs: { ackWaitMs: 1_000 } });
        const a = await env.node();
        const counts: number[] = [];
        await a.consumeJobs(async (d) => {
          counts.push(d.deliveryCount);
          if (d.deliveryCount > 1) await d.ack();
        }, { concurrency: 1, deadLetter: noDead });
        await a.publishJob(job(1));
        await waitFor('redelivery', () => counts.length === 2);
        expect(counts).toEqual([1, 2]);
      });

      it('inProgress() holds the job past ack_wait', async () => {
        // Touches every 300 ms for 3.6 s hold the job past a 2.5 s ack_wait; the
        // 2.2 s between a touch and the ack deadline absorb a stalled CI machine.
        const env = await setup({ jobs: { ackWaitMs: 2_500 } });
        const a = await env.node();
        const counts: number[] = [];
        await a.consumeJobs(async (d) => {
          counts.push(d.deliveryCount);
          for (let i = 0; i < 12; i++) {
            await sleep(300);
            d.inProgress();
          }
          await d.ack();
        }, { concurrency: 2, deadLetter: noDead });
        await a.publishJob(job(1));
        await sleep(4_200);
        expect(counts).toEqual([1]);
      });

      it('past max_deliver a nak-ing job is dead-lettered once, not looped', async () => {
        const env = await setup({ jobs: { ackWaitMs: 2_000, maxDeliver: 3 } });
        const a = await env.node();
        const counts: number[] = [];
        const dead: DeadLetter[] = [];
        await a.consumeJobs(async (d) => {
          counts.push(d.deliveryCount);
          await d.nak(0);
        }, { concurrency: 1, deadLetter: (d) => void dead.push(d) });
        await a.publishJob(job(9, 'sales.db'));
        await waitFor('dead letter', () => dead.length === 1);
        await sleep(500);
        expect(counts).toEqual([1, 2, 3]);
        expect(dead).toHaveLength(1);
        expect(dead[0]).toMatchObject({ deliveries: 3, reason: 'nak', job: { pgtId: 9, database: 'sales.db' } });
      });

      it('a throwing handler is retried after errorNakDelayMs, then dead-lettered with the error', async () => {
        const env = await setup({ jobs: { ackWaitMs: 2_000, maxDeliver: 2, errorNakDelayMs: 200 } });
        const a = await env.node();
        const dead: DeadLetter[] = [];
        let calls = 0;
        await a.consumeJobs(async () => {
          calls++;
          throw new Error('refresh failed: boom');
        }, { concurrency: 1, deadLetter: (d) => void dead.push(d) });
        await a.publishJob(job(3));
        await waitFor('dead letter', () => dead.length === 1);
        await sleep(400);
        expect(calls).toBe(2);
        expect(dead[0]).toMatchObject({ deliveries: 2, reason: 'error', error: 'refresh failed: boom' });
      });

      it('a job whose last delivery is never settled (node died) is dead-lettered after ack_wait', async () => {
        const env = await setup({ jobs: { ackWaitMs: 1_000, maxDeliver: 2 } });
        const a = await env.node();
        const dead: DeadLetter[] = [];
        const counts: number[] = [];
        await a.consumeJobs(async (d) => {
          counts.push(d.deliveryCount); // never settles
        }, { concurrency: 1, deadLetter: (d) => void dead.push(d) });
        await a.publishJob(job(4));
        await waitFor('dead letter', () => dead.length === 1, 15_000);
        await sleep(1_200);
        expect(counts).toEqual([1, 2]);
        expect(dead).toHaveLength(1);
        expect(dead[0]).toMatchObject({ deliveries: 2, reason: 'ack_timeout', job: { pgtId: 4 } });
      });

      it('rejects an invalid job on publish, and drops one on receive without stopping the consumer', async () => {
        const env = await setup();
        const a = await env.node();
        await expect(a.publishJob({ database: '', pgtId: -1, name: 'x', enqueuedAt: 0 })).rejects.toBeInstanceOf(InvalidMessageError);
        await expect(a.publishJob({ database: 'app', pgtId: 1 } as unknown as RefreshJob)).rejects.toThrow(/invalid RefreshJob message: name/);
        const got: number[] = [];
        await a.consumeJobs(async (d) => {
          got.push(d.job.pgtId);
          await d.ack();
        }, { concurrency: 1, deadLetter: noDead });
        await env.injectRawJob('app', new Uint8Array([0xc1, 0xff, 0x00]));
        await env.injectRawJob('app', (await import('../../src/bus/schemas.ts')).encodeUnchecked({ database: 'app', pgtId: 'nope' }));
        await a.publishJob(job(5));
        await waitFor('valid job', () => got.length === 1);
        expect(got).toEqual([5]);
      });
    });

    describe('leases', () => {
      it('of owners racing for one key, exactly one wins', async () => {
        const env = await setup({ leases: { ttlMs: 60_000 } });
        const [a, b] = [await env.node(), await env.node()];
        for (const key of ['db1', 'sales.db', 'Café DB']) {
          const owners = Array.from({ length: 8 }, (_, i) => `node-${i}`);
          const results = await Promise.all(owners.map((o, i) => (i % 2 ? a : b).leases.acquire(key, o)));
          expect(results.filter(Boolean)).toHaveLength(1);
          const winner = owners[results.indexOf(true)]!;
          expect(await a.leases.owner(key)).toBe(winner);
          expect(await b.leases.owner(key)).toBe(winner);
          // The holder re-acquiring is a renewal; others still lose.
          expect(await a.leases.acquire(key, winner)).toBe(true);
          expect(await b.leases.acquire(key, 'someone-else')).toBe(false);
        }
        expect((await a.leases.list()).map((l) => l.key)).toEqual(['Café DB', 'db1', 'sales.db'].sort());
      });

      it('renewing keeps the lease past its TTL', async () => {
        // Renewals every 400 ms for 3.2 s outlive a 2.5 s TTL; the 2.1 s of slack absorbs a stalled CI machine.
        const env = await setup({ leases: { ttlMs: 2_500 } });
        const [a, b] = [await env.node(), await env.node()];
        expect(await a.leases.acquire('db', 'A')).toBe(true);
        const first = await a.leases.get('db');
        for (let i = 0; i < 8; i++) {
          await sleep(400);
          expect(await a.leases.renew('db', 'A')).toBe(true);
          expect(await b.leases.acquire('db', 'B')).toBe(false);
        }
        const lease = await b.leases.get('db');
        expect(lease).toMatchObject({ key: 'db', owner: 'A', acquiredAt: first!.acquiredAt });
        expect(lease!.expiresAt).toBeGreaterThan(Date.now());
        expect(await b.leases.renew('db', 'B')).toBe(false);
      });

      it('a lease not renewed expires within the TTL and another owner takes it', async () => {
        const ttl = 1_500;
        const env = await setup({ leases: { ttlMs: ttl } });
        const [a, b] = [await env.node(), await env.node()];
        const events: LeaseEvent[] = [];
        await b.leases.watch((e) => events.push(e));
        const t0 = Date.now();
        expect(await a.leases.acquire('db', 'A')).toBe(true);
        expect(await b.leases.acquire('db', 'B')).toBe(false);
        let took = 0;
        await waitFor('takeover', async () => {
          if (await b.leases.acquire('db', 'B')) took = Date.now() - t0;
          return took > 0;
        }, ttl + 3_000);
        expect(took).toBeGreaterThanOrEqual(ttl - 100);
        expect(took).toBeLessThan(ttl + 5_000); // margin for a loaded 2-core CI machine
        expect(await a.leases.owner('db')).toBe('B');
        expect(await a.leases.renew('db', 'A')).toBe(false);
        await waitFor('events', () => events.length >= 3);
        expect(events.slice(0, 3).map((e) => [e.kind, e.owner, e.previousOwner])).toEqual([
          ['acquired', 'A', null],
          ['expired', null, 'A'],
          ['acquired', 'B', null],
        ]);
      });

      it('release frees the key at once; only the owner can release', async () => {
        // Expiry is not the subject here: a long TTL keeps a stalled machine from turning a renewal into 'expired'.
        const env = await setup({ leases: { ttlMs: 60_000 } });
        const [a, b] = [await env.node(), await env.node()];
        const events: LeaseEvent[] = [];
        expect(await a.leases.acquire('db', 'A')).toBe(true);
        await b.leases.watch((e) => events.push(e));
        expect(await b.leases.release('db', 'B')).toBe(false);
        expect(await a.leases.release('db', 'A')).toBe(true);
        expect(await a.leases.owner('db')).toBeNull();
        expect(await a.leases.release('db', 'A')).toBe(false);
        expect(await b.leases.acquire('db', 'B')).toBe(true);
        await a.leases.renew('db', 'B');
        await waitFor('events', () => events.length >= 4);
        expect(events.map((e) => e.kind)).toEqual(['acquired', 'released', 'acquired', 'renewed']);
        expect(await a.leases.list()).toMatchObject([{ key: 'db', owner: 'B' }]);
      });
    });

    describe('nodes', () => {
      it('lists live nodes with their info; a node that stops heartbeating drops out within the TTL', async () => {
        const ttl = 1_500;
        const env = await setup({ nodes: { ttlMs: ttl } });
        const [a, b] = [await env.node(), await env.node()];
        await a.nodes.heartbeat('node-a', { databases: ['db1', 'db2'], pid: 1 });
        await b.nodes.heartbeat('node-b', { databases: ['db3'] });
        await b.nodes.heartbeat('node-c.x', {});
        expect((await a.nodes.list()).map((n) => [n.nodeId, n.info.databases])).toEqual([
          ['node-a', ['db1', 'db2']],
          ['node-b', ['db3']],
          ['node-c.x', undefined],
        ]);
        await b.nodes.remove('node-c.x');
        const t0 = Date.now();
        let goneAfter = 0;
        await waitFor('node-a expiry', async () => {
          await b.nodes.heartbeat('node-b', { databases: ['db3', 'db1'] });
          const ids = (await b.nodes.list()).map((n) => n.nodeId);
          if (!ids.includes('node-a')) goneAfter = Date.now() - t0;
          return goneAfter > 0;
        }, ttl + 3_000);
        expect(goneAfter).toBeLessThan(ttl + 5_000); // margin for a loaded 2-core CI machine
        expect(await a.nodes.list()).toMatchObject([{ nodeId: 'node-b', info: { databases: ['db3', 'db1'] } }]);
      });
    });

    describe('alerts', () => {
      it('fans out to every subscriber, filtered by database and event', async () => {
        const env = await setup();
        const [a, b] = [await env.node(), await env.node()];
        const all: Alert[] = [];
        const sales: Alert[] = [];
        const failed: Alert[] = [];
        await a.subscribeAlerts({}, (x) => void all.push(x));
        await b.subscribeAlerts({ database: 'sales.db' }, (x) => void sales.push(x));
        await b.subscribeAlerts({ event: 'refresh_failed' }, (x) => void failed.push(x));
        const published = await a.publishAlert('sales.db', 'refresh_failed', { pgt_schema: 'public', pgt_name: 'totals', st: 'public.totals', action: 'DIFFERENTIAL', error: 'boom' });
        expect(published).toMatchObject({ event: 'refresh_failed', database: 'sales.db', error: 'boom' });
        expect(Date.parse(published.at)).toBeGreaterThan(Date.now() - 10_000);
        await b.publishAlert('app', 'refresh_failed', { st: 'public.x', error: 'x' });
        await b.publishAlert('sales.db', 'stale_data', { st: 'public.totals', staleness_seconds: 12 });
        await waitFor('fan-out', () => all.length === 3 && sales.length === 2 && failed.length === 2);
        expect(all[0]).toEqual(published);
        expect(sales.map((x) => x.event)).toEqual(['refresh_failed', 'stale_data']);
        expect(failed.map((x) => x.database)).toEqual(['sales.db', 'app']);
      });

      it('replays the kept history to a new subscriber (replay: all), not with replay: new', async () => {
        const env = await setup();
        const a = await env.node();
        for (let i = 0; i < 3; i++) await a.publishAlert('app', 'refresh_completed', { st: `public.t${i}`, rows_inserted: i });
        await a.publishAlert('other', 'node_lost', { node: 'n1' });
        const b = await env.node();
        const replayed: Alert[] = [];
        const fresh: Alert[] = [];
        await b.subscribeAlerts({ database: 'app' }, (x) => void replayed.push(x), { replay: 'all' });
        await b.subscribeAlerts({ database: 'app' }, (x) => void fresh.push(x), { replay: 'new' });
        await waitFor('replay', () => replayed.length === 3);
        await sleep(100);
        expect(fresh).toEqual([]);
        await a.publishAlert('app', 'refresh_completed', { st: 'public.t9' });
        await waitFor('new alert', () => replayed.length === 4 && fresh.length === 1);
        expect(replayed.map((x) => x.st)).toEqual(['public.t0', 'public.t1', 'public.t2', 'public.t9']);
      });

      it('rejects an invalid alert on publish, and drops one on receive', async () => {
        const env = await setup();
        const a = await env.node();
        await expect(a.publishAlert('app', 'Not A Subject.Token')).rejects.toBeInstanceOf(InvalidMessageError);
        await expect(a.publishAlert('', 'refresh_failed')).rejects.toBeInstanceOf(InvalidMessageError);
        await expect(a.publishAlert('app', 'refresh_failed', { st: 5 } as never)).rejects.toThrow(/st/);
        const got: Alert[] = [];
        await a.subscribeAlerts({}, (x) => void got.push(x));
        await env.injectRawAlert('app', 'refresh_failed', new Uint8Array([0xc1]));
        await env.injectRawAlert('app', 'refresh_failed', (await import('../../src/bus/schemas.ts')).encodeUnchecked({ event: 'refresh_failed' }));
        await a.publishAlert('app', 'resumed', { previous_status: 'SUSPENDED' });
        await waitFor('valid alert', () => got.length === 1);
        expect(got[0]).toMatchObject({ event: 'resumed', previous_status: 'SUSPENDED' });
      });
    });

    it('close() is idempotent, later use throws, and status listeners hear closed', async () => {
      const env = await setup();
      const a = await env.node();
      const statuses: string[] = [];
      a.onStatus((s) => statuses.push(s.type));
      await a.close();
      await a.close();
      expect(statuses).toContain('closed');
      await expect(a.publishJob(job(1))).rejects.toThrow(/closed/);
    });
  });
}
