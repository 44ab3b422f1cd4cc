/**
 * Structural equality of expressions (ast.ts `canonical`) must ignore every
 * field that records a position in the query text, or GROUP BY matching and
 * aggregate sharing fail for the same expression written twice.
 * Found by the oracle: `SELECT (k IN (1, 2)) … GROUP BY (k IN (1, 2))` was
 * rejected as ungrouped_column (PostgreSQL 18 records IN-list spans).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { canonical, parseQuery } from '../../src/dvm/ast.ts';
import { compile, initDvm } from '../../src/dvm/index.ts';
import { input } from '../dvm/fixtures.ts';

beforeAll(async () => {
  await initDvm();
});

const targetAndGroup = (q: string): [string, string] => {
  const sel = parseQuery(q)[0]!.SelectStmt;
  return [canonical(sel.targetList[0].ResTarget.val), canonical(sel.groupClause[0])];
};

describe('canonical expressions', () => {
  for (const e of [`cust IN (1, 2)`, `note NOT IN ('a', 'b')`, `ARRAY[cust, 1] = ARRAY[2, qty]`, `ROW(cust, 1) = ROW(2, qty)`]) {
    it(`${e} in the SELECT list equals the same text in GROUP BY`, () => {
      const [a, b] = targetAndGroup(`SELECT (${e}) AS x FROM orders GROUP BY (${e})`);
      expect(a).toBe(b);
      expect(() => compile(input(`SELECT (${e}) AS x, count(*) AS n FROM orders GROUP BY (${e})`, 'x:boolean, n:bigint'))).not.toThrow();
    });
  }

  it('two aggregates with the same IN-list FILTER share one state', () => {
    const plan = compile(input(`SELECT cust, sum(amt) FILTER (WHERE cust IN (1, 2)) AS s, avg(amt) FILTER (WHERE cust IN (1, 2)) AS a FROM orders GROUP BY cust`,
      'cust:integer, s:numeric, a:numeric'));
    expect(plan.hiddenColumns.filter((h) => h.name.startsWith('__pgt_aux_sum'))).toHaveLength(1);
  });
});
