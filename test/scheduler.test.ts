/**
 * The coordinator's scheduler against a real database: schedules, the same
 * executor as the manual path, failure handling and alerts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { startCoordinator, type RunningCoordinator } from '../src/coordinator/coordinator.ts';
import { silentLogger } from '../src/log.ts';
import { freshDatabase, oracleDiff, whileRefreshesTimeOut, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

describe('scheduler', () => {
  let db: TestDatabase;
  let coordinator: RunningCoordinator;
  let listener: pg.Client;
  const alerts: Record<string, unknown>[] = [];

  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`INSERT INTO orders (customer_id, amount) SELECT g % 5, g FROM generate_series(1, 50) g`);
    listener = await db.connect();
    listener.on('notification', (m) => alerts.push(JSON.parse(m.payload!)));
    await listener.query('LISTEN pg_trickle_alert');
    const config = loadConfig({ database: [db.url], schedulerIntervalMs: 200 }, {});
    coordinator = await startCoordinator(config, silentLogger);
  });
  afterAll(async () => {
    await coordinator.stop();
    await db.drop();
  });

  const totals = 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id';

  it('refreshes a 1s stream table after inserts, recording SCHEDULER history', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('order_totals', $1, '1s', 'FULL')`, [totals]);
    await db.query(`INSERT INTO orders (customer_id, amount) VALUES (42, 4200)`);
    await waitFor('order_totals to show customer 42', async () =>
      (await db.query(`SELECT 1 FROM order_totals WHERE customer_id = 42`)).length === 1);
    expect(await oracleDiff(db, 'order_totals', totals)).toEqual({ extra: [], missing: [] });
    const history = await db.query(`SELECT action, h.status, initiated_by FROM pgtrickle.pgt_refresh_history h
      JOIN pgtrickle.pgt_stream_tables s USING (pgt_id) WHERE s.pgt_name = 'order_totals' AND initiated_by = 'SCHEDULER'`);
    expect(history).toContainEqual({ action: 'FULL', status: 'COMPLETED', initiated_by: 'SCHEDULER' });
    await waitFor('a refresh_completed alert', async () => alerts.some((a) => a.event === 'refresh_completed' && a.pgt_name === 'order_totals'));
  });

  it('a calculated stream table refreshes when its sources change', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('order_count', 'SELECT count(*) AS n FROM orders')`);
    await db.query(`INSERT INTO orders (customer_id, amount) VALUES (1, 1)`);
    await waitFor('order_count to follow', async () =>
      (await oracleDiff(db, 'order_count', 'SELECT count(*) AS n FROM orders')).missing.length === 0);
  });

  it('a cron schedule (every second, 6 fields) refreshes', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('order_max', 'SELECT max(amount) AS m FROM orders', '* * * * * *', 'FULL')`);
    await db.query(`INSERT INTO orders (customer_id, amount) VALUES (1, 99999)`);
    await waitFor('order_max to follow', async () => (await db.query(`SELECT 1 FROM order_max WHERE m = 99999`)).length === 1);
  });

  it('a stream table created with initialize => false is populated by the scheduler', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('late_start', 'SELECT id FROM orders WHERE amount > 40', '1m', 'FULL', initialize => false)`);
    expect(await db.query(`SELECT status, is_populated FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'late_start'`))
      .toEqual([{ status: 'INITIALIZING', is_populated: false }]);
    await waitFor('late_start to become ACTIVE', async () =>
      (await db.query(`SELECT 1 FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'late_start' AND status = 'ACTIVE'`)).length === 1);
    expect(await oracleDiff(db, 'late_start', 'SELECT id FROM orders WHERE amount > 40')).toEqual({ extra: [], missing: [] });
  });

  it('a permanent error puts the stream table in ERROR with its message and an alert; alter clears it', async () => {
    await db.query(`CREATE TABLE ratios (id int PRIMARY KEY, d int)`);
    await db.query(`INSERT INTO ratios VALUES (1, 2)`);
    await db.query(`SELECT pgtrickle.create_stream_table('inverse', 'SELECT id, 100 / d AS q FROM ratios', '1s', 'FULL')`);
    await db.query(`INSERT INTO ratios VALUES (2, 0)`);
    const [row] = await waitFor('inverse to enter ERROR', async () => {
      const rows = await db.query(`SELECT status, last_error_message, consecutive_errors FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'inverse' AND status = 'ERROR'`);
      return rows.length ? rows : null;
    });
    expect(row).toMatchObject({ status: 'ERROR', last_error_message: 'division by zero' });
    const failed = await db.query(`SELECT h.status, error_message FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)
       WHERE s.pgt_name = 'inverse' AND h.status = 'FAILED'`);
    expect(failed).toEqual([{ status: 'FAILED', error_message: 'division by zero (SQLSTATE 22012)' }]);
    await waitFor('refresh_failed and error_state alerts', async () =>
      alerts.some((a) => a.event === 'refresh_failed' && a.pgt_name === 'inverse' && a.sqlstate === '22012' && !('error' in a)) &&
      alerts.some((a) => a.event === 'error_state' && a.pgt_name === 'inverse'));
    // No retries while in ERROR.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await db.query(`SELECT count(*)::int AS n FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)
       WHERE s.pgt_name = 'inverse' AND h.status = 'FAILED'`)).toEqual([{ n: 1 }]);
    await db.query(`DELETE FROM ratios WHERE d = 0`);
    await db.query(`SELECT pgtrickle.alter_stream_table('inverse', schedule => '2s')`);
    await waitFor('inverse to recover', async () =>
      (await db.query(`SELECT 1 FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'inverse' AND status = 'ACTIVE' AND consecutive_errors = 0 AND last_error_message IS NULL`)).length === 1);
  });

  it('retryable errors back off and suspend after max_consecutive_errors, with an alert', async () => {
    await db.query(`CREATE TABLE locked_source (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO locked_source VALUES (1)`);
    await db.query(`SELECT pgtrickle.create_stream_table('blocked', 'SELECT id FROM locked_source', '1s', 'FULL')`);
    await whileRefreshesTimeOut(db, 'locked_source', () =>
      waitFor('blocked to be SUSPENDED', async () =>
        (await db.query(`SELECT 1 FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'blocked' AND status = 'SUSPENDED' AND consecutive_errors = 3`)).length === 1,
        30_000).then(() => {}));
    await waitFor('an auto_suspended alert', async () => alerts.some((a) => a.event === 'auto_suspended' && a.pgt_name === 'blocked'));
    await db.query(`SELECT pgtrickle.resume_stream_table('blocked')`);
    await waitFor('blocked to follow after resume', async () =>
      (await oracleDiff(db, 'blocked', 'SELECT id FROM locked_source')).missing.length === 0);
  });

  it('stops cleanly', async () => {
    await coordinator.stop();
    expect(coordinator.sessions.every((s) => s.state === 'stopped')).toBe(true);
    coordinator = await startCoordinator(loadConfig({ database: [db.url], schedulerIntervalMs: 200 }, {}), silentLogger);
  });
});
