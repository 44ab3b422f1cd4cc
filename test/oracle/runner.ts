/**
 * Runs oracle cases through the real system: capture triggers, the plpgsql
 * refresh executor, and plans compiled in the worker pool and installed by
 * src/compile/plans.ts — the same path a coordinator takes, minus the
 * scheduler.
 *
 * One database per test file (cloned from the catalog template) and one
 * schema per case, dropped afterwards, so cases never see each other.
 */
import fc from 'fast-check';
import type pg from 'pg';
import { compileStreamTable, type CompileResult } from '../../src/compile/plans.ts';
import type { CompiledPlan } from '../../src/dvm/index.ts';
import { CompilerPool } from '../../src/compile/pool.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from '../helpers/db.ts';
import { BASE_GRAMMAR, caseScript, genCase, randOf, tableDdl, type Grammar, type OracleCase, type Round } from './generators.ts';

export interface OracleStats {
  cases: number;
  rejected: Record<string, number>;
  strategies: Record<string, number>;
  actions: Record<string, number>;
  rounds: number;
  /** Milliseconds per phase, summed over cases. */
  ms: Record<string, number>;
}

/** A case failed: the message carries everything needed to replay it by hand. */
export class OracleFailure extends Error {
  override readonly name = 'OracleFailure';
}

const DEFAULT_SEED = 20_260_101;
const DEFAULT_CASES = 520;

export function oracleSeed(): number {
  const raw = process.env.PGTRICKLE_ORACLE_SEED;
  return raw ? Number(raw) : DEFAULT_SEED;
}

export function oracleCases(): number {
  const raw = process.env.PGTRICKLE_ORACLE_CASES;
  return raw ? Number(raw) : DEFAULT_CASES;
}

export class OracleRunner {
  readonly stats: OracleStats = { cases: 0, rejected: {}, strategies: {}, actions: {}, rounds: 0, ms: {} };
  private n = 0;

  private constructor(
    readonly db: TestDatabase,
    readonly client: pg.Client,
    readonly pool: CompilerPool,
  ) {}

  static async open(): Promise<OracleRunner> {
    const db = await freshDatabase();
    // Every refresh after the first must be DIFFERENTIAL, however much of a
    // (tiny) source a round changes: lift the change-ratio fallback.
    await db.adminQuery(`ALTER DATABASE ${db.name} SET pg_trickle.differential_max_change_ratio = '1000000'`);
    // JIT only costs time here: the change buffers are never analysed, so a
    // delta over a cross join is estimated at millions of rows and PostgreSQL
    // spends ~1 s compiling a plan that reads ten (see the final report: the
    // executor should run refreshes with jit = off).
    await db.adminQuery(`ALTER DATABASE ${db.name} SET jit = off`);
    // A statement over these tiny tables that runs for seconds is a bug (a plan or a delta that blew up).
    await db.adminQuery(`ALTER DATABASE ${db.name} SET statement_timeout = '${process.env.PGTRICKLE_ORACLE_STATEMENT_TIMEOUT ?? '60s'}'`);
    const client = await db.connect();
    await client.query(`SET client_min_messages = warning`);
    return new OracleRunner(db, client, new CompilerPool());
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.db.drop();
  }

  private q(sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    return this.client.query(sql, params);
  }

