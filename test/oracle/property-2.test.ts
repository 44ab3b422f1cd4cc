/** The DIFFERENTIAL oracle through the real system (see runner.ts); shard 2 of 4. */
import { oracleShard } from './shard.ts';

oracleShard(1, 4);
