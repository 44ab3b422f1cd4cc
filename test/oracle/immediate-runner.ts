/**
 * The oracle in IMMEDIATE mode (issue #4): the same random schemas, queries
 * and DML as the DIFFERENTIAL oracle, but no refresh is ever called — every
 * writing statement maintains the stream table inside its transaction. The
 * stream table must equal its query after every round, and also inside each
 * committing transaction just before COMMIT (the writer reads its own writes).
 */
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileStreamTable } from '../../src/compile/plans.ts';
import { CompilerPool } from '../../src/compile/pool.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from '../helpers/db.ts';
import { caseScript, genCase, randOf, tableDdl, type Grammar, type OracleCase, type Round } from './generators.ts';

/** The IMMEDIATE oracle over `cases` cases of `grammar` (also run by breadth-immediate.test.ts). */
export function immediateOracle(label: string, grammar: Grammar, cases: number, seed: number): void {
  const CASES = cases;
  const SEED = seed;
  describe(label, () => {
    let db: TestDatabase;
    let client: pg.Client;
    let compiler: CompilerPool;
    let n = 0;
    const stats = { cases: 0, unsupported: 0, checks: 0 };

    beforeAll(async () => {
      db = await freshDatabase();
      // Tiny tables: keep every per-statement refresh differential; no JIT for millisecond statements.
      await db.adminQuery(`ALTER DATABASE ${db.name} SET pg_trickle.differential_max_change_ratio = '1000000'`);
      await db.adminQuery(`ALTER DATABASE ${db.name} SET jit = off`);
      client = await db.connect();
      await client.query('SET client_min_messages = warning');
      compiler = new CompilerPool();
    });
    afterAll(async () => {
      await compiler?.close();
      await db?.drop();
    });

    const q = (sql: string, params?: unknown[]) => client.query(sql, params);

    async function expectEqual(st: string, query: string, where: string, c: OracleCase): Promise<void> {
      stats.checks += 1;
      const diff = await oracleDiff({ query: async (sql, params) => (await q(sql, params)).rows }, st, query);
      if (diff.extra.length || diff.missing.length) {
        throw new Error(`IMMEDIATE oracle failed ${where} for ${st}\n${JSON.stringify(diff)}\n-- case script (IMMEDIATE mode):\n${caseScript(c)}`);
      }
    }

    /** Integrity violations make a statement a no-op (as in the DIFFERENTIAL oracle); anything else fails. */
    async function statement(sql: string, inTxn: boolean): Promise<void> {
      if (inTxn) await q('SAVEPOINT stmt');
      try {
        await q(sql);
        if (inTxn) await q('RELEASE SAVEPOINT stmt');
      } catch (raw) {
        if (!String((raw as { code?: string }).code ?? '').startsWith('23')) throw new Error(`statement failed: ${sql}: ${(raw as Error).message}`);
        if (inTxn) await q('ROLLBACK TO SAVEPOINT stmt; RELEASE SAVEPOINT stmt');
      }
    }

    async function applyRound(round: Round, check: (where: string) => Promise<void>): Promise<void> {
      for (const txn of round.txns) {
        const inTxn = txn.kind !== 'autocommit';
        if (inTxn) await q('BEGIN');
        for (const step of txn.steps) {
          if (typeof step === 'string') {
            await statement(step, inTxn);
            continue;
          }
          await q('SAVEPOINT block');
          for (const s of step) await statement(s, true);
          await q('ROLLBACK TO SAVEPOINT block; RELEASE SAVEPOINT block');
        }
        if (txn.kind === 'commit') await check('inside the writing transaction, before COMMIT');
        if (inTxn) await q(txn.kind === 'commit' ? 'COMMIT' : 'ROLLBACK');
      }
    }

    async function runCase(c: OracleCase): Promise<void> {
      n += 1;
      const schema = `im_${n}`;
      const specs = [...(c.upstream ? [{ name: 'up', query: c.upstream.sql }] : []), { name: 'st', query: c.query.sql }];
      const created: string[] = [];
      await q(`CREATE SCHEMA ${schema}`);
      await q(`SET search_path = ${schema}, public`);
      try {
        for (const t of c.schema.tables) await q(tableDdl(t));
        for (const d of c.data) await q(d);
        const sts: { name: string; query: string }[] = [];
        for (const spec of specs) {
          const st = `${schema}.${spec.name}`;
          await q(`SELECT pgtrickle.create_stream_table($1, $2, refresh_mode => 'IMMEDIATE')`, [st, spec.query]);
          created.unshift(st);
          const pgtId = Number((await q(`SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_schema = $1 AND pgt_name = $2`, [schema, spec.name])).rows[0].pgt_id);
          await q('BEGIN');
          const result = await compileStreamTable(client, compiler, pgtId);
          await q('COMMIT');
          if (result.status === 'unsupported') {
            stats.unsupported += 1;
            return;
          }
          expect(result.status).toBe('installed');
          // Re-populate under the compiled plan; from here on only the writers maintain it.
          await q(`SELECT pgtrickle.refresh_stream_table($1)`, [st]);
          sts.push({ name: st, query: spec.query });
        }
        stats.cases += 1;
        const checkAll = async (where: string) => {
          for (const st of sts) await expectEqual(st.name, st.query, where, c);
        };
        await checkAll('after install');
        for (const [i, round] of c.rounds.entries()) {
          await applyRound(round, checkAll);
          await checkAll(`after round ${i + 1}`);
        }
      } finally {
        await q('ROLLBACK').catch(() => {});
        for (const st of created) await q(`SELECT pgtrickle.drop_stream_table($1)`, [st]);
        await q('SET search_path = public');
        await q(`DROP SCHEMA ${schema} CASCADE`);
      }
    }

    it(`keeps ${CASES} random stream tables equal to their queries inside and after every writing transaction (seed ${SEED})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.gen(), async (g) => {
          await runCase(genCase(randOf(g, fc), grammar));
        }),
        { seed: SEED, numRuns: CASES, interruptAfterTimeLimit: 300_000, markInterruptAsFailure: false, endOnFailure: true },
      );
      process.stdout.write(`IMMEDIATE oracle: ${stats.cases} cases run, ${stats.unsupported} unsupported, ${stats.checks} checks\n`);
      expect(stats.cases).toBeGreaterThan(CASES * 0.8);
    }, 600_000);
  });
}

