/** The DIFFERENTIAL oracle through the real system (see runner.ts); shard 4 of 4. */
import { oracleShard } from './shard.ts';

oracleShard(3, 4);
