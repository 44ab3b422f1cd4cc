/**
 * IMMEDIATE mode (issue #4): the writing statement maintains the stream table
 * inside its own transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompilerPool } from '../src/compile/pool.ts';
import { compilePendingPlans } from '../src/compile/plans.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';

const TOTALS = `SELECT c.region, count(*) AS orders, sum(o.amount) AS revenue
  FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.region`;

describe('IMMEDIATE mode', () => {
  let db: TestDatabase;
  let compiler: CompilerPool;

  async function compilePending(): Promise<void> {
    const client = await db.connect();
    await compilePendingPlans(client, compiler);
    await client.end();
  }

  beforeAll(async () => {
    db = await freshDatabase();
    compiler = new CompilerPool();
    await db.query(`CREATE TABLE customers (id int PRIMARY KEY, region text)`);
    await db.query(`CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`INSERT INTO customers SELECT g, (ARRAY['north','south','east'])[1 + g % 3] FROM generate_series(1, 9) g`);
    await db.query(`INSERT INTO orders (customer_id, amount) SELECT 1 + g % 9, g FROM generate_series(1, 90) g`);
    await db.query(`SELECT pgtrickle.create_stream_table('live_totals', $1, refresh_mode => 'IMMEDIATE')`, [TOTALS]);
    await compilePending();
    await db.query(`UPDATE pgtrickle.pgt_stream_tables SET auto_threshold = 1000`); // tiny tables: stay differential
  });
  afterAll(async () => {
    await compiler.close();
    await db.drop();
  });

  it('is stored without a schedule and with a compiled plan', async () => {
    expect(await db.query(`SELECT s.schedule, s.refresh_mode, p.plan_kind FROM pgtrickle.pgt_stream_tables s JOIN pgtrickle.pgt_coord_plans p USING (pgt_id)`))
      .toEqual([{ schedule: null, refresh_mode: 'IMMEDIATE', plan_kind: 'COMPILED' }]);
  });

  it('the writer reads its own write inside the transaction', async () => {
    const client = await db.connect();
    await client.query('BEGIN');
    await client.query(`INSERT INTO orders (customer_id, amount) VALUES (1, 1000)`);
    const inside = (await client.query(`SELECT revenue FROM live_totals WHERE region = 'south'`)).rows;
    const expected = (await client.query(`SELECT sum(o.amount) AS revenue FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.region = 'south'`)).rows;
    expect(inside).toEqual(expected);
    await client.query('COMMIT');
    expect(await oracleDiff(db, 'live_totals', TOTALS)).toEqual({ extra: [], missing: [] });
  });

  it('several statements in one transaction, each visible to the next', async () => {
    const client = await db.connect();
    await client.query('BEGIN');
    await client.query(`INSERT INTO orders (customer_id, amount) VALUES (2, 1)`);
    await client.query(`UPDATE orders SET amount = amount + 1 WHERE customer_id = 2`);
    await client.query(`UPDATE customers SET region = 'west' WHERE id = 3`);
    await client.query(`DELETE FROM orders WHERE customer_id = 4`);
    expect((await client.query(`SELECT count(*)::int AS n FROM live_totals WHERE region = 'west'`)).rows).toEqual([{ n: 1 }]);
    await client.query('COMMIT');
    expect(await oracleDiff(db, 'live_totals', TOTALS)).toEqual({ extra: [], missing: [] });
  });

  it('ROLLBACK and ROLLBACK TO SAVEPOINT leave the stream table equal to its query', async () => {
    const client = await db.connect();
    await client.query('BEGIN');
    await client.query(`INSERT INTO orders (customer_id, amount) VALUES (5, 500)`);
    await client.query('ROLLBACK');
    expect(await oracleDiff(db, 'live_totals', TOTALS)).toEqual({ extra: [], missing: [] });
    await client.query('BEGIN');
    await client.query(`INSERT INTO orders (customer_id, amount) VALUES (5, 7)`);
    await client.query('SAVEPOINT s1');
    await client.query(`INSERT INTO orders (customer_id, amount) VALUES (6, 70000)`);
    await client.query(`DELETE FROM customers WHERE id = 7`);
    await client.query('ROLLBACK TO SAVEPOINT s1');
    await client.query(`INSERT INTO orders (customer_id, amount) VALUES (8, 8)`);
    const inside = (await client.query(`SELECT region, orders, revenue FROM live_totals ORDER BY region`)).rows;
    const truth = (await client.query(`${TOTALS} ORDER BY region`)).rows;
    expect(inside).toEqual(truth);
    await client.query('COMMIT');
    expect(await oracleDiff(db, 'live_totals', TOTALS)).toEqual({ extra: [], missing: [] });
  });

  it('two concurrent writers are serialised and both land', async () => {
    const [a, b] = [await db.connect(), await db.connect()];
    await a.query('BEGIN');
    await a.query(`INSERT INTO orders (customer_id, amount) VALUES (1, 11)`);
    await b.query('BEGIN');
    const second = b.query(`INSERT INTO orders (customer_id, amount) VALUES (2, 22)`); // waits for a
    await new Promise((r) => setTimeout(r, 200));
    await a.query('COMMIT');
    await second;
    await b.query('COMMIT');
    expect(await oracleDiff(db, 'live_totals', TOTALS)).toEqual({ extra: [], missing: [] });
  });

  it('TRUNCATE of a source is applied at once', async () => {
    await db.query(`CREATE TABLE notes (body text)`);
    await db.query(`INSERT INTO notes VALUES ('a'), ('b')`);
    await db.query(`SELECT pgtrickle.create_stream_table('note_count', 'SELECT count(*) AS n FROM notes', refresh_mode => 'IMMEDIATE')`);
    await compilePending();
    await db.query(`TRUNCATE notes`);
    expect(await db.query(`SELECT n FROM note_count`)).toEqual([{ n: '0' }]);
    await db.query(`INSERT INTO notes VALUES ('c')`);
    expect(await db.query(`SELECT n FROM note_count`)).toEqual([{ n: '1' }]);
  });

  it('mode switches in every direction keep the table equal to its query', async () => {
    const modes = ['FULL', 'IMMEDIATE', 'DIFFERENTIAL', 'IMMEDIATE', 'AUTO', 'FULL', 'DIFFERENTIAL', 'FULL', 'IMMEDIATE'];
    let n = 0;
    for (const mode of modes) {
      await db.query(`SELECT pgtrickle.alter_stream_table('live_totals', refresh_mode => $1)`, [mode]);
      await compilePending();
      n += 1;
      await db.query(`INSERT INTO orders (customer_id, amount) VALUES ($1, $2)`, [1 + (n % 9), n]);
      await db.query(`UPDATE orders SET customer_id = 1 + (customer_id % 9) WHERE id % 17 = $1`, [n % 17]);
      const refresh_mode = (await db.query<{ refresh_mode: string }>(`SELECT refresh_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'live_totals'`))[0]!.refresh_mode;
      expect(refresh_mode).toBe(mode === 'AUTO' ? 'DIFFERENTIAL' : mode);
      if (refresh_mode !== 'IMMEDIATE') await db.query(`SELECT pgtrickle.refresh_stream_table('live_totals')`);
      expect(await oracleDiff(db, 'live_totals', TOTALS), `after switching to ${mode}`).toEqual({ extra: [], missing: [] });
      const triggers = await db.query(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgname LIKE 'pgt_ivm_%'
        AND tgname LIKE '%_' || (SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'live_totals')`);
      expect(triggers).toEqual([{ n: refresh_mode === 'IMMEDIATE' ? 8 : 0 }]); // 4 per source, 2 sources
    }
  });

  it('regression: an IMMEDIATE stream table over another follows it once its whole MERGE is captured (no double count)', async () => {
    // Found by the IMMEDIATE oracle: the upstream's MERGE fired the downstream's
    // per-event trigger after its DELETE part, when its storage already held the
    // re-inserted row but the buffer did not, so the join counted a change twice.
    await db.query(`CREATE TABLE pa (id int, tag text, k int, s1 text, s2 text, PRIMARY KEY (id, tag))`);
    await db.query(`INSERT INTO pa VALUES (1, 'y', NULL, 'a', 'b'), (5, 'y', 2, 'b', 'a')`);
    const up = 'SELECT count(*) AS o1, count(*) + 1 AS o2 FROM (SELECT sum(t1.k) AS o3 FROM pa AS t1 HAVING count(*) > 0) AS s GROUP BY s.o3';
    const down = 'SELECT t3.k AS o1, t1.s2 AS o2 FROM (pa AS t1 JOIN up_counts AS t2 ON t1.id <= t2.o1) JOIN pa AS t3 ON t1.s1 = t3.s2';
    await db.query(`SELECT pgtrickle.create_stream_table('up_counts', $1, refresh_mode => 'IMMEDIATE')`, [up]);
    await db.query(`SELECT pgtrickle.create_stream_table('down_join', $1, refresh_mode => 'IMMEDIATE')`, [down]);
    await compilePending();
    await db.query(`SELECT pgtrickle.refresh_stream_table('up_counts')`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('down_join')`);
    await db.query(`INSERT INTO pa SELECT id + 1, tag, k, s1, s2 FROM pa`);
    expect(await oracleDiff(db, 'up_counts', up)).toEqual({ extra: [], missing: [] });
    expect(await oracleDiff(db, 'down_join', down)).toEqual({ extra: [], missing: [] });
    // the downstream is refreshed by the upstream's refresh, not by triggers on its storage
    expect(await db.query(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'up_counts'::regclass AND tgname LIKE 'pgt_ivm_%'`)).toEqual([]);
  });

  it('MERGE into a source of an IMMEDIATE stream table is refused with a clear error', async () => {
    await expect(db.query(`MERGE INTO pa USING (SELECT 9 AS id) s ON pa.id = s.id WHEN NOT MATCHED THEN INSERT (id, tag) VALUES (s.id, 'z')`))
      .rejects.toThrow(/MERGE into public\.pa is not supported while an IMMEDIATE stream table reads it/);
  });

  it('dropping an IMMEDIATE stream table removes its triggers', async () => {
    await db.query(`SELECT pgtrickle.drop_stream_table('note_count')`);
    expect(await db.query(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'notes'::regclass AND NOT tgisinternal`)).toEqual([]);
  });
});
