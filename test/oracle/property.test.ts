/** The DIFFERENTIAL oracle through the real system (see runner.ts); shard 1 of 4. */
import { oracleShard } from './shard.ts';

oracleShard(0, 4);
