/**
 * DDL on sources (issue #4): compatible changes re-derive the plan, incompatible
 * ones are refused or put the stream table in ERROR with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { CompilerPool } from '../src/compile/pool.ts';
import { compilePendingPlans } from '../src/compile/plans.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

describe('DDL on sources', () => {
  let db: TestDatabase;
  let compiler: CompilerPool;
  let listener: pg.Client;
  const alerts: Record<string, unknown>[] = [];

  async function compilePending(): Promise<void> {
    const client = await db.connect();
    await compilePendingPlans(client, compiler);
    await client.end();
  }
  const lastAction = async (name: string) =>
    (await db.query<{ action: string }>(`SELECT h.action FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)
      WHERE s.pgt_name = $1 ORDER BY refresh_id DESC LIMIT 1`, [name]))[0]?.action;
  const statusOf = async (name: string) =>
    (await db.query(`SELECT status, last_error_message FROM pgtrickle.pgt_stream_tables WHERE pgt_name = $1`, [name]))[0];

  beforeAll(async () => {
    db = await freshDatabase();
    compiler = new CompilerPool();
    listener = await db.connect();
    listener.on('notification', (m) => alerts.push(JSON.parse(m.payload!)));
    await listener.query('LISTEN pg_trickle_alert');
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric, note text)`);
    await db.query(`INSERT INTO orders SELECT g, g % 4, g, 'n' || g FROM generate_series(1, 40) g`);
    await db.query(`SELECT pgtrickle.create_stream_table('totals', 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id', '1m', 'DIFFERENTIAL')`);
    await compilePending();
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    await db.query(`UPDATE pgtrickle.pgt_stream_tables SET auto_threshold = 1000`);
  });
  afterAll(async () => {
    await compiler.close();
    await db.drop();
  });

  it('ADD COLUMN is compatible: capture grows, the plan is re-derived, the next refresh is a full one', async () => {
    await db.query(`ALTER TABLE orders ADD COLUMN region text DEFAULT 'north'`);
    const oid = (await db.query<{ oid: number }>(`SELECT 'orders'::regclass::oid AS oid`))[0]!.oid;
    const cols = await db.query<{ attname: string }>(`SELECT attname FROM pg_attribute WHERE attrelid = 'pgtrickle_changes.changes_${oid}'::regclass AND attname LIKE '%region'`);
    expect(cols.map((c) => c.attname).sort()).toEqual(['new_region', 'old_region']);
    await db.query(`INSERT INTO orders VALUES (100, 1, 5, 'x', 'south')`);
    await compilePending();
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect(await lastAction('totals')).toBe('REINITIALIZE');
    await db.query(`UPDATE orders SET amount = amount + 1 WHERE id = 100`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect(await lastAction('totals')).toBe('DIFFERENTIAL');
    expect(await oracleDiff(db, 'totals', 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id')).toEqual({ extra: [], missing: [] });
    expect(alerts.some((a) => a.event === 'reinitialize_needed' && a.pgt_name === 'totals')).toBe(true);
  });

  it('changing the type of a column the query does not read is compatible', async () => {
    await db.query(`ALTER TABLE orders ALTER COLUMN note TYPE varchar(20)`);
    await db.query(`INSERT INTO orders VALUES (101, 2, 7, 'y', 'east')`);
    await compilePending();
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect(await oracleDiff(db, 'totals', 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id')).toEqual({ extra: [], missing: [] });
  });

  it('renaming a used column and the table is followed', async () => {
    await db.query(`ALTER TABLE orders RENAME COLUMN amount TO price`);
    await db.query(`ALTER TABLE orders RENAME TO purchases`);
    const [row] = await db.query<{ defining_query: string }>(`SELECT defining_query FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'totals'`);
    expect(row!.defining_query).toMatch(/sum\((purchases\.)?price\)/); // PostgreSQL 18 drops the qualifier of a lone table
    expect(row!.defining_query).toMatch(/FROM public\.purchases/);
    await db.query(`INSERT INTO purchases VALUES (102, 3, 9, 'z', 'west')`);
    await compilePending();
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    await db.query(`UPDATE purchases SET price = price * 2 WHERE id < 10`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect(await lastAction('totals')).toBe('DIFFERENTIAL');
    expect(await oracleDiff(db, 'totals', 'SELECT customer_id, sum(price) AS total FROM purchases GROUP BY customer_id')).toEqual({ extra: [], missing: [] });
  });

  it('dropping or retyping a used column is refused; with CASCADE the stream table goes to ERROR with the reason', async () => {
    await expect(db.query(`ALTER TABLE purchases DROP COLUMN price`)).rejects.toThrow(/cannot drop column price of table purchases because other objects depend on it/);
    await expect(db.query(`ALTER TABLE purchases ALTER COLUMN price TYPE int`)).rejects.toThrow(/cannot alter type of a column used by a view or rule/);
    await db.query(`ALTER TABLE purchases DROP COLUMN price CASCADE`);
    expect(await statusOf('totals')).toEqual({ status: 'ERROR', last_error_message: expect.stringMatching(/^upstream table schema changed/) });
    await waitFor('a reinitialize_needed alert', async () => alerts.some((a) => a.event === 'reinitialize_needed' && String(a.reason).startsWith('upstream table schema changed')));
    // The writer is never blocked by the broken stream table.
    await db.query(`INSERT INTO purchases (id, customer_id) VALUES (500, 1)`);
    // Fixing the query brings it back.
    await db.query(`SELECT pgtrickle.alter_stream_table('totals', query => 'SELECT customer_id, count(*) AS total FROM purchases GROUP BY customer_id')`);
    expect(await statusOf('totals')).toEqual({ status: 'ACTIVE', last_error_message: null });
    expect(await oracleDiff(db, 'totals', 'SELECT customer_id, count(*) AS total FROM purchases GROUP BY customer_id')).toEqual({ extra: [], missing: [] });
  });

  it('dropping a source table is refused; with CASCADE its stream tables (and theirs) go to ERROR and capture is removed', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('big', 'SELECT customer_id, total FROM totals WHERE total > 1', '1m', 'FULL')`);
    await expect(db.query(`DROP TABLE purchases`)).rejects.toThrow(/cannot drop table purchases because other objects depend on it/);
    const oid = (await db.query<{ oid: number }>(`SELECT 'purchases'::regclass::oid AS oid`))[0]!.oid;
    await db.query(`DROP TABLE purchases CASCADE`);
    expect(await statusOf('totals')).toEqual({ status: 'ERROR', last_error_message: 'upstream table dropped: public.purchases' });
    expect(await statusOf('big')).toEqual({ status: 'ERROR', last_error_message: 'an upstream stream table failed: upstream table dropped: public.purchases' });
    expect(await db.query(`SELECT to_regclass('pgtrickle_changes.changes_${oid}') AS t`)).toEqual([{ t: null }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM pgtrickle.pgt_change_tracking WHERE source_relid = $1`, [oid])).toEqual([{ n: 0 }]);
    await expect(db.query(`SELECT pgtrickle.refresh_stream_table('totals')`)).rejects.toThrow(/is in error state/);
  });

  it('dropping a stream table\'s storage directly forgets the stream table', async () => {
    await db.query(`CREATE TABLE items (id int PRIMARY KEY)`);
    await db.query(`SELECT pgtrickle.create_stream_table('item_copy', 'SELECT id FROM items', '1m', 'FULL')`);
    await db.query(`DROP TABLE item_copy`);
    expect(await db.query(`SELECT count(*)::int AS n FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'item_copy'`)).toEqual([{ n: 0 }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'items'::regclass AND NOT tgisinternal`)).toEqual([{ n: 0 }]);
  });
});
