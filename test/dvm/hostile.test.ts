/**
 * Hostile identifiers (quotes, spaces, upper case, unicode, reserved words) in
 * schema, table, column, alias and stream-table names, through every operator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEAN, DvmHarness, type StreamTable } from './harness.ts';

const T = `"We""ird Schema"."Select ""Table"""`;
const U = `"We""ird Schema"."user"`;
const K = `"We""ird Schema"."Key less ü"`;

const QUERIES: Record<string, string> = {
  project: `SELECT "Order", upper("ünï col") AS "Ünï ""Upper""", "a""b" * 2 AS "select" FROM ${T} WHERE "group" > 1`,
  join: `SELECT "T t"."Order", u."Key Col" AS "from", u."Name" FROM ${T} AS "T t" JOIN ${U} AS u ON u."Key Col" = "T t"."group"`,
  aggregate: `SELECT "group", count(*) AS "Count ""n""", sum("a""b") AS "Σ", avg("a""b") AS "avg" FROM ${T} GROUP BY "group"`,
  having: `SELECT "group" AS "G", sum("a""b") AS "S" FROM ${T} GROUP BY "group" HAVING count(*) > 1`,
  distinct: `SELECT DISTINCT "ünï col" FROM ${T}`,
  union_all: `SELECT "Order" AS "Id ""x""" FROM ${T} UNION ALL SELECT "Key Col" FROM ${U}`,
  keyless: `SELECT "Wert ""v""", "Order" FROM ${K}`,
  cte: `WITH "Cte ""x""" AS (SELECT "Order" AS "O o", "group" FROM ${T}) SELECT c."O o" FROM "Cte ""x""" AS c JOIN ${U} ON "Key Col" = c."group"`,
  using: `SELECT * FROM ${T} JOIN (SELECT "Key Col" AS "group", "Name" FROM ${U}) AS s USING ("group")`,
};

let h: DvmHarness;
const st: Record<string, StreamTable> = {};

beforeAll(async () => {
  h = await DvmHarness.create('hostile');
  await h.table('We"ird Schema', 'Select "Table"', `"Order" int PRIMARY KEY, "ünï col" text, "a""b" numeric, "group" int`);
  await h.table('We"ird Schema', 'user', `"Key Col" int PRIMARY KEY, "Name" text`);
  await h.table('We"ird Schema', 'Key less ü', `"Wert ""v""" text, "Order" int`);
  await h.exec(`INSERT INTO ${T} SELECT g, 'ü' || (g % 3), g * 0.5, g % 4 FROM generate_series(1, 20) g`);
  await h.exec(`INSERT INTO ${U} VALUES (0, 'zero'), (1, 'one'), (2, 'two'), (3, 'three')`);
  await h.exec(`INSERT INTO ${K} VALUES ('a', 1), ('a', 1), ('b''"', 2)`);
  let n = 0;
  for (const [name, q] of Object.entries(QUERIES)) {
    n += 1;
    st[name] = await h.streamTable(q, { target: { schema: 'St "Schema" ü', name: `My "ST" ${n} select` } });
  }
});
afterAll(async () => h?.drop());

describe('hostile identifiers', () => {
  it('FULL and DIFFERENTIAL refreshes are correct', async () => {
    for (const [name, t] of Object.entries(st)) expect({ name, ...(await h.oracle(t)) }).toEqual({ name, ...CLEAN });
    await h.exec(`UPDATE ${T} SET "a""b" = "a""b" + 1, "group" = ("group" + 1) % 4 WHERE "Order" % 3 = 0`);
    await h.exec(`DELETE FROM ${T} WHERE "Order" = 7`);
    await h.exec(`INSERT INTO ${T} VALUES (100, 'new', 3, 2)`);
    await h.exec(`UPDATE ${U} SET "Name" = 'Zwei' WHERE "Key Col" = 2`);
    await h.exec(`INSERT INTO ${K} VALUES ('a', 1); DELETE FROM ${K} WHERE "Wert ""v""" = 'b''"'`);
    for (const [name, t] of Object.entries(st)) {
      await h.refresh(t);
      expect({ name, ...(await h.oracle(t)) }).toEqual({ name, ...CLEAN });
    }
  });
});
