/** Aggregate state types (float, interval via the output type), FILTER, expressions, USING with `o.*`. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEAN, DvmHarness, type StreamTable } from './harness.ts';

const QUERIES = [
  `SELECT 1 AS one FROM orders`,
  `SELECT DISTINCT 1 AS one FROM orders`,
  `SELECT o.* FROM orders o JOIN customers c USING (id)`,
  `SELECT * FROM (SELECT * FROM orders) AS s WHERE s.qty = 1`,
  `SELECT cust FROM orders GROUP BY 1 HAVING sum(amt) > 10`,
  `SELECT sum(amt) FILTER (WHERE qty > 0) AS s, count(*) FILTER (WHERE qty = 0) AS c FROM orders`,
  `SELECT cust, avg(f) AS af, sum(f) AS sf FROM orders GROUP BY cust`,
  `SELECT cust, sum(ts - '2024-01-01'::timestamptz) AS total_age, avg(ts - '2024-01-01'::timestamptz) AS mean_age FROM orders GROUP BY cust`,
  `SELECT count(*) AS n FROM orders, customers`,
  `SELECT date_trunc('day', ts) AS d, count(*) FROM orders GROUP BY 1`,
  `WITH x AS (SELECT cust, amt FROM orders) SELECT cust, amt FROM x WHERE amt > 3 UNION ALL SELECT cust, amt FROM x WHERE amt <= 3`,
];

let h: DvmHarness;
const sts: StreamTable[] = [];

beforeAll(async () => {
  h = await DvmHarness.create('expressions');
  await h.table('public', 'orders', 'id int PRIMARY KEY, cust int, amt numeric(10,2), qty int, f float8, ts timestamptz');
  await h.table('public', 'customers', 'id int PRIMARY KEY, region text');
  await h.exec(`INSERT INTO customers VALUES (1,'a'),(2,'b')`);
  await h.exec(`INSERT INTO orders SELECT g, g % 3, g, g % 2, g / 4.0, '2024-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 12) g`);
  for (const q of QUERIES) sts.push(await h.streamTable(q));
});
afterAll(async () => h?.drop());

describe('expressions and aggregate state types', () => {
  it('stay exact through updates, deletes and key changes', async () => {
    await h.exec(`UPDATE orders SET amt = amt * 2, qty = 1 - qty, f = f + 0.25, ts = ts + interval '30 min' WHERE id % 3 = 0;
                  DELETE FROM orders WHERE id = 4; INSERT INTO orders VALUES (50, 1, 5, 0, 0.5, '2024-02-01'); UPDATE customers SET id = 3 WHERE id = 2`);
    for (const st of sts) {
      await h.refresh(st);
      expect({ q: st.query, ...(await h.oracle(st)) }).toEqual({ q: st.query, ...CLEAN });
    }
  });
});
