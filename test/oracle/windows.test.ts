/**
 * The DIFFERENTIAL oracle over window functions (issue 11): ranking, offset
 * and aggregates OVER, frames, with and without PARTITION BY, several per
 * query, inside expressions, over aggregates (rank of groups), under TopK and
 * in subqueries. Cases: PGTRICKLE_ORACLE_WINDOW_CASES (default 150).
 */
import { oracleShard } from './shard.ts';

oracleShard(0, 1, {
  label: 'DIFFERENTIAL oracle: window functions',
  grammar: { windows: true, aggregates: true, topk: true },
  cases: Number(process.env.PGTRICKLE_ORACLE_WINDOW_CASES ?? 150),
  seedOffset: 4_000_000,
});