  private async timed<T>(phase: string, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.stats.ms[phase] = Math.round((this.stats.ms[phase] ?? 0) + performance.now() - t0);
    }
  }

  /**
   * Run one case. Returns the compile result's status ('unsupported' cases
   * are counted, not run); throws OracleFailure when the stream table
   * disagrees with its query.
   */
  async runCase(c: OracleCase): Promise<CompileResult['status']> {
    this.n += 1;
    const schema = `oc_${this.n}`;
    const fail = (what: string, detail: unknown): never => {
      throw new OracleFailure(`${what}\n${JSON.stringify(detail, null, 1)}\n-- case script:\n${caseScript(c)}`);
    };
    // Upstream first: `up` is a source of `st` when the case has one.
    const specs = [...(c.upstream ? [{ name: 'up', query: c.upstream.sql }] : []), { name: 'st', query: c.query.sql }];
    const created: string[] = [];
    await this.q(`CREATE SCHEMA ${schema}`);
    await this.q(`SET search_path = ${schema}, public`);
    try {
      for (const t of c.schema.tables) await this.q(tableDdl(t));
      for (const d of c.data) await this.q(d);
      const sts: { name: string; query: string; pgtId: number; plan: CompiledPlan }[] = [];
      for (const spec of specs) {
        const st = `${schema}.${spec.name}`;
        try {
          await this.timed('create', () => this.q(`SELECT pgtrickle.create_stream_table($1, $2, '1m', 'DIFFERENTIAL')`, [st, spec.query]));
        } catch (raw) {
          // The generator must only produce valid SQL: this is a generator bug.
          return fail(`create_stream_table ${spec.name} failed (generator bug?): ${(raw as Error).message}`, spec.query);
        }
        created.unshift(st);
        const pgtId = Number((await this.q(`SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_schema = $1 AND pgt_name = $2`, [schema, spec.name])).rows[0].pgt_id);
        await this.q('BEGIN');
        let result: CompileResult;
        try {
          result = await this.timed('compile', () => compileStreamTable(this.client, this.pool, pgtId));
          await this.q('COMMIT');
        } catch (raw) {
          await this.q('ROLLBACK');
          return fail(`compile of ${spec.name} failed: ${(raw as Error).message}`, null);
        }
        if (result.status === 'unsupported') {
          this.stats.rejected[result.code] = (this.stats.rejected[result.code] ?? 0) + 1;
          if (process.env.PGTRICKLE_ORACLE_VERBOSE) process.stdout.write(`rejected: ${result.message}\n  ${spec.query}\n`);
          return result.status;
        }
        if (result.status !== 'installed') return fail(`compile of ${spec.name}: ${result.status}`, result);
        sts.push({ ...spec, name: st, pgtId, plan: result.plan });
      }
      this.stats.cases += 1;
      if (c.upstream) this.stats.strategies.upstream = (this.stats.strategies.upstream ?? 0) + 1;
      for (const { plan } of sts) this.stats.strategies[plan.strategy] = (this.stats.strategies[plan.strategy] ?? 0) + 1;

      const check = async (label: string, round: Round | null): Promise<void> => {
        for (const { name: st, query, pgtId, plan } of sts) {
          const what = `${label}, ${st} (${plan.strategy} strategy)`;
          await this.timed(round ? 'refresh' : 'first refresh', () => this.q(`SELECT pgtrickle.refresh_stream_table($1)`, [st]));
          const action = String((await this.q(
            `SELECT action FROM pgtrickle.pgt_refresh_history WHERE pgt_id = $1 ORDER BY refresh_id DESC LIMIT 1`, [pgtId])).rows[0]?.action);
          this.stats.actions[action] = (this.stats.actions[action] ?? 0) + 1;
          if (round === null && action !== 'FULL') fail(`${what}: the first refresh after installing should be FULL, was ${action}`, null);
          if (round !== null && !round.truncates && action !== 'DIFFERENTIAL' && action !== 'NO_DATA') {
            fail(`${what}: refresh was ${action}, expected DIFFERENTIAL (no TRUNCATE in the round)`, null);
          }
          const diff = await this.timed('oracle', () => oracleDiff({ query: async (sql, params) => (await this.q(sql, params)).rows }, st, query));
          if (diff.extra.length || diff.missing.length) {
            const rows = (await this.q(`SELECT * FROM ${st}`)).rows;
            fail(`${what}, ${action} refresh: stream table differs from its query`, { ...diff, storage: rows, plan: plan.operatorTree });
          }
          // Hidden state and row ids must equal what a FULL refresh would store now.
          const drift = await this.timed('drift', () => this.q(
            `SELECT 'stored' AS side, * FROM (SELECT * FROM ${st} EXCEPT ALL SELECT * FROM (${plan.fullSelectSql}) f) x
             UNION ALL SELECT 'full', * FROM (SELECT * FROM (${plan.fullSelectSql}) f EXCEPT ALL SELECT * FROM ${st}) y`,
          ));
          if (drift.rows.length) fail(`${what}, ${action} refresh: storage drifted from the FULL result (row ids or hidden state)`, drift.rows);
        }
      };

      await check('after install', null);
      for (const [i, round] of c.rounds.entries()) {
        await this.timed('dml', () => this.applyRound(round));
        this.stats.rounds += 1;
        await check(`round ${i + 1}`, round);
      }
      return 'installed';
    } finally {
      await this.q('ROLLBACK').catch(() => {});
      await this.timed('drop', async () => {
        for (const st of created) await this.q(`SELECT pgtrickle.drop_stream_table($1)`, [st]);
        await this.q(`SET search_path = public`);
        await this.q(`DROP SCHEMA ${schema} CASCADE`);
      });
    }
  }

  /** Integrity violations (duplicate key, …) make a statement a no-op; anything else is a bug. */
  private async statement(sql: string, inTxn: boolean): Promise<void> {
    if (inTxn) await this.q('SAVEPOINT stmt');
    try {
      await this.q(sql);
      if (inTxn) await this.q('RELEASE SAVEPOINT stmt');
    } catch (raw) {
      const code = (raw as { code?: string }).code ?? '';
      if (!code.startsWith('23')) throw new OracleFailure(`statement failed: ${sql}: ${(raw as Error).message}`);
      if (inTxn) await this.q('ROLLBACK TO SAVEPOINT stmt; RELEASE SAVEPOINT stmt');
    }
  }

  async applyRound(round: Round): Promise<void> {
    for (const txn of round.txns) {
      const inTxn = txn.kind !== 'autocommit';
      if (inTxn) await this.q('BEGIN');
      for (const step of txn.steps) {
        if (typeof step === 'string') {
          await this.statement(step, inTxn);
          continue;
        }
        await this.q('SAVEPOINT block');
        for (const s of step) await this.statement(s, true);
        await this.q('ROLLBACK TO SAVEPOINT block; RELEASE SAVEPOINT block');
      }
      if (inTxn) await this.q(txn.kind === 'commit' ? 'COMMIT' : 'ROLLBACK');
    }
  }
}

