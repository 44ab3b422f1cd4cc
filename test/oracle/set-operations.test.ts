/**
 * The DIFFERENTIAL oracle over set operations (issue 11): UNION, INTERSECT
 * [ALL], EXCEPT [ALL], nested and mixed with UNION ALL, at the top (storage
 * read with a plain SELECT) and inside subqueries, CTEs, joins, aggregates.
 * Cases: PGTRICKLE_ORACLE_SETOP_CASES (default 150).
 */
import { oracleShard } from './shard.ts';

oracleShard(0, 1, {
  label: 'DIFFERENTIAL oracle: set operations',
  grammar: { setOps: true, aggregates: true },
  cases: Number(process.env.PGTRICKLE_ORACLE_SETOP_CASES ?? 150),
  seedOffset: 2_000_000,
});
