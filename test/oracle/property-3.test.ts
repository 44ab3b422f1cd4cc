/** The DIFFERENTIAL oracle through the real system (see runner.ts); shard 3 of 4. */
import { oracleShard } from './shard.ts';

oracleShard(2, 4);
