/**
 * Three coordinator processes, one real nats-server, twelve databases under
 * continuous DML (issue #5): each database is scheduled by exactly one node;
 * kill -9 of a node hands its databases to the others within the lease TTL;
 * after the writers stop every stream table equals its query.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createBus, type Alert, type Bus } from '../src/bus/index.ts';
import { databaseKey } from '../src/coordinator/cluster.ts';
import { startNatsServer, type NatsServer } from './bus/nats-server.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/pgtrickle.js');
const DATABASES = Number(process.env.PGTRICKLE_CLUSTER_DATABASES ?? 12);
const LEASE_TTL_MS = 3000;
const QUERIES = {
  totals: 'SELECT customer_id, count(*) AS n, sum(amount) AS total FROM orders GROUP BY customer_id',
  big: 'SELECT id, customer_id, amount FROM orders WHERE amount > 50',
};

interface Node {
  id: string;
  child: ChildProcess;
  output: string;
}

describe('a three-node cluster over NATS', () => {
  let nats: NatsServer;
  let observer: Bus;
  const dbs: TestDatabase[] = [];
  const nodes: Node[] = [];
  const alerts: Alert[] = [];
  let configFile: string;
  let writersStop = false;
  let writers: Promise<void>[] = [];

  function startNode(id: string): Node {
    const args = [BIN, 'start', '--config', configFile, '--nats-url', nats.url, '--node-id', id, ...dbs.flatMap((d) => ['--database', d.url])];
    const child = spawn('node', args, { env: { ...process.env, PGTRICKLE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const node: Node = { id, child, output: '' };
    child.stdout!.on('data', (d) => (node.output += String(d)));
    child.stderr!.on('data', (d) => (node.output += String(d)));
    nodes.push(node);
    return node;
  }

  beforeAll(async () => {
    nats = await startNatsServer();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtrickle-cluster-'));
    configFile = path.join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({
      logLevel: 'warn',
      pg_trickle: { scheduler_interval_ms: 300, max_concurrent_refreshes: 1 },
      cluster: { leaseTtlMs: LEASE_TTL_MS, jobAckWaitMs: 5000 },
    }));
    for (let i = 0; i < DATABASES; i++) {
      const db = await freshDatabase();
      await db.query(`CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, amount numeric)`);
      await db.query(`INSERT INTO orders (customer_id, amount) SELECT g % 10, g % 100 FROM generate_series(1, 500) g`);
      for (const [name, q] of Object.entries(QUERIES)) {
        await db.query(`SELECT pgtrickle.create_stream_table($1, $2, '1s', 'DIFFERENTIAL')`, [name, q]);
      }
      await db.query(`UPDATE pgtrickle.pgt_stream_tables SET auto_threshold = 1000`);
      dbs.push(db);
    }
    observer = await createBus({ kind: 'nats', url: nats.url, name: 'observer', leases: { ttlMs: LEASE_TTL_MS }, nodes: { ttlMs: LEASE_TTL_MS } });
    await observer.subscribeAlerts({}, (a) => void alerts.push(a));
    for (const id of ['node-a', 'node-b', 'node-c']) startNode(id);
  }, 180_000);

  afterAll(async () => {
    writersStop = true;
    await Promise.allSettled(writers);
    for (const n of nodes) n.child.kill('SIGKILL');
    await observer?.close();
    await nats?.stop();
    for (const db of dbs) await db.drop().catch(() => {});
  });

  const owners = async () => new Map((await observer.leases.list()).map((l) => [l.key, l.owner]));

  it('spreads the databases evenly: each is scheduled by exactly one node', async () => {
    const started = Date.now();
    await waitFor('all databases to be leased', async () => (await owners()).size === DATABASES, 60_000);
    console.log(`cluster: all ${DATABASES} databases leased after ${Date.now() - started} ms`);
    await waitFor('an even spread', async () => {
      const counts = new Map<string, number>();
      for (const owner of (await owners()).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
      // floor(D/3) each, one more for the first D mod 3 nodes
      return counts.size === 3 && [...counts.values()].every((c) => c === Math.floor(DATABASES / 3) || c === Math.ceil(DATABASES / 3));
    }, 30_000);
    console.log(`cluster: even spread after ${Date.now() - started} ms`);
    const leased = await owners();
    expect([...leased.keys()].sort()).toEqual(dbs.map((d) => databaseKey(d.url)).sort());
    // Exactly one scheduler session per database.
    for (const db of dbs) {
      await waitFor(`one scheduler on ${db.name}`, async () =>
        (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pg_trickle scheduler'`))[0]!.n === 1);
    }
  });

  it('keeps the stream tables following under continuous DML', async () => {
    writers = dbs.map(async (db, i) => {
      const client: pg.Client = await db.connect();
      let n = 0;
      while (!writersStop) {
        n += 1;
        await client.query(`INSERT INTO orders (customer_id, amount) VALUES ($1, $2)`, [n % 10, (n * 7 + i) % 100]).catch(() => {});
        if (n % 3 === 0) await client.query(`UPDATE orders SET amount = amount + 1, customer_id = (customer_id + 1) % 10 WHERE id = $1`, [1 + ((n * 13) % 500)]).catch(() => {});
        if (n % 5 === 0) await client.query(`DELETE FROM orders WHERE id = $1`, [1 + ((n * 17) % 500)]).catch(() => {});
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    await waitFor('DIFFERENTIAL refreshes on every database', async () => {
      for (const db of dbs) {
        const rows = await db.query(`SELECT 1 FROM pgtrickle.pgt_refresh_history WHERE action = 'DIFFERENTIAL' AND initiated_by = 'SCHEDULER' LIMIT 1`);
        if (rows.length === 0) return false;
      }
      return true;
    }, 60_000);
  });

  it('kill -9 of a node: its databases are taken over within the lease TTL', async () => {
    const before = await owners();
    const victim = nodes[0]!;
    const victimDatabases = [...before.entries()].filter(([, o]) => o === victim.id).map(([k]) => k);
    expect(victimDatabases.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await waitFor('the victim\'s databases to be re-leased', async () => {
      const now = await owners();
      return victimDatabases.every((k) => now.has(k) && now.get(k) !== victim.id);
    }, 20_000);
    const takeoverMs = Date.now() - killedAt;
    // Lease TTL plus one heartbeat period and a scheduling margin.
    expect(takeoverMs).toBeLessThan(LEASE_TTL_MS * 2 + 5000); // wide margin: a loaded 2-core CI machine stalls
    const after = await owners();
    expect(after.size).toBe(DATABASES);
    expect(new Set(after.values())).toEqual(new Set(['node-b', 'node-c']));
    await waitFor('database_leased alerts for the taken-over databases', async () =>
      victimDatabases.every((k) => alerts.some((a) => a.event === 'database_leased' && k.endsWith(`/${a.database}`) && a.node !== victim.id
        && a.previous_node === victim.id && a.reason === 'previous_owner_lost')), 20_000);
    const run = promisify(execFile);
    const { stdout } = await run('node', [BIN, 'nodes', '--nats-url', nats.url, '--format', 'json']);
    await waitFor('the dead node to drop out of the node list', async () => {
      const { stdout: s } = await run('node', [BIN, 'nodes', '--nats-url', nats.url, '--format', 'json']);
      const listed = (JSON.parse(s) as { node: string }[]).map((r) => r.node).sort();
      return listed.join(',') === 'node-b,node-c';
    }, 20_000);
    expect(JSON.parse(stdout).length).toBeGreaterThanOrEqual(2);
  });

  it('after the writers stop, every stream table in every database equals its query', async () => {
    writersStop = true;
    await Promise.all(writers);
    for (const db of dbs) {
      for (const [name, q] of Object.entries(QUERIES)) {
        await waitFor(`${db.name}.${name} to converge`, async () => {
          const diff = await oracleDiff(db, name, q);
          return diff.extra.length === 0 && diff.missing.length === 0;
        }, 60_000);
      }
      const unhealthy = await db.query(`SELECT pgt_name, status, last_error_message FROM pgtrickle.pgt_stream_tables WHERE status <> 'ACTIVE'`);
      expect(unhealthy).toEqual([]);
      // No refresh applied twice: refreshes of one stream table never overlapped,
      // whichever node ran them (with the oracle above: no gap either).
      const overlapping = await db.query(`
        SELECT a.refresh_id, b.refresh_id FROM pgtrickle.pgt_refresh_history a
          JOIN pgtrickle.pgt_refresh_history b ON a.pgt_id = b.pgt_id AND a.refresh_id < b.refresh_id
         WHERE a.status = 'COMPLETED' AND b.status = 'COMPLETED' AND a.action <> 'NO_DATA' AND b.action <> 'NO_DATA'
           AND tstzrange(a.start_time, a.end_time) && tstzrange(b.start_time, b.end_time)`);
      expect(overlapping).toEqual([]);
    }
  });
});
