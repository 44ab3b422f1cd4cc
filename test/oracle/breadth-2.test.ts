/** The DIFFERENTIAL oracle over the breadth grammar (see breadth-1.test.ts); shard 2 of 2. */
import { BREADTH_SHARD, oracleShard } from './shard.ts';

oracleShard(1, 2, BREADTH_SHARD);
