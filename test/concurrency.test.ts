/**
 * Writers running while refreshes run (issue #2): after the writers stop and
 * one last refresh, every stream table equals its query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { startWriters } from './helpers/writers.ts';

const QUERIES: Record<string, string> = {
  per_customer: 'SELECT customer_id, count(*) AS orders, sum(amount) AS total FROM orders GROUP BY customer_id',
  big_orders: 'SELECT id, customer_id, amount FROM orders WHERE amount > 50',
  grand_total: 'SELECT count(*) AS orders, sum(amount) AS total FROM orders',
};

describe('concurrent writers during FULL refreshes', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`INSERT INTO orders SELECT g, g % 20, g % 100 FROM generate_series(1, 2000) g`);
    for (const [name, q] of Object.entries(QUERIES)) {
      await db.query(`SELECT pgtrickle.create_stream_table($1, $2, '1s', 'FULL')`, [name, q]);
    }
  });
  afterAll(async () => db.drop());

  it('stays equal to its query while four writers commit, roll back and race the refreshes', async () => {
    const writerClients = await Promise.all([1, 2, 3, 4].map(() => db.connect()));
    const refresher = await db.connect();
    const writers = startWriters(writerClients);
    const refreshes: string[] = [];
    const deadline = Date.now() + 4000;
    while (Date.now() < deadline) {
      for (const name of Object.keys(QUERIES)) {
        const { rows } = await refresher.query(`SELECT pgtrickle._refresh((pgtrickle._find_stream_table($1)).pgt_id, 'MANUAL') AS a`, [name]);
        refreshes.push(rows[0].a);
      }
    }
    await writers.stop();
    expect(writers.stats.committed).toBeGreaterThan(20);
    expect(refreshes.filter((a) => a === 'FULL').length).toBeGreaterThan(3);
    for (const name of Object.keys(QUERIES)) {
      await db.query(`SELECT pgtrickle.refresh_stream_table($1)`, [name]);
      expect(await oracleDiff(db, name, QUERIES[name]!)).toEqual({ extra: [], missing: [] });
    }
    // Nothing is pending after the final refresh: every committed change was consumed.
    for (const name of Object.keys(QUERIES)) {
      const rows = await db.query<{ pending: boolean }>(
        `SELECT pgtrickle._has_pending_changes(pgt_id) AS pending FROM pgtrickle.pgt_stream_tables WHERE pgt_name = $1`, [name]);
      expect(rows).toEqual([{ pending: false }]);
    }
  });

  it('two sessions refreshing the same stream table at once serialise and both succeed', async () => {
    const [a, b] = [await db.connect(), await db.connect()];
    await db.query(`INSERT INTO orders VALUES (99999999, 1, 1)`);
    await a.query('BEGIN');
    await a.query(`SELECT pgtrickle.refresh_stream_table('per_customer')`);
    const second = b.query(`SELECT pgtrickle.refresh_stream_table('per_customer')`); // waits for a
    await new Promise((r) => setTimeout(r, 200));
    await db.query(`INSERT INTO orders VALUES (99999998, 2, 2)`);
    await a.query('COMMIT');
    await second;
    expect(await oracleDiff(db, 'per_customer', QUERIES.per_customer!)).toEqual({ extra: [], missing: [] });
  });

  it('the scheduler path skips a stream table whose refresh is in progress', async () => {
    const a = await db.connect();
    await a.query('BEGIN');
    await a.query(`SELECT pgtrickle.refresh_stream_table('big_orders')`);
    const rows = await db.query<{ action: string }>(
      `SELECT pgtrickle._refresh(pgt_id, 'SCHEDULER') AS action FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'big_orders'`);
    await a.query('COMMIT');
    expect(rows).toEqual([{ action: 'SKIPPED' }]);
  });
});
