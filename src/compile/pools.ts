/**
 * Compile pools sharded by database (DESIGN D9): each database always uses the
 * same pool (a stable hash of its name), so one database compiling many plans
 * cannot starve the others' compiles.
 */
import { createHash } from 'node:crypto';
import type { CoordinatorMetrics } from '../coordinator/metrics.ts';
import { databaseKey } from '../db-url.ts';
import { CompilerPool } from './pool.ts';

export class CompilerPools {
  private readonly pools: CompilerPool[];

  constructor(options: { pools: number; threadsPerPool: number }) {
    this.pools = Array.from({ length: Math.max(1, options.pools) }, () => new CompilerPool({ threads: options.threadsPerPool }));
  }

  /** Stable: the same database name always maps to the same pool. */
  indexFor(database: string): number {
    const digest = createHash('sha1').update(database).digest();
    return digest.readUInt32BE(0) % this.pools.length;
  }

  forDatabase(database: string): CompilerPool {
    return this.pools[this.indexFor(database)]!;
  }

  /** Session options for the database behind `url`. */
  forDatabaseUrl(url: string): { compiler: CompilerPool } {
    return { compiler: this.forDatabase(databaseKey(url)) };
  }

  reportUtilization(metrics: CoordinatorMetrics): void {
    this.pools.forEach((pool, i) => metrics.poolUtilization.set({ pool: String(i) }, pool.utilization));
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.close()));
  }
}
