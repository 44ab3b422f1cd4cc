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
  // On PostgreSQL 18 about 3 % of these cases are refused with topk_order (a
  // TopK ordered by a window result as 18 deparses it); none on 15. Refused
  // cases are never wrong answers; the allowance keeps the generator honest.
  maxRejected: 0.05,
});
