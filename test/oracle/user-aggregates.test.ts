/**
 * User-defined aggregates (CompileInput.userAggregates): the raw parse tree
 * cannot tell `myagg(x)` from a per-row function, so the catalog names them;
 * a listed aggregate is maintained by group rescan (the touched groups are
 * recomputed with the user's own call).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compile, initDvm } from '../../src/dvm/index.ts';
import { input } from '../dvm/fixtures.ts';

beforeAll(async () => {
  await initDvm();
});

function tree(query: string, userAggregates: string[] | undefined): string {
  return compile(input(query, 'x:integer', userAggregates ? { userAggregates } : {})).operatorTree;
}

describe('user-defined aggregates', () => {
  it('a call of a listed aggregate is an aggregate, maintained by group rescan', () => {
    const t = tree(`SELECT myagg(qty) FROM orders`, ['myagg']);
    expect(t).toMatch(/^Project .*\n  Aggregate \[group rescan: touched groups re-read\] GROUP BY \(\) rescan myagg\(/);
  });

  it('a schema-qualified call matches a plain name, and `schema.name` matches only that schema', () => {
    expect(tree(`SELECT public.myagg(qty) FROM orders GROUP BY cust`, ['myagg'])).toMatch(/rescan public\.myagg/);
    expect(tree(`SELECT public.myagg(qty) FROM orders`, ['public.myagg'])).toMatch(/rescan public\.myagg/);
    expect(tree(`SELECT other.myagg(qty) FROM orders`, ['public.myagg'])).not.toMatch(/Aggregate/);
  });

  it('is found anywhere: HAVING, inside expressions, in subqueries and CTEs, with FILTER', () => {
    for (const q of [
      `SELECT count(*) FROM orders GROUP BY cust HAVING myagg(qty) > 1`,
      `SELECT coalesce(myagg(qty), 0) + 1 FROM orders GROUP BY cust`,
      `SELECT s.m FROM (SELECT myagg(qty) AS m FROM orders) s`,
      `WITH w AS (SELECT myagg(qty) FILTER (WHERE qty > 0) AS m FROM orders) SELECT m FROM w`,
    ]) {
      expect(tree(q, ['myagg']), q).toMatch(/rescan myagg\(/);
    }
  });

  it('an unlisted name stays a per-row function, and an absent list means none', () => {
    expect(tree(`SELECT myfunc(qty) FROM orders`, ['myagg'])).not.toMatch(/Aggregate/);
    expect(tree(`SELECT myagg(qty) FROM orders`, undefined)).not.toMatch(/Aggregate/);
    expect(tree(`SELECT myagg(qty) FROM orders`, [])).not.toMatch(/Aggregate/);
  });

  it('built-in aggregates are unaffected by the list', () => {
    expect(tree(`SELECT count(*) FROM orders`, ['myagg'])).toMatch(/count\(\*\)/);
  });
});
