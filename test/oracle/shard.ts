/**
 * One shard of the property: the default run (≥ 500 cases) is spread over
 * several test files so vitest runs them on both workers. Each shard runs its
 * cases in chunks (one `it` each, own seed) so progress is visible and a
 * failure names its chunk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_GRAMMAR, BREADTH_GRAMMAR, type Grammar } from './generators.ts';
import { checkOracle, oracleCases, oracleSeed, OracleRunner, summary } from './runner.ts';

const CHUNK = 40;

export interface ShardOptions {
  readonly grammar: Grammar;
  readonly label: string;
  /** Cases over all shards. */
  readonly cases: number;
  /** Added to the seed, so groups draw different cases. */
  readonly seedOffset: number;
  /** Share of generated queries the compiler may refuse. */
  readonly maxRejected: number;
}

/** The breadth grammar's DIFFERENTIAL run (breadth-1/-2.test.ts): 300 cases unless PGTRICKLE_ORACLE_BREADTH_CASES says otherwise. */
export const BREADTH_SHARD: ShardOptions = {
  grammar: BREADTH_GRAMMAR,
  label: 'DIFFERENTIAL oracle, outer joins / sublinks / scalar subqueries',
  cases: Number(process.env.PGTRICKLE_ORACLE_BREADTH_CASES ?? 300),
  seedOffset: 500_000,
  maxRejected: 0.1,
};

export function oracleShard(shard: number, shards: number, options: Partial<ShardOptions> = {}): void {
  const grammar = options.grammar ?? BASE_GRAMMAR;
  const label = options.label ?? 'DIFFERENTIAL oracle';
  describe(`${label}, shard ${shard + 1}/${shards}`, () => {
    let runner: OracleRunner;
    beforeAll(async () => {
      runner = await OracleRunner.open();
    });
    afterAll(async () => {
      if (!runner) return;
      process.stdout.write(`shard ${shard + 1}/${shards} ${summary(runner.stats)}\n`);
      await runner.close();
    });

    const total = Math.ceil((options.cases ?? oracleCases()) / shards);
    const base = oracleSeed() + (options.seedOffset ?? 0);
    for (let chunk = 0; chunk * CHUNK < total; chunk++) {
      const runs = Math.min(CHUNK, total - chunk * CHUNK);
      const seed = base + shard * 10_000 + chunk;
      it(`random schema, data, query and DML: ${runs} cases (seed ${seed})`, async () => {
        await checkOracle(runner, seed, runs, base, grammar);
      }, 600_000);
    }

    const maxRejected = options.maxRejected ?? 0.03;
    it(`the generator stays inside the supported grammar (at most ${Math.round(maxRejected * 100)}% rejected)`, () => {
      const rejected = Object.values(runner.stats.rejected).reduce((a, b) => a + b, 0);
      expect(rejected / Math.max(1, rejected + runner.stats.cases), JSON.stringify(runner.stats.rejected)).toBeLessThanOrEqual(maxRejected);
    });
  });
}
