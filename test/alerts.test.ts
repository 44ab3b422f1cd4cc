/**
 * Alert delivery (issue #5): every alert type is seen on NATS
 * (pgtrickle.alerts.<database>.<event>, kept for replay) and through
 * LISTEN pg_trickle_alert, with the same documented payload.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createBus, type Alert, type Bus } from '../src/bus/index.ts';
import { CompilerPool } from '../src/compile/pool.ts';
import { loadConfig } from '../src/config.ts';
import { startCoordinator, type RunningCoordinator } from '../src/coordinator/coordinator.ts';
import { silentLogger } from '../src/log.ts';
import { startNatsServer, type NatsServer } from './bus/nats-server.ts';
import { freshDatabase, whileRefreshesTimeOut, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

describe('alerts on NATS and LISTEN', () => {
  let nats: NatsServer;
  let db: TestDatabase;
  let coordinator: RunningCoordinator;
  let observer: Bus;
  let listener: pg.Client;
  const onNats: Alert[] = [];
  const onListen: Record<string, unknown>[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    db = await freshDatabase();
    await db.adminQuery(`ALTER DATABASE ${db.name} SET pg_trickle.buffer_alert_threshold = '10'`);
    await db.query(`CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`INSERT INTO orders (customer_id, amount) SELECT g % 5, g FROM generate_series(1, 50) g`);
    listener = await db.connect();
    listener.on('notification', (m) => onListen.push(JSON.parse(m.payload!)));
    await listener.query('LISTEN pg_trickle_alert');
    observer = await createBus({ kind: 'nats', url: nats.url, name: 'observer', leases: { ttlMs: 3000 }, nodes: { ttlMs: 3000 } });
    await observer.subscribeAlerts({ database: db.name }, (a) => void onNats.push(a));
    coordinator = await startCoordinator(
      loadConfig({ database: [db.url], natsUrl: nats.url, schedulerIntervalMs: 200, nodeId: 'alerts-node', leaseTtlMs: 3000 }, {}),
      silentLogger,
    );
  }, 60_000);
  afterAll(async () => {
    await coordinator?.stop();
    await observer?.close();
    await nats?.stop();
    await db?.drop();
  });

  /** The alert arrived both ways, the NATS copy carrying every LISTEN field plus database and time. */
  async function seenBothWays(event: string, match: Record<string, unknown> = {}): Promise<void> {
    const matches = (a: Record<string, unknown>) => a.event === event && Object.entries(match).every(([k, v]) => a[k] === v);
    const viaListen = await waitFor(`${event} via LISTEN`, async () => onListen.find(matches));
    const viaNats = await waitFor(`${event} on NATS`, async () => onNats.find((a) => matches(a as Record<string, unknown>)));
    expect(viaNats).toMatchObject({ ...viaListen, database: db.name });
    expect(Date.parse(viaNats.at)).toBeGreaterThan(0);
  }

  it('database_leased when the node takes the database', async () => {
    await seenBothWays('database_leased', { node: 'alerts-node', reason: 'unowned' });
  });

  it('refresh_completed, refresh_failed and error_state, resumed', async () => {
    await db.query(`CREATE TABLE ratios (id int PRIMARY KEY, d int)`);
    await db.query(`INSERT INTO ratios VALUES (1, 2)`);
    await db.query(`SELECT pgtrickle.create_stream_table('inverse', 'SELECT id, 100 / d AS q FROM ratios', '1s', 'FULL')`);
    await db.query(`INSERT INTO ratios VALUES (2, 4)`);
    await seenBothWays('refresh_completed', { pgt_name: 'inverse' });
    await db.query(`INSERT INTO ratios VALUES (3, 0)`);
    // Identifiers and a SQLSTATE only: an error message may quote row values, and LISTEN needs no grant.
    await seenBothWays('refresh_failed', { pgt_name: 'inverse', sqlstate: '22012', retryable: false });
    await seenBothWays('error_state', { pgt_name: 'inverse' });
    await db.query(`DELETE FROM ratios WHERE d = 0`);
    await db.query(`SELECT pgtrickle.resume_stream_table('inverse')`);
    await seenBothWays('resumed', { pgt_name: 'inverse', previous_status: 'ERROR' });
  });

  it('refresh_mode_fallback for an AUTO query the compiler cannot maintain', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('rolled', 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY ROLLUP (customer_id)', '1m')`);
    await seenBothWays('refresh_mode_fallback', { pgt_name: 'rolled', to: 'FULL', code: 'grouping_sets' });
  });

  it('reinitialize_needed after source DDL', async () => {
    await db.query(`ALTER TABLE orders ADD COLUMN note text`);
    await seenBothWays('reinitialize_needed', { pgt_name: 'rolled' });
  });

  it('stale_data and buffer_growth_warning from the periodic checks', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('slow', 'SELECT id FROM orders', '1h', 'FULL')`);
    await db.query(`UPDATE pgtrickle.pgt_stream_tables SET data_timestamp = now() - interval '3 hours' WHERE pgt_name = 'slow'`);
    await seenBothWays('stale_data', { pgt_name: 'slow', schedule_seconds: 3600 });
    await db.query(`INSERT INTO orders (customer_id, amount) SELECT 1, g FROM generate_series(1, 200) g`);
    const relid = (await db.query<{ oid: number }>(`SELECT 'orders'::regclass::oid AS oid`))[0]!.oid;
    await db.adminQuery(`ANALYZE pgtrickle_changes.changes_${relid}`); // the buffer belongs to the catalog owner
    await seenBothWays('buffer_growth_warning', { slot_name: `changes_${relid}` });
  });

  it('auto_suspended after repeated retryable failures', async () => {
    await db.query(`CREATE TABLE locked (id int PRIMARY KEY)`);
    await db.query(`SELECT pgtrickle.create_stream_table('blocked', 'SELECT id FROM locked', '1s', 'FULL')`);
    await whileRefreshesTimeOut(db, 'locked', () => seenBothWays('auto_suspended', { pgt_name: 'blocked', consecutive_errors: 3 }));
  });

  it('pgtrickle alerts --nats-url follows the cluster\'s alert stream', async () => {
    const bin = path.resolve(import.meta.dirname, '../bin/pgtrickle.js');
    const child = spawn('node', [bin, '--format', 'json', 'alerts', '--nats-url', nats.url, '--database', db.name, '--replay']);
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    await waitFor('a replayed alert line', async () => stdout.includes('database_leased'), 30_000);
    child.kill('SIGINT');
    const first = JSON.parse(stdout.split('\n').find((l) => l.includes('database_leased'))!);
    expect(first).toMatchObject({ event: 'database_leased', database: db.name, node: 'alerts-node' });
  });

  it('replays kept alerts to a late subscriber', async () => {
    const late: Alert[] = [];
    const sub = await observer.subscribeAlerts({ database: db.name, event: 'database_leased' }, (a) => void late.push(a), { replay: 'all' });
    await waitFor('the replayed alert', async () => late.length > 0);
    await sub.close();
    expect(late[0]).toMatchObject({ event: 'database_leased', database: db.name, node: 'alerts-node' });
  });
});
