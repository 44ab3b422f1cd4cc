/**
 * User-defined aggregates (CompileInput.userAggregates): the raw parse tree
 * cannot tell `myagg(x)` from a per-row function, so the catalog names them
 * and the restriction walker rejects them with their own code and hint.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compile, initDvm, UnsupportedQueryError, UNSUPPORTED } from '../../src/dvm/index.ts';
import { input } from '../dvm/fixtures.ts';

beforeAll(async () => {
  await initDvm();
});

function rejection(query: string, userAggregates: string[] | undefined): UnsupportedQueryError | null {
  try {
    compile(input(query, 'x:integer', userAggregates ? { userAggregates } : {}));
    return null;
  } catch (e) {
    if (e instanceof UnsupportedQueryError) return e;
    throw e;
  }
}

describe('user-defined aggregates', () => {
  it('a call of a listed aggregate is rejected with aggregate_user, its position and the FULL hint', () => {
    const e = rejection(`SELECT myagg(qty) FROM orders`, ['myagg']);
    expect(e).toMatchObject({ code: 'aggregate_user', location: 7 });
    expect(e!.construct).toBe('user-defined aggregate: myagg');
    expect(e!.hint).toBe(UNSUPPORTED.aggregate_user.hint);
    expect(e!.hint).toMatch(/refresh_mode => 'FULL'/);
  });

  it('a schema-qualified call matches a plain name, and `schema.name` matches only that schema', () => {
    expect(rejection(`SELECT public.myagg(qty) FROM orders GROUP BY cust`, ['myagg'])?.code).toBe('aggregate_user');
    expect(rejection(`SELECT public.myagg(qty) FROM orders`, ['public.myagg'])?.code).toBe('aggregate_user');
    expect(rejection(`SELECT other.myagg(qty) FROM orders`, ['public.myagg'])).toBeNull();
  });

  it('is found anywhere: HAVING, inside expressions, in subqueries and CTEs, with FILTER', () => {
    for (const q of [
      `SELECT cust, count(*) FROM orders GROUP BY cust HAVING myagg(qty) > 1`,
      `SELECT cust, coalesce(myagg(qty), 0) + 1 FROM orders GROUP BY cust`,
      `SELECT s.m FROM (SELECT myagg(qty) AS m FROM orders) s`,
      `WITH w AS (SELECT myagg(qty) FILTER (WHERE qty > 0) AS m FROM orders) SELECT m FROM w`,
    ]) {
      expect(rejection(q, ['myagg'])?.code, q).toBe('aggregate_user');
    }
  });

  it('an unlisted name stays a per-row function, and an absent list means none', () => {
    expect(rejection(`SELECT myfunc(qty) FROM orders`, ['myagg'])).toBeNull();
    expect(rejection(`SELECT myagg(qty) FROM orders`, undefined)).toBeNull();
    expect(rejection(`SELECT myagg(qty) FROM orders`, [])).toBeNull();
  });

  it('built-in aggregates are unaffected by the list', () => {
    expect(rejection(`SELECT count(*) FROM orders`, ['myagg'])).toBeNull();
  });
});
