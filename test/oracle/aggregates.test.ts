/**
 * The DIFFERENTIAL oracle over the aggregate grammar of issue 11: MIN/MAX
 * (extremes moved and deleted by the DML) and group-rescan aggregates
 * (STRING_AGG / ARRAY_AGG / JSON[B]_AGG with ORDER BY, JSONB_OBJECT_AGG,
 * BOOL_*, BIT_*, COUNT/SUM(DISTINCT), MODE / PERCENTILE_DISC WITHIN GROUP,
 * FILTER), at the top, under HAVING and inside subqueries, CTEs, UNION ALL.
 * Cases: PGTRICKLE_ORACLE_AGG_CASES (default 150).
 */
import { oracleShard } from './shard.ts';

oracleShard(0, 1, {
  label: 'DIFFERENTIAL oracle: MIN/MAX and group-rescan aggregates',
  grammar: { aggregates: true },
  cases: Number(process.env.PGTRICKLE_ORACLE_AGG_CASES ?? 150),
  seedOffset: 1_000_000,
});
