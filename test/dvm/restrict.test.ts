import { beforeAll, describe, expect, it } from 'vitest';
import { compile, initDvm, UnsupportedQueryError } from '../../src/dvm/index.ts';
import { input } from './fixtures.ts';

beforeAll(async () => {
  await initDvm();
});

function rejection(query: string, extra: Parameters<typeof input>[2] = {}, outputSpec = 'x:integer'): UnsupportedQueryError {
  try {
    compile(input(query, outputSpec, extra));
  } catch (e) {
    if (e instanceof UnsupportedQueryError) return e;
    throw e;
  }
  throw new Error(`accepted: ${query}`);
}

const CASES: [code: string, query: string][] = [
  ['not_a_select', `INSERT INTO orders VALUES (1)`],
  ['not_a_select', `SELECT 1 FROM orders; SELECT 2 FROM orders`],
  ['select_into', `SELECT id INTO newtab FROM orders`],
  ['no_from', `SELECT 1`],
  ['values', `VALUES (1), (2)`],
  ['no_from', `SELECT * FROM (VALUES (1)) v(x)`],
  ['no_from', `SELECT x FROM (SELECT 1 AS x) s`],
  ['outer_join', `SELECT id FROM orders FULL JOIN customers USING (id)`],
  ['outer_join', `SELECT * FROM orders NATURAL RIGHT JOIN customers`],
  ['join_alias', `SELECT j.id FROM (orders o JOIN customers c ON c.id = o.cust) AS j`],
  ['lateral', `SELECT o.id FROM orders o, LATERAL (SELECT 1 AS one) s`],
  ['function_in_from', `SELECT g FROM generate_series(1, 3) g`],
  ['tablesample', `SELECT id FROM orders TABLESAMPLE SYSTEM (10)`],
  ['only', `SELECT id FROM ONLY orders`],
  ['locking', `SELECT id FROM orders FOR UPDATE`],
  ['limit', `SELECT id FROM orders LIMIT 10`],
  ['limit', `SELECT id FROM orders ORDER BY id LIMIT cust`],
  ['limit', `SELECT id FROM orders ORDER BY id OFFSET 2 FETCH FIRST 3 ROWS WITH TIES`],
  ['topk_order', `SELECT id FROM orders ORDER BY cust LIMIT 3`],
  ['limit', `SELECT id FROM orders OFFSET 3`],
  ['limit', `SELECT id FROM (SELECT id FROM orders LIMIT 3) s`],
  ['window_order', `SELECT row_number() OVER (ORDER BY cust) FROM orders`],
  ['window_order', `SELECT lag(sku) OVER (ORDER BY sku) FROM items`],
  ['window_unsupported', `SELECT string_agg(note, ',') OVER () FROM orders`],
  ['window_unsupported', `SELECT sum(amt) OVER w FROM orders WINDOW w AS (PARTITION BY cust)`],
  ['limit', `SELECT id FROM orders WHERE coalesce(cust, (SELECT 1 FROM customers ORDER BY 1 LIMIT 1)) > 0`],
  ['sublink', `SELECT id FROM orders WHERE cust > 2 OR cust IN (SELECT id FROM customers)`],
  ['sublink', `SELECT id, EXISTS (SELECT 1 FROM customers c WHERE c.id = cust) FROM orders`],
  ['sublink', `SELECT id, (SELECT tier FROM customers c WHERE c.id = cust) FROM orders`],
  ['sublink', `SELECT id FROM orders WHERE coalesce(cust, (SELECT id FROM customers)) > 0`],
  ['sublink', `SELECT id FROM orders o WHERE EXISTS (SELECT cust FROM customers c WHERE c.id = o.cust GROUP BY cust)`],
  ['sublink', `SELECT id FROM orders o WHERE amt > (SELECT sum(amt) FROM customers c WHERE c.tier > o.cust)`],
  ['sublink', `SELECT id FROM orders o JOIN customers c ON c.id IN (SELECT cust FROM orders)`],
  ['sublink', `SELECT id, ARRAY(SELECT tier FROM customers) FROM orders`],
  ['sublink', `SELECT id, (SELECT sum(amt) OVER () FROM orders) FROM customers`],
  ['sublink', `SELECT id FROM customers c WHERE id IN (SELECT rank() OVER (ORDER BY amt) FROM orders o WHERE o.cust = c.id)`],
  ['recursive_cte', `WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r`],
  ['modifying_cte', `WITH d AS (DELETE FROM orders RETURNING id) SELECT id FROM d`],
  ['aggregate_nested', `SELECT id FROM orders WHERE sum(amt) > 3`],
  ['aggregate_nested', `SELECT max(sum(amt)) FROM orders`],
  ['aggregate_unsupported', `SELECT xmlagg(note::xml) FROM orders`],
  ['aggregate_unsupported', `SELECT json_arrayagg(note) FROM orders`],
  ['grouping_sets', `SELECT cust, count(*) FROM orders GROUP BY ROLLUP (cust)`],
  ['grouping_sets', `SELECT cust, count(*) FROM orders GROUP BY GROUPING SETS ((cust), ())`],
  ['group_distinct', `SELECT cust, count(*) FROM orders GROUP BY DISTINCT cust`],
  ['ungrouped_column', `SELECT cust, note, count(*) FROM orders GROUP BY cust`],
  ['having_without_aggregate', `SELECT id FROM orders HAVING true`],
  ['distinct_on', `SELECT DISTINCT ON (cust) cust, id FROM orders`],
  ['set_returning_function', `SELECT unnest(ARRAY[id, cust]) FROM orders`],
  ['reserved_name', `SELECT id AS __pgt_row_id FROM orders`],
  ['reserved_name', `SELECT __pgt_x.id FROM orders __pgt_x`],
  ['reserved_name', `WITH __pgt_cte AS (SELECT id FROM orders) SELECT id FROM __pgt_cte`],
  ['unknown_relation', `SELECT id FROM nowhere`],
  ['unknown_relation', `SELECT id FROM other_schema.orders`],
  ['unknown_column', `SELECT nope FROM orders`],
  ['ambiguous_column', `SELECT id FROM orders JOIN customers ON true`],
  ['system_column', `SELECT ctid FROM orders`],
  ['whole_row_reference', `SELECT row_to_json(o) FROM orders o`],
  ['whole_row_reference', `SELECT row_to_json(o.*) FROM orders o`],
  ['parameter', `SELECT id FROM orders WHERE cust = $1`],
  ['grouping_function', `SELECT cust, GROUPING(cust), count(*) FROM orders GROUP BY cust`],
  // an expression kind outside the allowlist (XmlExpr) is rejected rather than guessed at
  ['unsupported_expression', `SELECT xmlelement(name foo, note) FROM orders`],
  ['syntax_error', `SELEC id FROM orders`],
];

