/** The bus contract against a real nats-server (JetStream), plus NATS-only fault tests. */
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusConnectionError, busNames, createBus, type Bus, type JobDelivery } from '../../src/bus/index.ts';
import { busContract, job, sleep, waitFor } from './contract.ts';
import { startNatsServer, type NatsServer } from './nats-server.ts';

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

let counter = 0;
busContract('nats', async (settings) => {
  // A namespace per test: fresh streams, consumer and buckets on the shared server.
  const namespace = `t${++counter}`;
  const names = busNames(namespace);
  const raw = await connect({ servers: server.url });
  const js = jetstream(raw);
  return {
    node: () => createBus({ kind: 'nats', url: server.url, namespace, storage: 'memory', ...settings }),
    injectRawJob: async (database, data) => void (await js.publish(names.jobSubject(database), data)),
    injectRawAlert: async (database, event, data) => void (await js.publish(names.alertSubject(database, event), data)),
    dispose: () => raw.close(),
  };
});

describe('nats bus: faults', () => {
  it('fails fast with BusConnectionError when no server listens', async () => {
    await expect(createBus({ kind: 'nats', url: 'nats://127.0.0.1:1' })).rejects.toBeInstanceOf(BusConnectionError);
  });

  it('a nats-server restart loses no job: consumers resume, status events report it', async () => {
    await using own = await startNatsServer();
    const config = { kind: 'nats', url: own.url, reconnectWaitMs: 200, jobs: { ackWaitMs: 2_000 } } as const;
    const producer: Bus = await createBus(config);
    const worker: Bus = await createBus(config);
    const statuses: string[] = [];
    const producerStatuses: string[] = [];
    worker.onStatus((s) => statuses.push(s.type));
    producer.onStatus((s) => producerStatuses.push(s.type));
    try {
      const seen = new Set<number>();
      let deliveries = 0;
      const handler = async (d: JobDelivery) => {
        deliveries++;
        seen.add(d.job.pgtId);
        await d.ack();
      };
      await worker.consumeJobs(handler, { concurrency: 2, deadLetter: () => {} });
      for (let i = 1; i <= 10; i++) await producer.publishJob(job(i, `db${i % 3}`));
      await waitFor('first batch', () => seen.size === 10);
      // Stop the server with jobs in the stream and nobody to take them yet.
      await own.stop();
      await waitFor('disconnect noticed', () => statuses.includes('disconnected'));
      await own.start();
      await waitFor('reconnected', () => statuses.includes('reconnected') && producerStatuses.includes('reconnected'), 15_000);
      for (let i = 11; i <= 20; i++) await producer.publishJob(job(i, `db${i % 3}`));
      await waitFor('second batch after restart', () => seen.size === 20, 20_000);
      // File storage: jobs published, server restarted before any consumer, still there.
      const before = await createBus(config);
      await worker.close();
      for (let i = 21; i <= 25; i++) await before.publishJob(job(i));
      await own.restart();
      const late = await createBus(config);
      await late.consumeJobs(handler, { concurrency: 2, deadLetter: () => {} });
      await waitFor('jobs stored across the restart', () => seen.size === 25, 20_000);
      await sleep(300);
      expect(deliveries).toBe(25);
      await Promise.all([before.close(), late.close()]);
    } finally {
      await Promise.allSettled([producer.close(), worker.close()]);
    }
  });

  it('a lease bucket keeps its TTL as configured (bucket-level max_age)', async () => {
    const bus = await createBus({ kind: 'nats', url: server.url, namespace: 'ttlcheck', leases: { ttlMs: 2_000 }, nodes: { ttlMs: 3_000 } });
    const again = await createBus({ kind: 'nats', url: server.url, namespace: 'ttlcheck', leases: { ttlMs: 4_000 }, nodes: { ttlMs: 3_000 } });
    try {
      const raw = await connect({ servers: server.url });
      const { jetstreamManager } = await import('@nats-io/jetstream');
      const jsm = await jetstreamManager(raw);
      expect((await jsm.streams.info('KV_ttlcheck_leases')).config.max_age).toBe(4_000 * 1e6);
      expect((await jsm.streams.info('KV_ttlcheck_nodes')).config.max_age).toBe(3_000 * 1e6);
      await raw.close();
    } finally {
      await Promise.all([bus.close(), again.close()]);
    }
  });

  // Regression: list() used kv.keys(), which on nats-server 2.9 can wait
  // forever for "nothing pending" while entries expire (nats-server#3481); a
  // node's cluster loop and a CI run hung on it.
  it('lists leases and nodes promptly while entries expire and are rewritten', async () => {
    const bus = await createBus({ kind: 'nats', url: server.url, namespace: 'expiring', storage: 'file', leases: { ttlMs: 300 }, nodes: { ttlMs: 300 } });
    try {
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          // New keys, each written once: entries keep expiring during the scans.
          await bus.leases.acquire(`db${i}`, `owner${i % 3}`);
          await bus.nodes.heartbeat(`node${i}`, {});
          if (i % 10 === 0) await sleep(50);
        }
      })();
      const slowest = { ms: 0 };
      for (let round = 0; round < 150; round++) {
        const started = Date.now();
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`list() hung in round ${round}`)), 10_000).unref());
        const [leases, nodes] = await Promise.race([Promise.all([bus.leases.list(), bus.nodes.list()]), timeout]);
        slowest.ms = Math.max(slowest.ms, Date.now() - started);
        expect(leases.every((l) => l.expiresAt > started - 1_000)).toBe(true);
        expect(nodes.every((n) => n.expiresAt > started - 1_000)).toBe(true);
        await sleep(25);
      }
      writing = false;
      await writer;
      expect(slowest.ms).toBeLessThan(10_000);
    } finally {
      await bus.close();
    }
  });

  it('a job nobody takes is dropped after jobs.maxAgeMs (stranded jobs do not pile up)', async () => {
    const bus = await createBus({ kind: 'nats', url: server.url, namespace: 'jobage', storage: 'memory', jobs: { ackWaitMs: 200, maxDeliver: 1, maxAgeMs: 1_000 } });
    try {
      const { jetstreamManager } = await import('@nats-io/jetstream');
      const raw = await connect({ servers: server.url });
      const jsm = await jetstreamManager(raw);
      await bus.publishJob(job(1));
      expect((await jsm.streams.info(busNames('jobage').jobsStream)).state.messages).toBe(1);
      await waitFor('the stale job to expire', async () => (await jsm.streams.info(busNames('jobage').jobsStream)).state.messages === 0, 10_000);
      await raw.close();
    } finally {
      await bus.close();
    }
  });

  it('rejects a job max age that a retried job could outlive', async () => {
    await expect(createBus({ kind: 'nats', url: server.url, jobs: { ackWaitMs: 60_000, maxDeliver: 5, maxAgeMs: 60_000 } }))
      .rejects.toThrow(/jobs.maxAgeMs must be longer than jobs.ackWaitMs × jobs.maxDeliver/);
  });
});