/**
 * The property over `numRuns` random cases from `seed`. Fails (after
 * shrinking) with the case script and the seed to replay it.
 */
export async function checkOracle(runner: OracleRunner, seed: number, numRuns: number, baseSeed: number, grammar: Grammar = BASE_GRAMMAR): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.gen(), async (g) => {
      await runner.runCase(genCase(randOf(g, fc), grammar));
    }),
    {
      seed,
      numRuns,
      // Shrinking replays whole cases against the database: bound it, and report the smallest case so far.
      interruptAfterTimeLimit: Number(process.env.PGTRICKLE_ORACLE_SHRINK_MS ?? 240_000),
      markInterruptAsFailure: false,
      reporter: (details) => {
        if (!details.failed) return;
        const error = details.errorInstance as Error | undefined;
        throw new OracleFailure(
          `DIFFERENTIAL oracle failed (replay: PGTRICKLE_ORACLE_SEED=${baseSeed}; chunk seed ${seed}, fast-check path ${details.counterexamplePath}, ` +
            `shrunk ${details.numShrinks} times)\n${error?.message ?? String(details.errorInstance)}`,
        );
      },
    },
  );
}

export function summary(stats: OracleStats): string {
  return `oracle: ${stats.cases} cases, ${stats.rounds} rounds; strategies ${JSON.stringify(stats.strategies)}; ` +
    `refreshes ${JSON.stringify(stats.actions)}; rejected ${JSON.stringify(stats.rejected)}; ms ${JSON.stringify(stats.ms)}`;
}
