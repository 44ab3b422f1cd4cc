/**
 * A refresh after a small change must touch only the changed keys: the
 * differential statement's plan has no sequential scan of a source table or of
 * the storage (structural check on EXPLAIN, not a timing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEAN, DvmHarness, type StreamTable } from './harness.ts';

const QUERIES: Record<string, string> = {
  scan: `SELECT id, amt FROM orders WHERE amt > 10`,
  join: `SELECT o.id, c.region, o.amt FROM orders o JOIN customers c ON c.id = o.cust`,
  join3: `SELECT o.id, c.region, i.sku FROM orders o JOIN customers c ON c.id = o.cust JOIN items i ON i.order_id = o.id`,
  aggregate: `SELECT cust, count(*) AS n, sum(amt) AS total, avg(amt) AS mean FROM orders GROUP BY cust`,
  join_aggregate: `SELECT c.id, count(*) AS n, sum(o.amt) AS total FROM orders o JOIN customers c ON c.id = o.cust GROUP BY c.id`,
  having: `SELECT cust, sum(amt) AS total FROM orders GROUP BY cust HAVING count(*) > 2`,
  distinct: `SELECT DISTINCT cust, qty FROM orders`,
  keyless: `SELECT sku, price FROM items`,
};

let h: DvmHarness;
const st: Record<string, StreamTable> = {};

beforeAll(async () => {
  h = await DvmHarness.create('indexuse');
  await h.table('public', 'orders', 'id int PRIMARY KEY, cust int, amt numeric(10,2), qty int');
  await h.table('public', 'customers', 'id int PRIMARY KEY, region text');
  await h.table('public', 'items', 'order_id int, sku text, price numeric');
  await h.exec(`ALTER TABLE orders DISABLE TRIGGER USER; ALTER TABLE customers DISABLE TRIGGER USER; ALTER TABLE items DISABLE TRIGGER USER`);
  await h.exec(`INSERT INTO customers SELECT g, 'r' || (g % 50) FROM generate_series(1, 20000) g`);
  await h.exec(`INSERT INTO orders SELECT g, 1 + g % 20000, g % 1000, g % 7 FROM generate_series(1, 100000) g`);
  await h.exec(`INSERT INTO items SELECT g % 100000, 's' || (g % 1000), g % 10 FROM generate_series(1, 50000) g`);
  await h.exec(`CREATE INDEX ON orders (cust); CREATE INDEX ON items (order_id)`);
  await h.exec(`ALTER TABLE orders ENABLE TRIGGER USER; ALTER TABLE customers ENABLE TRIGGER USER; ALTER TABLE items ENABLE TRIGGER USER`);
  for (const [name, q] of Object.entries(QUERIES)) st[name] = await h.streamTable(q);
  await h.exec(`UPDATE orders SET amt = amt + 1 WHERE id % 1000 = 7; UPDATE customers SET region = 'x' WHERE id % 1000 = 3;
                UPDATE items SET price = price + 1 WHERE order_id % 1000 = 5; INSERT INTO items VALUES (1, 'new', 1)`);
  await h.exec('ANALYZE');
});
afterAll(async () => h?.drop());

describe('a 0.1% change is applied through indexes', () => {
  for (const name of Object.keys(QUERIES)) {
    it(name, async () => {
      const t = st[name]!;
      const plan = (await h.exec(`EXPLAIN ${t.plan.differentialSql}`)).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      // Sources must be probed through indexes. The MERGE target is not checked: at
      // this size (20k stored groups) a hash join over the storage is legitimately
      // cheaper than ~70 index probes, and the planner's choice flips with row
      // estimates; bench/refresh measures the target side at 1M rows.
      const seqScans = plan.split('\n').filter((l) => /Seq Scan on (orders|customers|items)\b/.test(l));
      expect(seqScans, plan).toEqual([]);
      await h.refresh(t);
      expect(await h.oracle(t)).toEqual(CLEAN);
    });
  }
});
