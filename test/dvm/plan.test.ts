/** Pure compiler tests: operator-tree shape, row-id agreement, quoting, speed. */
import { describe, expect, it } from 'vitest';
import { compile, explainPlan, initDvm, type CompiledPlan } from '../../src/dvm/index.ts';
import { input } from './fixtures.ts';

await initDvm();

const plan = (q: string, out: string): CompiledPlan => compile(input(q, out));

/** Column ids hashed into the row id (`… AS __pgt_row_id`), aliases stripped, per occurrence. */
function rowIdHashes(sql: string): string[] {
  const re = /"pg_trickle_hash_multi"\(ARRAY\[([^\]]*)\]::text\[\]\) AS __pgt_row_id/g;
  return [...sql.matchAll(re)].map((m) => m[1]!.replace(/\b[a-z]+\.(?=["_])/g, ''));
}

function lineageHashes(sql: string): string[] {
  const re = /"pg_trickle_hash_multi"\(ARRAY\[([^\]]*)\]::text\[\]\) AS __pgt_lineage/g;
  return [...sql.matchAll(re)].map((m) => m[1]!.replace(/\b[a-z]+\.(?=["_])/g, ''));
}

const ID_CASES: [string, string, string, string][] = [
  ['scan', `SELECT id, amt FROM orders WHERE amt > 1`, 'id:integer,amt:numeric', 'keyed'],
  ['projection dropping the key', `SELECT cust FROM orders`, 'cust:integer', 'keyed'],
  ['join', `SELECT o.id, c.region FROM orders o JOIN customers c ON c.id = o.cust`, 'id:integer,region:text', 'keyed'],
  ['aggregate', `SELECT cust, sum(amt) FROM orders GROUP BY cust`, 'cust:integer,sum:numeric', 'aggregate'],
  ['scalar aggregate', `SELECT count(*) FROM orders`, 'count:bigint', 'aggregate'],
  ['having', `SELECT cust, count(*) FROM orders GROUP BY cust HAVING count(*) > 1`, 'cust:integer,count:bigint', 'keyed'],
  ['distinct', `SELECT DISTINCT cust FROM orders`, 'cust:integer', 'distinct'],
  ['union all', `SELECT id FROM orders UNION ALL SELECT id FROM customers`, 'id:integer', 'keyed'],
  ['subquery', `SELECT s.c FROM (SELECT cust AS c, id FROM orders) s`, 'c:integer', 'keyed'],
];

describe('row ids: FULL and DIFFERENTIAL use one formula', () => {
  it.each(ID_CASES)('%s', (_name, q, out, strategy) => {
    const p = plan(q, out);
    expect(p.strategy).toBe(strategy);
    const full = rowIdHashes(p.fullSelectSql);
    const delta = rowIdHashes(p.deltaSelectSql);
    expect(full).toHaveLength(1);
    expect(delta.length).toBeGreaterThanOrEqual(1);
    for (const d of delta) expect(d).toBe(full[0]);
  });

  it('keyless: the lineage hash agrees and ids are (lineage, ordinal)', () => {
    const p = plan(`SELECT sku, price FROM items`, 'sku:text,price:numeric');
    expect(p.strategy).toBe('lineage');
    expect(p.hiddenColumns).toEqual([{ name: '__pgt_lineage', type: 'bigint' }]);
    expect(p.groupByColumns).toEqual(['__pgt_lineage']);
    const full = lineageHashes(p.fullSelectSql);
    const delta = lineageHashes(p.deltaSelectSql);
    expect(full).toHaveLength(1);
    expect(delta).toEqual(full);
    expect(rowIdHashes(p.fullSelectSql)[0]).toMatch(/__pgt_lineage.*row_number/);
    expect(rowIdHashes(p.deltaSelectSql)[0]).toMatch(/__pgt_lineage.*ordinal/);
  });
});

describe('operator tree', () => {
  it('pushes WHERE conjuncts of a comma join into the join and its inputs', () => {
    const p = plan(`SELECT o.id FROM orders o, customers c WHERE o.cust = c.id AND c.region = 'eu' AND o.amt > 3`, 'id:integer');
    expect(p.operatorTree).toMatch(/^Project .*\n {2}Join ON .*c\d+_id = .*c\d+_cust|^Project .*\n {2}Join ON .*cust.*id/);
    expect(p.operatorTree).toMatch(/Filter .*amt > 3\n\s+Scan "public"."orders"/);
    expect(p.operatorTree).toMatch(/Filter .*region = 'eu'\n\s+Scan "public"."customers"/);
    expect(p.operatorTree).not.toMatch(/Join CROSS/);
  });

  it('prunes scans to the columns used (plus the key)', () => {
    const p = plan(`SELECT note FROM orders`, 'note:text');
    expect(p.operatorTree).toMatch(/Scan "public"."orders" AS "orders" \[note\] key\(id\)/);
    expect(p.deltaSelectSql).not.toMatch(/new_amt/);
  });

  it('the naive plan (optimisations off) is the same operators', () => {
    const q = `SELECT o.id FROM orders o, customers c WHERE o.cust = c.id`;
    const naive = compile(input(q, 'id:integer'), { disable: ['push-down', 'prune'] });
    expect(naive.operatorTree).toMatch(/Filter .*\n\s+Join CROSS/);
  });

  it('keys: aggregate → group key, union → branch key, keyless scan → none', () => {
    expect(plan(`SELECT cust, count(*) FROM orders GROUP BY cust`, 'cust:integer,count:bigint').hiddenColumns.map((c) => c.name)).toEqual(['__pgt_count']);
    expect(plan(`SELECT cust, avg(amt), sum(qty), count(note) FROM orders GROUP BY cust`, 'cust:integer,avg:numeric,sum:bigint,count:bigint').hiddenColumns).toEqual([
      { name: '__pgt_count', type: 'bigint' },
      { name: '__pgt_aux_sum_1', type: 'numeric' },
      { name: '__pgt_aux_count_1', type: 'bigint' },
      { name: '__pgt_aux_sum_2', type: 'bigint' },
      { name: '__pgt_aux_count_2', type: 'bigint' },
      { name: '__pgt_aux_count_3', type: 'bigint' },
    ]);
    expect(plan(`SELECT cust, count(*) FROM orders GROUP BY cust`, 'cust:integer,count:bigint').groupByColumns).toEqual(['cust']);
    expect(plan(`SELECT sku FROM items UNION ALL SELECT note FROM orders`, 'sku:text').strategy).toBe('lineage');
  });

  it('explain shows tree, strategy and delta SQL', () => {
    const text = explainPlan(plan(`SELECT cust, count(*) FROM orders GROUP BY cust`, 'cust:integer,count:bigint'));
    expect(text).toMatch(/strategy: aggregate/);
    expect(text).toMatch(/Aggregate GROUP BY/);
    expect(text).toMatch(/delta query:\nWITH __pgt_cte_/);
  });
});

describe('generated SQL hygiene', () => {
  const p = plan(
    `SELECT t."Order", t."ünï col", sum(t."a""b") AS "Σ ""x""" FROM "We""ird Schema"."Select ""Table""" t GROUP BY 1, 2`,
    `Order:integer,ünï col:text,Σ "x":numeric`,
  );

  it('quotes hostile names through ident()', () => {
    expect(p.fullSelectSql).toContain(`"We""ird Schema"."Select ""Table"""`);
    expect(p.fullSelectSql).toContain(`t."a""b"`);
    expect(p.deltaSelectSql).toContain(`c."new_a""b"`);
    expect(p.deltaSelectSql).toContain(`"Σ ""x"""`);
    expect(p.differentialSql).toContain(`"__pgt_aux_sum_1"`);
  });

  it('qualifies generated operators and functions; CTEs use the __pgt_ prefix', () => {
    expect(p.deltaSelectSql).not.toMatch(/[^(.]\bsum\(/);
    expect(p.deltaSelectSql).not.toMatch(/\bcount\(/.source.replace('\\b', '[^.]\\b'));
    expect(p.deltaSelectSql).toMatch(/OPERATOR\(pg_catalog\.=\)/);
    const ctes = [...p.deltaSelectSql.matchAll(/(\w+) AS \(\n/g)].map((m) => m[1]);
    expect(ctes.length).toBeGreaterThan(0);
    for (const c of ctes) expect(c).toMatch(/^__pgt_cte_/);
  });

  it('builds the final statements through statements.ts', () => {
    expect(p.fullRefreshSql).toContain(p.fullSelectSql);
    expect(p.differentialSql).toContain(p.deltaSelectSql);
    expect(p.differentialSql).toMatch(/^WITH __pgt_frontier AS/);
    expect(p.differentialSql).toMatch(/MERGE INTO "public"."st"/);
  });
});

describe('compile speed', () => {
  it('compiles a 5-way join with aggregates in well under 20 ms', () => {
    const q = `SELECT c.region, t.label, count(*) AS n, sum(o.amt) AS total, avg(o.qty) AS q
      FROM orders o JOIN customers c ON c.id = o.cust JOIN customers c2 ON c2.tier = c.tier
      JOIN orders o2 ON o2.cust = c2.id JOIN items i ON i.order_id = o2.id
      CROSS JOIN customers t(label) WHERE o.amt > 3 GROUP BY c.region, t.label`;
    const inp = input(q, 'region:text,label:integer,n:bigint,total:numeric,q:numeric');
    compile(inp); // warm up
    const runs = 20;
    const start = performance.now();
    for (let i = 0; i < runs; i++) compile(inp);
    const perCompile = (performance.now() - start) / runs;
    // Not a benchmark assertion: a generous bound that catches accidental blow-ups.
    expect(perCompile).toBeLessThan(100);
  });
});
