/**
 * Golden tests: the generated FULL and delta SQL of a handful of queries is
 * snapshotted under test/dvm/golden/ (review diffs when the compiler changes,
 * and bump COMPILER_VERSION), and the very same SQL is executed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEAN, DvmHarness, type StreamTable } from './harness.ts';

const GOLDEN: Record<string, string> = {
  filter_project: `SELECT id, amt * 2 AS doubled, coalesce(note, '-') AS note FROM orders WHERE amt > 10`,
  join: `SELECT o.id, c.region, o.amt FROM orders o JOIN customers c ON c.id = o.cust`,
  group_by: `SELECT cust, count(*) AS n, sum(amt) AS total, avg(amt) AS mean FROM orders GROUP BY cust`,
  join_aggregate: `SELECT c.region, count(*) AS n, sum(o.amt) AS total FROM orders o JOIN customers c ON c.id = o.cust GROUP BY c.region`,
  union_all: `SELECT id, 'order' AS kind FROM orders UNION ALL SELECT id, 'customer' FROM customers`,
  distinct: `SELECT DISTINCT region FROM customers`,
  keyless: `SELECT sku, price FROM items WHERE price > 0`,
  min_max: `SELECT cust, min(amt) AS lo, max(amt) AS hi, count(*) AS n FROM orders GROUP BY cust`,
  group_rescan: `SELECT cust, string_agg(note, ',' ORDER BY note) AS notes, count(DISTINCT amt) AS amounts FROM orders GROUP BY cust`,
  aggregate_in_plan: `SELECT cust, max(amt) AS hi FROM orders GROUP BY cust HAVING count(*) > 2`,
  union: `SELECT cust AS id FROM orders UNION SELECT id FROM customers`,
  intersect_all: `SELECT sku FROM items INTERSECT ALL SELECT note FROM orders`,
  except: `SELECT id FROM customers EXCEPT SELECT cust FROM orders`,
  topk: `SELECT id, amt FROM orders ORDER BY amt DESC, id LIMIT 3`,
  window: `SELECT id, cust, sum(amt) OVER (PARTITION BY cust ORDER BY id) AS running, rank() OVER (PARTITION BY cust ORDER BY amt DESC) AS r FROM orders`,
  left_join: `SELECT c.id, c.region, o.id AS oid FROM customers c LEFT JOIN orders o ON o.cust = c.id`,
  full_join: `SELECT c.id, o.id AS oid FROM customers c FULL JOIN orders o ON o.cust = c.id`,
  semi_join: `SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cust = c.id AND o.amt > 10)`,
  anti_join_not_in: `SELECT id FROM customers WHERE id NOT IN (SELECT cust FROM orders WHERE amt > 15)`,
  scalar_subquery: `SELECT id, amt FROM orders WHERE amt > (SELECT avg(amt) FROM orders)`,
  correlated_scalar: `SELECT c.id, (SELECT count(*) FROM orders o WHERE o.cust = c.id) AS n FROM customers c`,
};

let h: DvmHarness;
const st: Record<string, StreamTable> = {};

beforeAll(async () => {
  h = await DvmHarness.create('golden');
  await h.table('public', 'orders', 'id int PRIMARY KEY, cust int, amt numeric(10,2), note text');
  await h.table('public', 'customers', 'id int PRIMARY KEY, region text');
  await h.table('public', 'items', 'order_id int, sku text, price numeric');
  await h.exec(`INSERT INTO customers VALUES (1, 'eu'), (2, 'us'), (3, NULL)`);
  await h.exec(`INSERT INTO orders SELECT g, 1 + g % 3, g, CASE WHEN g % 2 = 0 THEN 'n' END FROM generate_series(1, 20) g`);
  await h.exec(`INSERT INTO items VALUES (1, 'a', 1), (1, 'a', 1), (2, 'b', 2), (3, 'c', 0)`);
  for (const [name, q] of Object.entries(GOLDEN)) st[name] = await h.streamTable(q);
});
afterAll(async () => h?.drop());

function normalise(t: StreamTable, sql: string): string {
  let out = sql;
  for (const s of t.input.sources) {
    out = out.replaceAll(`changes_${s.relid}`, `changes_<${s.name}>`).replaceAll(`${s.relid}::oid`, `<${s.name}>::oid`);
  }
  return out;
}

describe('golden SQL', () => {
  for (const name of Object.keys(GOLDEN)) {
    it(name, async () => {
      const t = st[name]!;
      const text = [
        `-- query: ${t.query}`,
        `-- strategy: ${t.plan.strategy}; hidden: ${t.plan.hiddenColumns.map((c) => `${c.name} ${c.type}`).join(', ') || 'none'}`,
        ...t.plan.operatorTree.split('\n').map((l) => `-- ${l}`),
        '',
        '-- FULL',
        normalise(t, t.plan.fullSelectSql) + ';',
        '',
        '-- DELTA',
        normalise(t, t.plan.deltaSelectSql) + ';',
        '',
      ].join('\n');
      await expect(text).toMatchFileSnapshot(`golden/${name}.sql`);

      await h.refresh(t); // catch up with the previous tests' changes
      expect(await h.oracle(t)).toEqual(CLEAN);
      await h.exec(`UPDATE orders SET amt = amt + 1, cust = 3 WHERE id % 4 = 0; DELETE FROM orders WHERE id = 5; INSERT INTO orders VALUES (${100 + Object.keys(GOLDEN).indexOf(name)}, 2, 50, NULL)`);
      await h.exec(`UPDATE customers SET region = 'eu' WHERE id = 3; INSERT INTO items VALUES (1, 'a', 1); DELETE FROM items WHERE sku = 'b'`);
      await h.refresh(t);
      expect(await h.oracle(t)).toEqual(CLEAN);
    });
  }
});
