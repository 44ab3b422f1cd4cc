/**
 * Emitted expressions keep the user's grouping where the deparser would drop
 * parentheses (src/dvm/precedence.ts). Found by the oracle:
 * `(a IS NULL) IS TRUE` was emitted as a syntax error, `(NOT a) IS NULL` and
 * `(a AND b) IS NULL` silently changed meaning.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deparse, parseQuery } from '../../src/dvm/ast.ts';
import { initDvm } from '../../src/dvm/index.ts';
import { adminUrl } from '../helpers/db.ts';

let client: pg.Client;
beforeAll(async () => {
  await initDvm();
  client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
});

const emitted = (expr: string): string => deparse(parseQuery(`SELECT ${expr} FROM t`)[0]!.SelectStmt.targetList[0].ResTarget.val);

const CASES = [
  '(a IS NULL) IS TRUE',
  '(NOT a) IS NULL',
  '(a AND b) IS NULL',
  '(a OR b) IS NOT TRUE',
  '(a IS DISTINCT FROM b) IS NULL',
  '(a IS NOT NULL) IS NOT FALSE',
  '(a = b) IN (true)',
  '(a IS NULL) IN (false)',
  '(a = b) BETWEEN false AND true',
  'a BETWEEN (a = b) AND true',
  '(a AND b) = (a OR b)',
  '(a IS NULL) = (b IS NULL)',
];

describe('operator precedence in emitted expressions', () => {
  it('every emitted expression means what the user wrote, for every combination of true/false/NULL', async () => {
    const values = ['true', 'false', 'NULL::boolean'];
    const rows = values.flatMap((a) => values.map((b) => `(${a}, ${b})`)).join(', ');
    for (const e of CASES) {
      const out = emitted(e);
      const { rows: r } = await client.query(
        `SELECT count(*)::int AS differ FROM (VALUES ${rows}) v(a, b) WHERE (${e}) IS DISTINCT FROM (${out})`,
      );
      expect({ e, out, differ: r[0].differ }).toEqual({ e, out, differ: 0 });
    }
  });

  it('leaves ordinary expressions as written', () => {
    expect(emitted('(a + 1) BETWEEN 1 AND 2')).toBe('a + 1 BETWEEN 1 AND 2');
    expect(emitted('(a + b) IS NULL')).toBe('a + b IS NULL');
    expect(emitted('(a = b) IS NULL')).toBe('a = b IS NULL');
  });
});
