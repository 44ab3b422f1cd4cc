/**
 * Visibility-correct frontiers (DESIGN D5): what a refresh consumes is exactly
 * what its snapshot sees and the previous frontier did not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeWindowPredicate, frontierAssignments } from '../src/refresh/statements.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

const QUERY = 'SELECT customer_id, count(*) AS orders, sum(amount) AS total FROM orders GROUP BY customer_id';

describe('frontiers', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`INSERT INTO orders (customer_id, amount) SELECT g % 3, g FROM generate_series(1, 30) g`);
    await db.query(`SELECT pgtrickle.create_stream_table('totals', $1, '1m', 'FULL')`, [QUERY]);
  });
  afterAll(async () => db.drop());

  it('late commit: a transaction that commits after a refresh is picked up by the next one', async () => {
    const writer = await db.connect();
    await writer.query('BEGIN');
    await writer.query(`INSERT INTO orders (customer_id, amount) VALUES (7, 700)`);
    // A refresh runs and commits while the writer's transaction is open.
    await db.query(`INSERT INTO orders (customer_id, amount) VALUES (8, 800)`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect(await db.query(`SELECT customer_id FROM totals WHERE customer_id IN (7, 8) ORDER BY 1`)).toEqual([{ customer_id: 8 }]);
    await writer.query('COMMIT');
    // The next refresh must include T's row.
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect(await db.query(`SELECT customer_id, total FROM totals WHERE customer_id = 7`)).toEqual([{ customer_id: 7, total: '700' }]);
    expect(await oracleDiff(db, 'totals', QUERY)).toEqual({ extra: [], missing: [] });
  });

  it('a refresh with nothing new is NO_DATA and leaves the contents alone', async () => {
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    const [last] = await db.query<{ action: string; delta_row_count: string }>(
      `SELECT action, delta_row_count FROM pgtrickle.pgt_refresh_history ORDER BY refresh_id DESC LIMIT 1`,
    );
    expect(last).toEqual({ action: 'NO_DATA', delta_row_count: '0' });
  });

  it('a refresh inside the writer\'s own transaction sees the writer\'s changes, and a rollback undoes both', async () => {
    const client = await db.connect();
    await client.query('BEGIN');
    await client.query(`INSERT INTO orders (customer_id, amount) VALUES (9, 900)`);
    await client.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect((await client.query(`SELECT total FROM totals WHERE customer_id = 9`)).rows).toEqual([{ total: '900' }]);
    await client.query('ROLLBACK');
    expect(await db.query(`SELECT total FROM totals WHERE customer_id = 9`)).toEqual([]);
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect(await oracleDiff(db, 'totals', QUERY)).toEqual({ extra: [], missing: [] });
  });

  it('a transaction that refreshes, writes more and commits has its later writes consumed', async () => {
    const client = await db.connect();
    await client.query('BEGIN');
    await client.query(`INSERT INTO orders (customer_id, amount) VALUES (21, 1)`);
    await client.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    await client.query(`INSERT INTO orders (customer_id, amount) VALUES (22, 2)`);
    await client.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect((await client.query(`SELECT customer_id FROM totals WHERE customer_id IN (21, 22) ORDER BY 1`)).rows)
      .toEqual([{ customer_id: 21 }, { customer_id: 22 }]);
    await client.query(`INSERT INTO orders (customer_id, amount) VALUES (23, 3)`);
    await client.query('COMMIT');
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect(await oracleDiff(db, 'totals', QUERY)).toEqual({ extra: [], missing: [] });
  });

  it('the SQL and TypeScript builders of the change window and the frontier advance agree', async () => {
    const [row] = await db.query<{ w: string; f: string }>(
      `SELECT pgtrickle._window_predicate_for('7', 1234, 'c') AS w, pgtrickle._frontier_assignments() AS f`);
    expect(row!.w).toBe(changeWindowPredicate(7, 1234, 'c'));
    expect(row!.f).toBe(frontierAssignments());
  });

  it('a second stream table created while a writer is in flight does not lose the writer', async () => {
    const writer = await db.connect();
    await writer.query('BEGIN');
    await writer.query(`INSERT INTO orders (customer_id, amount) VALUES (10, 1000)`);
    // orders is already captured, so creating a second consumer does not wait for the writer.
    await db.query(`SELECT pgtrickle.create_stream_table('totals_b', $1, '1m', 'FULL')`, [QUERY]);
    expect(await db.query(`SELECT * FROM totals_b WHERE customer_id = 10`)).toEqual([]);
    await writer.query('COMMIT');
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals_b')`);
    expect(await oracleDiff(db, 'totals_b', QUERY)).toEqual({ extra: [], missing: [] });
    await db.query(`SELECT pgtrickle.drop_stream_table('totals_b')`);
  });

  it('records the writer transaction id with every captured change', async () => {
    const client = await db.connect();
    await client.query('BEGIN');
    await client.query(`INSERT INTO orders (customer_id, amount) VALUES (11, 1), (11, 2)`);
    const [{ xid }] = (await client.query<{ xid: string }>(`SELECT pg_current_xact_id()::text AS xid`)).rows as [{ xid: string }];
    const relid = (await client.query<{ oid: number }>(`SELECT 'orders'::regclass::oid AS oid`)).rows[0]!.oid;
    const rows = (await client.query(`SELECT xid::text, action FROM pgtrickle_changes.changes_${relid} WHERE new_customer_id = 11`)).rows;
    await client.query('COMMIT');
    expect(rows).toEqual([{ xid, action: 'I' }, { xid, action: 'I' }]);
  });

  it('consumed changes are cleaned up once every consumer has passed them', async () => {
    const relid = (await db.query<{ oid: number }>(`SELECT 'orders'::regclass::oid AS oid`))[0]!.oid;
    await db.query(`SELECT pgtrickle.create_stream_table('totals_c', $1, '1m', 'FULL')`, [QUERY]);
    await db.query(`UPDATE orders SET amount = amount + 1 WHERE customer_id = 1`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    const pending = async () => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM pgtrickle_changes.changes_${relid}`))[0]!.n);
    expect(await pending()).toBeGreaterThan(0); // totals_c has not consumed them yet
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals_c')`);
    // Rows are deleted once the writer is older than every consumer's frontier xmin.
    // The xmin is cluster-wide (other test files' transactions hold it back), so
    // refresh until the horizon has passed the writer.
    await waitFor('the consumed rows to be deleted', async () => {
      await db.query(`SELECT pg_current_xact_id()`);
      await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
      await db.query(`SELECT pgtrickle.refresh_stream_table('totals_c')`);
      return (await pending()) === 0;
    });
    expect(await oracleDiff(db, 'totals_c', QUERY)).toEqual({ extra: [], missing: [] });
  });

  it('a suspended consumer holds its unconsumed changes back from cleanup', async () => {
    const relid = (await db.query<{ oid: number }>(`SELECT 'orders'::regclass::oid AS oid`))[0]!.oid;
    await db.query(`SELECT pgtrickle.alter_stream_table('totals_c', status => 'SUSPENDED')`);
    await db.query(`INSERT INTO orders (customer_id, amount) VALUES (12, 5)`);
    await db.query(`SELECT pg_current_xact_id()`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    const kept = await db.query(`SELECT 1 FROM pgtrickle_changes.changes_${relid} WHERE new_customer_id = 12`);
    expect(kept).toHaveLength(1);
    await db.query(`SELECT pgtrickle.resume_stream_table('totals_c')`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals_c')`);
    expect(await oracleDiff(db, 'totals_c', QUERY)).toEqual({ extra: [], missing: [] });
  });
});
