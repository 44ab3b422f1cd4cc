/**
 * Property: for random DML (small key domains, NULLs, duplicate rows, key
 * changes, several changes per row in one window) every operator's stream
 * table equals its query after each DIFFERENTIAL refresh.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEAN, DvmHarness, type StreamTable } from './harness.ts';

const QUERIES: Record<string, string> = {
  filter: `SELECT id, v FROM a WHERE v > 1 OR v IS NULL`,
  project_no_key: `SELECT k, v FROM a`,
  join_many_to_many: `SELECT a.id, b.id AS bid, a.v, b.w FROM a JOIN b ON a.k = b.k`,
  keyless_join: `SELECT c.v, b.w FROM c JOIN b ON b.k = c.k`,
  self_join_keyless: `SELECT x.v AS xv, y.v AS yv FROM c x JOIN c y ON x.k = y.k`,
  group_by: `SELECT k, count(*) AS n, sum(v) AS s, avg(v) AS m, count(v) AS nv FROM a GROUP BY k`,
  keyless_group_by: `SELECT k, count(*) AS n, sum(v) AS s FROM c GROUP BY k`,
  scalar: `SELECT count(*) AS n, sum(v) AS s, avg(v) AS m FROM c`,
  having: `SELECT k, sum(v) AS s FROM a GROUP BY k HAVING count(*) >= 2`,
  distinct: `SELECT DISTINCT k, v FROM c`,
  union_all: `SELECT k, v FROM a UNION ALL SELECT k, v FROM c`,
  agg_subquery_join: `SELECT b.id, s.n FROM b JOIN (SELECT k, count(*) AS n FROM a GROUP BY k) s ON s.k = b.k`,
  distinct_subquery_join: `SELECT b.id, d.v FROM b JOIN (SELECT DISTINCT k, v FROM c) d ON d.k = b.k`,
  cte_join_aggregate: `WITH j AS (SELECT a.k, a.v FROM a JOIN b ON b.k = a.k) SELECT k, count(*) AS n, sum(v) AS s FROM j GROUP BY k`,
};

const key = fc.option(fc.integer({ min: 1, max: 4 }), { nil: null, freq: 5 });
const val = fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 5 });
const id = fc.integer({ min: 1, max: 12 });
const lit = (x: number | null): string => (x === null ? 'NULL' : String(x));

const op = fc.oneof(
  fc.tuple(id, key, val).map(([i, k, v]) => `INSERT INTO a VALUES (${i}, ${lit(k)}, ${lit(v)}) ON CONFLICT DO NOTHING`),
  fc.tuple(id, key, val).map(([i, k, v]) => `UPDATE a SET k = ${lit(k)}, v = ${lit(v)} WHERE id = ${i}`),
  fc.tuple(id, id).map(([i, j]) => `UPDATE a SET id = ${j} WHERE id = ${i} AND NOT EXISTS (SELECT 1 FROM a WHERE id = ${j})`),
  id.map((i) => `DELETE FROM a WHERE id = ${i}`),
  fc.tuple(id, key).map(([i, k]) => `INSERT INTO b VALUES (${i}, ${lit(k)}, 'w${i}') ON CONFLICT (id) DO UPDATE SET k = EXCLUDED.k`),
  id.map((i) => `DELETE FROM b WHERE id = ${i}`),
  fc.tuple(key, val).map(([k, v]) => `INSERT INTO c VALUES (${lit(k)}, ${lit(v)})`),
  fc.tuple(key, val).map(([k, v]) => `INSERT INTO c VALUES (${lit(k)}, ${lit(v)}), (${lit(k)}, ${lit(v)})`),
  key.map((k) => `DELETE FROM c WHERE ctid = (SELECT ctid FROM c WHERE k IS NOT DISTINCT FROM ${lit(k)} LIMIT 1)`),
  fc.tuple(key, val).map(([k, v]) => `UPDATE c SET v = ${lit(v)} WHERE k IS NOT DISTINCT FROM ${lit(k)}`),
);
const batch = fc.record({ ops: fc.array(op, { minLength: 1, maxLength: 8 }), transaction: fc.boolean() });

let h: DvmHarness;
const st: Record<string, StreamTable> = {};

beforeAll(async () => {
  h = await DvmHarness.create('property');
  await h.table('public', 'a', 'id int PRIMARY KEY, k int, v int');
  await h.table('public', 'b', 'id int PRIMARY KEY, k int, w text');
  await h.table('public', 'c', 'k int, v int');
  for (const [name, q] of Object.entries(QUERIES)) st[name] = await h.streamTable(q);
});
afterAll(async () => h?.drop());

describe('random DML', () => {
  it('every stream table equals its query after each refresh', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 4 }), async (batches) => {
        await h.exec(`DELETE FROM a; DELETE FROM b; DELETE FROM c`);
        for (const t of Object.values(st)) await h.full(t);
        for (const b of batches) {
          const sql = b.ops.join(';\n');
          await h.exec(b.transaction ? `BEGIN;\n${sql};\nCOMMIT` : sql);
          for (const [name, t] of Object.entries(st)) {
            await h.refresh(t);
            expect({ name, ...(await h.oracle(t)) }).toEqual({ name, ...CLEAN });
          }
        }
      }),
      { numRuns: 15, endOnFailure: true },
    );
  });
});
