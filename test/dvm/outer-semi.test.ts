/**
 * Outer joins, semi/anti joins (EXISTS, IN, NOT IN, ANY, ALL) and scalar
 * subqueries, FULL then DIFFERENTIAL through DML batches that give rows their
 * first match, take their last one away and bring NULL keys in and out; each
 * step checked by the oracle (query = storage both ways, row ids = FULL's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEAN, DvmHarness, type StreamTable } from './harness.ts';

const QUERIES: Record<string, string> = {
  left_join: `SELECT c.id, c.region, o.id AS oid, o.amt FROM customers c LEFT JOIN orders o ON o.cust = c.id`,
  left_join_one_side_condition: `SELECT c.id, o.id AS oid FROM customers c LEFT JOIN orders o ON o.cust = c.id AND c.tier > 1`,
  left_join_non_equi: `SELECT c.id, t.tier FROM customers c LEFT JOIN tiers t ON c.tier < t.tier`,
  right_join: `SELECT o.id AS oid, c.id, c.region FROM orders o RIGHT JOIN customers c ON o.cust = c.id AND o.qty > 1`,
  full_join: `SELECT c.id, c.tier, t.tier AS ttier, t.label FROM customers c FULL JOIN tiers t ON t.tier = c.tier`,
  left_join_using: `SELECT * FROM customers LEFT JOIN tiers USING (tier)`,
  three_way_mixed: `SELECT o.id, c.region, t.label FROM orders o JOIN customers c ON c.id = o.cust LEFT JOIN tiers t ON t.tier = c.tier`,
  left_then_left: `SELECT c.id, o.id AS oid, i.sku FROM customers c LEFT JOIN orders o ON o.cust = c.id AND o.amt > 60 LEFT JOIN items i ON i.order_id = o.id`,
  nested_parenthesised: `SELECT c.id, o.id AS oid, t.label FROM customers c LEFT JOIN (orders o JOIN tiers t ON t.tier = o.qty) ON o.cust = c.id`,
  left_join_aggregate: `SELECT c.id, count(o.id) AS n, count(*) AS rows, sum(o.amt) AS total FROM customers c LEFT JOIN orders o ON o.cust = c.id GROUP BY c.id`,
  q13_shape: `SELECT c_count, count(*) AS custdist FROM (SELECT c.id, count(o.id) AS c_count FROM customers c LEFT JOIN orders o ON o.cust = c.id AND o.note NOT LIKE '%2%' GROUP BY c.id) s GROUP BY c_count`,
  keyless_left_join: `SELECT i.sku, o.cust FROM items i LEFT JOIN orders o ON o.id = i.order_id`,
  full_join_keyless: `SELECT i.sku, t.label FROM items i FULL JOIN tiers t ON t.tier = i.order_id`,
  exists: `SELECT c.id, c.region FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cust = c.id AND o.qty = 3)`,
  not_exists: `SELECT c.id FROM customers c WHERE NOT EXISTS (SELECT * FROM orders o WHERE o.cust = c.id)`,
  exists_two_columns: `SELECT o.id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = o.cust AND c.tier = o.qty)`,
  uncorrelated_exists: `SELECT t.tier FROM tiers t WHERE EXISTS (SELECT 1 FROM items WHERE price > 2)`,
  in_subquery: `SELECT c.id FROM customers c WHERE c.tier IN (SELECT qty FROM orders WHERE amt > 80)`,
  not_in_with_nulls: `SELECT c.id FROM customers c WHERE c.tier NOT IN (SELECT qty FROM orders WHERE amt < 30)`,
  not_in_keyless: `SELECT sku FROM items WHERE order_id NOT IN (SELECT cust FROM orders)`,
  any_less: `SELECT c.id FROM customers c WHERE c.tier < ANY (SELECT qty FROM orders WHERE cust = 1)`,
  all_greater: `SELECT c.id FROM customers c WHERE c.tier >= ALL (SELECT qty FROM orders WHERE cust = 2)`,
  not_all: `SELECT c.id FROM customers c WHERE NOT (c.tier >= ALL (SELECT qty FROM orders WHERE cust = 2))`,
  row_in: `SELECT o.id FROM orders o WHERE (o.cust, o.qty) IN (SELECT id, tier FROM customers)`,
  correlated_in: `SELECT c.id FROM customers c WHERE c.tier IN (SELECT o.qty FROM orders o WHERE o.cust = c.id)`,
  correlated_not_in: `SELECT c.id FROM customers c WHERE c.tier NOT IN (SELECT o.qty FROM orders o WHERE o.cust = c.id)`,
  in_grouped_subquery: `SELECT c.id FROM customers c WHERE c.id IN (SELECT cust FROM orders GROUP BY cust HAVING count(*) > 12)`,
  nested_sublinks: `SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cust = c.id AND o.qty IN (SELECT tier FROM tiers WHERE label <> 'gold'))`,
  semi_under_aggregate: `SELECT c.region, count(*) AS n FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cust = c.id) GROUP BY c.region`,
  semi_with_comma_join: `SELECT c.id, t.label FROM customers c, tiers t WHERE c.tier = t.tier AND c.id NOT IN (SELECT cust FROM orders WHERE cust IS NOT NULL AND qty = 0)`,
  scalar_where: `SELECT o.id FROM orders o WHERE o.amt > (SELECT avg(amt) FROM orders)`,
  scalar_select: `SELECT c.id, (SELECT count(*) FROM orders) AS total FROM customers c`,
  correlated_scalar_where: `SELECT o.id FROM orders o WHERE o.amt < (SELECT 0.5 * avg(o2.amt) FROM orders o2 WHERE o2.cust = o.cust)`,
  correlated_scalar_count: `SELECT c.id, (SELECT count(*) FROM orders o WHERE o.cust = c.id) AS n FROM customers c`,
  correlated_scalar_sum_null: `SELECT c.id, (SELECT sum(o.qty) FROM orders o WHERE o.cust = c.tier) AS s FROM customers c`,
  scalar_having: `SELECT cust, sum(amt) AS total FROM orders GROUP BY cust HAVING sum(amt) > (SELECT sum(amt) * 0.2 FROM orders)`,
  values_join: `SELECT c.id, v.label FROM customers c JOIN (VALUES (1, 'one'), (2, 'two'), (NULL, 'none')) AS v(tier, label) ON v.tier = c.tier`,
  values_left_join: `SELECT v.t, c.id FROM (VALUES (1), (2), (9), (2)) AS v(t) LEFT JOIN customers c ON c.tier = v.t`,
  from_less_union: `SELECT id, region FROM customers UNION ALL SELECT 0, 'constant'`,
  from_less_cross: `SELECT c.id, k.x FROM customers c CROSS JOIN (SELECT 42 AS x) k`,
  scalar_in_grouped_select: `SELECT cust, count(*) AS n, (SELECT count(*) FROM customers) AS c FROM orders GROUP BY cust`,
};

let h: DvmHarness;
const st: Record<string, StreamTable> = {};

beforeAll(async () => {
  h = await DvmHarness.create('outer_semi');
  await h.table('public', 'orders', 'id int PRIMARY KEY, cust int, amt numeric(10,2), qty int, note text');
  await h.table('public', 'customers', 'id int PRIMARY KEY, region text, tier int');
  await h.table('public', 'tiers', 'tier int PRIMARY KEY, label text');
  await h.table('public', 'items', 'order_id int, sku text, price numeric');
  await h.exec(`INSERT INTO tiers VALUES (1, 'bronze'), (2, 'silver'), (3, 'gold'), (7, 'unused')`);
  await h.exec(`INSERT INTO customers VALUES (1,'eu',1),(2,'us',2),(3,NULL,3),(4,'eu',NULL),(5,'apac',2),(6,'none',9)`);
  await h.exec(`INSERT INTO orders SELECT g, 1 + g % 5, g * 1.5, g % 4, CASE WHEN g % 7 = 0 THEN NULL ELSE 'Note' || (g % 3) END FROM generate_series(1, 60) g`);
  await h.exec(`INSERT INTO orders VALUES (61, NULL, 5, NULL, 'nullkey')`);
  await h.exec(`INSERT INTO items SELECT g % 20, 'sku' || (g % 6), (g % 4) * 0.5 FROM generate_series(1, 50) g`);
  await h.exec(`INSERT INTO items SELECT 1, 'sku1', 0.5 FROM generate_series(1, 3)`);
  await h.exec(`INSERT INTO items VALUES (NULL, 'nokey', 1)`);
  for (const [name, q] of Object.entries(QUERIES)) st[name] = await h.streamTable(q);
});
afterAll(async () => h?.drop());

const BATCHES: [string, string][] = [
  ['first matches', `INSERT INTO orders VALUES (100, 6, 99, 3, 'x'), (101, 6, 1, 1, NULL), (102, 9, 5, NULL, 'Note1');
               INSERT INTO customers VALUES (9, 'latam', 7), (10, NULL, NULL); INSERT INTO items VALUES (100, 'sku1', 0.5), (100, 'sku1', 0.5), (7, 'new', 3)`],
  ['value updates', `UPDATE orders SET amt = amt + 7 WHERE id % 3 = 0; UPDATE orders SET note = NULL WHERE id % 5 = 0; UPDATE orders SET qty = NULL WHERE id = 4;
               UPDATE customers SET region = 'us', tier = 3 WHERE id = 1; UPDATE items SET price = price + 1 WHERE sku = 'sku2'`],
  ['key updates', `UPDATE orders SET cust = 3 WHERE id BETWEEN 10 AND 20; UPDATE orders SET id = id + 1000 WHERE id BETWEEN 30 AND 33;
               UPDATE customers SET tier = 3 WHERE id = 2; UPDATE customers SET id = 11 WHERE id = 5; UPDATE items SET order_id = NULL WHERE order_id = 3;
               UPDATE tiers SET tier = 4 WHERE tier = 3`],
  ['last matches lost', `DELETE FROM orders WHERE cust = 6; DELETE FROM orders WHERE id % 4 = 1; DELETE FROM customers WHERE id = 4;
               DELETE FROM items WHERE sku = 'sku1' AND order_id = 100; DELETE FROM tiers WHERE tier = 1`],
  ['many changes to one row in one window', `BEGIN; UPDATE orders SET amt = 1 WHERE id = 2; UPDATE orders SET amt = 2000 WHERE id = 2; UPDATE orders SET cust = 1 WHERE id = 2;
               INSERT INTO orders VALUES (500, 2, 3, 3, 'tmp'); DELETE FROM orders WHERE id = 500; INSERT INTO customers VALUES (77, 'x', 1); DELETE FROM customers WHERE id = 77;
               INSERT INTO items VALUES (1, 'gone', 1); DELETE FROM items WHERE sku = 'gone'; COMMIT`],
  ['a NULL enters the NOT IN subquery', `UPDATE orders SET qty = NULL WHERE id = 6; INSERT INTO orders VALUES (600, NULL, 1, NULL, NULL)`],
  ['and leaves', `DELETE FROM orders WHERE cust IS NULL OR qty IS NULL`],
  ['everything deleted', `DELETE FROM orders; DELETE FROM items`],
  ['refill', `INSERT INTO orders SELECT g, 1 + g % 3, g, g % 3, 'r' || (g % 2) FROM generate_series(1, 30) g; INSERT INTO items SELECT 1, 'sku1', 1 FROM generate_series(1, 4); INSERT INTO tiers VALUES (1, 'again')`],
];

describe('outer joins, semi/anti joins and scalar subqueries through DML batches', () => {
  it('FULL refresh matches the query', async () => {
    for (const [name, t] of Object.entries(st)) expect({ name, ...(await h.oracle(t)) }).toEqual({ name, ...CLEAN });
  });

  for (const [label, dml] of BATCHES) {
    it(`DIFFERENTIAL after ${label}`, async () => {
      await h.exec(dml);
      for (const [name, t] of Object.entries(st)) {
        await h.refresh(t);
        expect({ name, ...(await h.oracle(t)) }).toEqual({ name, ...CLEAN });
      }
    });
  }
});
