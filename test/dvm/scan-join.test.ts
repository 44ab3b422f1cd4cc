import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEAN, DvmHarness } from './harness.ts';

let h: DvmHarness;
beforeAll(async () => {
  h = await DvmHarness.create('scanjoin');
  await h.table('public', 'orders', 'id int PRIMARY KEY, cust int, amt numeric(10,2), note text');
  await h.table('public', 'customers', 'id int PRIMARY KEY, region text, name text');
  await h.exec(`INSERT INTO customers VALUES (1,'eu','a'),(2,'us','b'),(3,NULL,'c')`);
  await h.exec(`INSERT INTO orders SELECT g, 1 + g % 4, g * 1.5, 'n' || g FROM generate_series(1, 40) g`);
});
afterAll(async () => h?.drop());

describe('scan, filter, project, join', () => {
  it('filter/project over a keyed scan', async () => {
    const st = await h.streamTable(`SELECT id, amt * 2 AS dbl, upper(note) AS n FROM orders WHERE amt > 20`);
    expect(await h.oracle(st)).toEqual(CLEAN);
    await h.exec(`INSERT INTO orders VALUES (100, 1, 99, 'x'), (101, 2, 1, 'y')`);
    await h.exec(`UPDATE orders SET amt = 5 WHERE id = 30`);
    await h.exec(`UPDATE orders SET amt = 500 WHERE id = 2`);
    await h.exec(`UPDATE orders SET note = 'changed' WHERE id = 35`);
    await h.exec(`UPDATE orders SET id = 1000 WHERE id = 36`);
    await h.exec(`DELETE FROM orders WHERE id IN (37, 3)`);
    await h.refresh(st);
    expect(await h.oracle(st)).toEqual(CLEAN);
  });

  it('two-way join with key updates on both sides', async () => {
    const st = await h.streamTable(`SELECT o.id, c.region, o.amt FROM orders o JOIN customers c ON c.id = o.cust`);
    expect(await h.oracle(st)).toEqual(CLEAN);
    await h.exec(`BEGIN; UPDATE customers SET region = 'apac' WHERE id = 2; UPDATE orders SET cust = 3 WHERE id = 5; INSERT INTO customers VALUES (4, 'sa', 'd'); INSERT INTO orders VALUES (200, 4, 1, 'z'); DELETE FROM customers WHERE id = 1; DELETE FROM orders WHERE cust = 1 AND id < 10; COMMIT`);
    await h.refresh(st);
    expect(await h.oracle(st)).toEqual(CLEAN);
    await h.refresh(st);
    expect(await h.oracle(st)).toEqual(CLEAN);
  });
});
