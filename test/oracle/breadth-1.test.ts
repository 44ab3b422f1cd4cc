/**
 * The DIFFERENTIAL oracle over the breadth grammar (issue 10): outer joins,
 * sublinks in WHERE and scalar subqueries mixed with everything the base
 * grammar has. PGTRICKLE_ORACLE_BREADTH_CASES (default 300, over two shards:
 * this file and breadth-2) sets the number of cases. Shard 1 of 2.
 */
import { BREADTH_SHARD, oracleShard } from './shard.ts';

oracleShard(0, 2, BREADTH_SHARD);
