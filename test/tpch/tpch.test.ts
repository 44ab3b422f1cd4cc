/**
 * TPC-H as stream tables (issue 10): every query of test/tpch/queries.ts is
 * created in DIFFERENTIAL and in IMMEDIATE mode over a small generated
 * database, compiled and installed through the real path, then maintained
 * through several RF1 (insert) / RF2 (delete) / RF3 (update) cycles. After
 * each refresh function the stream table must equal its query (both
 * directions of EXCEPT ALL), and every DIFFERENTIAL refresh must have been
 * DIFFERENTIAL (refresh history). A query marked `refused` must be refused
 * with that code (never maintained wrongly).
 *
 * PGTRICKLE_TPCH_SF sets the scale factor (default 0.002: ~3,000 orders).
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileStreamTable } from '../../src/compile/plans.ts';
import { CompilerPool } from '../../src/compile/pool.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from '../helpers/db.ts';
import { QUERIES } from './queries.ts';
import { ddl } from './schema.ts';

const SF = Number(process.env.PGTRICKLE_TPCH_SF ?? 0.002);
const CYCLES = 3;
const SCHEMA = 'tpch';

let db: TestDatabase;
let client: pg.Client;
let compiler: CompilerPool;
const q = (sql: string, params?: unknown[]) => client.query(sql, params);

interface Installed {
  readonly name: string;
  readonly st: string;
  readonly query: string;
  readonly pgtId: number;
  readonly mode: 'DIFFERENTIAL' | 'IMMEDIATE';
}
const installed: Installed[] = [];
const refused: Record<string, string> = {};

beforeAll(async () => {
  db = await freshDatabase();
  await db.adminQuery(`ALTER DATABASE ${db.name} SET jit = off`);
  client = await db.connect();
  await q('SET client_min_messages = warning');
  compiler = new CompilerPool();
  await q(ddl(SCHEMA));
  await q(`SELECT tpch_generate($1)`, [SF]);
  await q('ANALYZE');
  for (const mode of ['DIFFERENTIAL', 'IMMEDIATE'] as const) {
    for (const [name, spec] of Object.entries(QUERIES)) {
      const st = `${SCHEMA}.${name}_${mode === 'DIFFERENTIAL' ? 'diff' : 'imm'}`;
      await q(`SELECT pgtrickle.create_stream_table($1, $2, refresh_mode => '${mode}')`, [st, spec.sql]);
      const pgtId = Number((await q(`SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_schema = $1 AND pgt_name = $2`, [SCHEMA, st.split('.')[1]])).rows[0].pgt_id);
      await q('BEGIN');
      const result = await compileStreamTable(client, compiler, pgtId).finally(() => q('COMMIT'));
      if (result.status === 'unsupported') {
        refused[`${name}/${mode}`] = result.code;
        continue;
      }
      expect({ name, status: result.status }).toEqual({ name, status: 'installed' });
      await q(`SELECT pgtrickle.refresh_stream_table($1)`, [st]);
      installed.push({ name, st, query: spec.sql, pgtId, mode });
    }
  }
}, 600_000);

afterAll(async () => {
  await compiler?.close();
  await db?.drop();
});

async function expectEqual(where: string): Promise<void> {
  for (const t of installed) {
    if (t.mode === 'DIFFERENTIAL') {
      await q(`SELECT pgtrickle.refresh_stream_table($1)`, [t.st]);
      const action = (await q(`SELECT action FROM pgtrickle.pgt_refresh_history WHERE pgt_id = $1 ORDER BY refresh_id DESC LIMIT 1`, [t.pgtId])).rows[0]?.action;
      expect({ query: t.name, where, action }).toEqual({ query: t.name, where, action: expect.stringMatching(/^(DIFFERENTIAL|NO_DATA)$/) });
    }
    const diff = await oracleDiff({ query: async (sql, params) => (await q(sql, params)).rows }, t.st, t.query);
    expect({ query: t.name, mode: t.mode, where, extra: diff.extra.length, missing: diff.missing.length })
      .toEqual({ query: t.name, mode: t.mode, where, extra: 0, missing: 0 });
  }
}

describe(`TPC-H stream tables at SF ${SF}`, () => {
  it('compiles every query that is not marked refused, in both modes; the others are refused with their code', () => {
    for (const [name, spec] of Object.entries(QUERIES)) {
      for (const mode of ['DIFFERENTIAL', 'IMMEDIATE']) {
        expect({ name, mode, refused: refused[`${name}/${mode}`] ?? null }).toEqual({ name, mode, refused: spec.refused ?? null });
      }
    }
  });

  it('the first (FULL) refresh equals every query, and every query has rows', async () => {
    for (const t of installed) {
      const rows = Number((await q(`SELECT count(*)::int AS n FROM ${t.st}`)).rows[0].n);
      expect({ query: t.name, empty: rows === 0 }).toEqual({ query: t.name, empty: false });
      const diff = await oracleDiff({ query: async (sql, params) => (await q(sql, params)).rows }, t.st, t.query);
      expect({ query: t.name, mode: t.mode, extra: diff.extra.length, missing: diff.missing.length }).toEqual({ query: t.name, mode: t.mode, extra: 0, missing: 0 });
    }
  });

  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    // 1 % of the orders per refresh function (at least 3).
    it(`cycle ${cycle}: RF1, RF2, RF3, each refreshed differentially and equal to its query`, async () => {
      const orders = Number((await q(`SELECT count(*)::int AS n FROM orders`)).rows[0].n);
      const n = Math.max(3, Math.round(orders / 100));
      await q(`SELECT tpch_rf1($1)`, [n]);
      await expectEqual(`cycle ${cycle} after RF1`);
      await q(`SELECT tpch_rf2($1)`, [n]);
      await expectEqual(`cycle ${cycle} after RF2`);
      await q(`SELECT tpch_rf3($1, $2)`, [n * 4, cycle]);
      await expectEqual(`cycle ${cycle} after RF3`);
    }, 600_000);
  }

  it('the history shows DIFFERENTIAL refreshes for every DIFFERENTIAL stream table', async () => {
    for (const t of installed.filter((x) => x.mode === 'DIFFERENTIAL')) {
      const { rows } = await q(`SELECT action, count(*)::int AS n FROM pgtrickle.pgt_refresh_history WHERE pgt_id = $1 GROUP BY action`, [t.pgtId]);
      const by = Object.fromEntries(rows.map((r) => [r.action, r.n]));
      expect({ query: t.name, differential: (by.DIFFERENTIAL ?? 0) >= CYCLES }).toEqual({ query: t.name, differential: true });
    }
  });
});