describe('restriction walker', () => {
  it.each(CASES)('%s: %s', (code, query) => {
    const e = rejection(query);
    expect(e.code).toBe(code);
    expect(e.hint.length).toBeGreaterThan(0);
    expect(e.message).toContain('HINT');
  });

  it('rejects volatile functions outside FULL mode', () => {
    expect(rejection(`SELECT id FROM orders WHERE random() > 0.5`, { worstVolatility: 'v' }).code).toBe('volatile_function');
  });

  it('warns for stable functions and IMMEDIATE mode', () => {
    const plan = compile(input(`SELECT id FROM orders WHERE id > 0`, 'id:integer', { worstVolatility: 's', mode: 'IMMEDIATE' }));
    expect(plan.warnings.join('\n')).toMatch(/STABLE/);
    expect(plan.warnings.join('\n')).toMatch(/IMMEDIATE/);
  });

  it('rejects probed output columns with the reserved prefix', () => {
    expect(rejection(`SELECT id FROM orders`, {}, '__pgt_x:integer').code).toBe('reserved_name');
  });

  it('reports where the construct is', () => {
    const q = `SELECT id FROM orders WHERE cust > 2 OR cust IN (SELECT id FROM customers)`;
    const e = rejection(q);
    expect(q.slice(e.location!)).toMatch(/^IN \(SELECT/);
    const e2 = rejection(`SELECT cust, xmlagg(note::xml) FROM orders GROUP BY cust`);
    expect(`SELECT cust, xmlagg(note::xml) FROM orders GROUP BY cust`.slice(e2.location!)).toMatch(/^xmlagg/);
  });

  it('every code is distinct per construct and carries a hint', async () => {
    const { UNSUPPORTED } = await import('../../src/dvm/errors.ts');
    const constructs = Object.values(UNSUPPORTED).map((u) => u.construct);
    expect(new Set(constructs).size).toBe(constructs.length);
  });

  it('ORDER BY is ignored with a warning', () => {
    const plan = compile(input(`SELECT id FROM orders ORDER BY id`, 'id:integer'));
    expect(plan.warnings.join('\n')).toMatch(/ORDER BY/);
  });
});
