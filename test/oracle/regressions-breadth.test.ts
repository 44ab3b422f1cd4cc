/**
 * Named regressions of the breadth grammar (outer joins, sublinks, scalar
 * subqueries): every shrunk failure of breadth*.test.ts becomes one case
 * here, run through the real path (capture triggers, executor, installed plan).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OracleCase, Schema, Table } from './generators.ts';
import { OracleRunner } from './runner.ts';

let runner: OracleRunner;
beforeAll(async () => {
  runner = await OracleRunner.open();
});
afterAll(async () => {
  await runner?.close();
});

const table = (name: string, columns: [string, 'int' | 'text' | 'numeric' | 'bool', boolean?][], pk: string[] | null): Table => ({
  name,
  columns: columns.map(([n, type, notNull]) => ({ name: n, type, notNull: notNull ?? false })),
  pk,
});

function oracleCase(schema: Schema, data: string[], query: string, rounds: string[][]): OracleCase {
  return {
    schema,
    data,
    query: { sql: query, cols: [] },
    rounds: rounds.map((stmts) => ({ txns: [{ kind: 'autocommit', steps: stmts }], truncates: stmts.some((s) => /^TRUNCATE/i.test(s)) })),
  };
}

describe('breadth regressions (real system)', () => {
  it('the test of `x op ALL (subquery)` is the outer query\'s column even when the subquery has one of that name', async () => {
    // PostgreSQL 18 stores the query as `WHERE (i1 <> ALL (SELECT t2.k FROM a t2 …))`: `i1` is t1's,
    // but it was bound inside the subquery's scope (t2.i1).
    const schema = { tables: [table('a', [['k', 'int'], ['i1', 'int'], ['s1', 'text']], null)] };
    const status = await runner.runCase(oracleCase(schema,
      [`INSERT INTO a (k, i1, s1) VALUES (0, 2, 'c'), (NULL, NULL, 'a'), (3, NULL, 'c'), (NULL, 1, 'b'), (1, 0, NULL), (1, 2, NULL), (2, 2, 'a'), (0, 0, 'b')`],
      `SELECT t1.k AS o1 FROM a AS t1 WHERE (t1.i1 <> ALL (SELECT t2.k FROM a AS t2 WHERE (t2.i1 = t1.k) AND (t2.k BETWEEN 0 AND 3)))`,
      [[`UPDATE a SET k = (2 - 1), i1 = (k - 1) WHERE k IS NULL`, `INSERT INTO a (k, i1, s1) VALUES (NULL, 0, 'c')`], [`INSERT INTO a (k, i1, s1) VALUES (0, 1, 'b')`]]));
    expect(status).toBe('installed');
  });

  it('a correlated > ALL under GROUP BY, with rows moving into and out of the subquery', async () => {
    const schema = { tables: [table('a', [['k', 'int'], ['i1', 'int']], null), table('b', [['k', 'int'], ['i1', 'int'], ['i2', 'int']], null)] };
    const status = await runner.runCase(oracleCase(schema,
      [`INSERT INTO a (k, i1) VALUES (3, NULL)`, `INSERT INTO b (k, i1, i2) VALUES (0, 2, NULL), (2, 3, 1), (2, 0, 1)`],
      `SELECT sum(t1.i2) AS o1, sum(t1.i1) AS o2, t1.k AS o3, count((2.0 + t1.i1)) FILTER (WHERE COALESCE(t1.k IN (1, 0), false)) AS o4 FROM b AS t1 WHERE (t1.i2 > ALL (SELECT t2.i2 FROM b AS t2 WHERE (t2.i2 = t1.k))) GROUP BY t1.k`,
      [[`DELETE FROM a WHERE k IS NULL`],
        [`UPDATE b SET i1 = i2 WHERE NOT (k IS NOT NULL)`, `INSERT INTO b (k, i1, i2) VALUES (3, 0, NULL)`, `UPDATE b SET i1 = i2, k = 1 WHERE k IS NULL`, `TRUNCATE a`]]));
    expect(status).toBe('installed');
  });
});
