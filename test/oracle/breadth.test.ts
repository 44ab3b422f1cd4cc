/**
 * The DIFFERENTIAL oracle over the breadth grammar (issue 10): outer joins,
 * sublinks in WHERE and scalar subqueries mixed with everything the base
 * grammar has. PGTRICKLE_ORACLE_BREADTH_CASES raises the number of cases.
 */
import { BREADTH_GRAMMAR } from './generators.ts';
import { oracleShard } from './shard.ts';

const CASES = Number(process.env.PGTRICKLE_ORACLE_BREADTH_CASES ?? 300);

oracleShard(0, 1, { grammar: BREADTH_GRAMMAR, label: 'DIFFERENTIAL oracle, outer joins / sublinks / scalar subqueries', cases: CASES, seedOffset: 500_000, maxRejected: 0.1 });
