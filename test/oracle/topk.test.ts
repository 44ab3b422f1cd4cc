/**
 * The DIFFERENTIAL oracle over TopK (issue 11): ORDER BY … LIMIT n [OFFSET m]
 * and FETCH FIRST … WITH TIES over the whole grammar (joins, aggregates,
 * MIN/MAX, set operations: "TopK over a UNION"); the DML moves rows across
 * the boundary. Cases: PGTRICKLE_ORACLE_TOPK_CASES (default 150).
 */
import { oracleShard } from './shard.ts';

oracleShard(0, 1, {
  label: 'DIFFERENTIAL oracle: TopK',
  grammar: { topk: true, setOps: true, aggregates: true },
  cases: Number(process.env.PGTRICKLE_ORACLE_TOPK_CASES ?? 150),
  seedOffset: 3_000_000,
});
