/**
 * One shard of the property: the default run (≥ 500 cases) is spread over
 * several test files so vitest runs them on both workers. Each shard runs its
 * cases in chunks (one `it` each, own seed) so progress is visible and a
 * failure names its chunk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Features } from './generators.ts';
import { checkOracle, oracleCases, oracleSeed, OracleRunner, summary } from './runner.ts';

const CHUNK = 40;

export interface Suite {
  /** Shown in the test names. */
  readonly name: string;
  readonly features: Features;
  /** Cases of this shard (default: the base suite's share). */
  readonly cases?: number;
  /** Seed offset, so suites do not replay each other's cases. */
  readonly seedOffset?: number;
}

export function oracleShard(shard: number, shards: number, suite: Suite = { name: 'DIFFERENTIAL oracle', features: {} }): void {
  describe(`${suite.name}, shard ${shard + 1}/${shards}`, () => {
    let runner: OracleRunner;
    beforeAll(async () => {
      runner = await OracleRunner.open();
    });
    afterAll(async () => {
      if (!runner) return;
      process.stdout.write(`shard ${shard + 1}/${shards} ${summary(runner.stats)}\n`);
      await runner.close();
    });

    const total = suite.cases ?? Math.ceil(oracleCases() / shards);
    const base = oracleSeed() + (suite.seedOffset ?? 0);
    for (let chunk = 0; chunk * CHUNK < total; chunk++) {
      const runs = Math.min(CHUNK, total - chunk * CHUNK);
      const seed = base + shard * 10_000 + chunk;
      it(`random schema, data, query and DML: ${runs} cases (seed ${seed})`, async () => {
        await checkOracle(runner, seed, runs, base, suite.features);
      }, 600_000);
    }

    it('the generator stays inside the supported grammar (at most 3% rejected)', () => {
      const rejected = Object.values(runner.stats.rejected).reduce((a, b) => a + b, 0);
      expect(rejected / Math.max(1, rejected + runner.stats.cases), JSON.stringify(runner.stats.rejected)).toBeLessThanOrEqual(0.03);
    });
  });
}
