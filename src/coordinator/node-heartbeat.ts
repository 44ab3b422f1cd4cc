/**
 * What a coordinator node publishes about itself into each managed database
 * (pgtrickle.pgt_coord_nodes, migration 0004), so SQL can answer
 * worker_pool_status(), parallel_job_status() and health_check()'s
 * scheduler check: pg_trickle reads these from shared memory, here they live
 * in the coordinator processes — several, in a cluster.
 *
 * One upsert per database every HEARTBEAT_MS (a single-row write, ~0.2 ms),
 * plus one when the node starts or gains/loses the database's lease; the row
 * is deleted on a clean stop. Readers ignore rows older than 15 s (3 beats),
 * so a crashed node disappears by itself.
 */
import type pg from 'pg';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { PRODUCT_VERSION } from '../version.ts';

export const HEARTBEAT_MS = 5_000;

/** A refresh job running on this node, as parallel_job_status() shows it. */
export interface RunningJob {
  job_id: number;
  /** pg_trickle's unit key: s:<pgt_id> for one stream table, a:<ids> for an atomic group */
  unit_key: string;
  unit_kind: 'singleton' | 'atomic_group' | 'repeatable_read_group';
  member_count: number;
  attempt_no: number;
  worker_pid: number | null;
  started_at: string;
}

export interface NodeSnapshot {
  scheduling: boolean;
  maxWorkers: number;
  compilePools: { pool: number; utilization: number }[];
  runningJobs: RunningJob[];
  counters: { diff_refreshes: number; dedup_needed: number };
}

export class NodeHeartbeat {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly o: { pool: pg.Pool; nodeId: string; database: string; log: Logger; snapshot: () => NodeSnapshot },
  ) {}

  start(): void {
    if (this.timer) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Publishes now (lease gained or lost), without waiting for the next beat. */
  beat(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const s = this.o.snapshot();
    this.inFlight = this.o.pool
      .query(
        `INSERT INTO pgtrickle.pgt_coord_nodes AS n
                (node_id, backend_pid, scheduling, product_version, max_workers, compile_pools, running_jobs, counters, heartbeat_at)
         VALUES ($1, pg_backend_pid(), $2, $3, $4, $5, $6, $7, now())
         ON CONFLICT (node_id) DO UPDATE
            SET backend_pid = EXCLUDED.backend_pid, scheduling = EXCLUDED.scheduling, product_version = EXCLUDED.product_version,
                max_workers = EXCLUDED.max_workers, compile_pools = EXCLUDED.compile_pools,
                running_jobs = EXCLUDED.running_jobs, counters = EXCLUDED.counters, heartbeat_at = now()`,
        [this.o.nodeId, s.scheduling, PRODUCT_VERSION, s.maxWorkers, JSON.stringify(s.compilePools),
          JSON.stringify(s.runningJobs), JSON.stringify(s.counters)],
      )
      .then(() => undefined)
      .catch((raw) => this.o.log.debug({ db: this.o.database, err: describeError(raw) }, 'node heartbeat failed'))
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  /** Stops beating and removes the node's row (best effort: a dead row expires anyway). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
    await this.o.pool.query('DELETE FROM pgtrickle.pgt_coord_nodes WHERE node_id = $1', [this.o.nodeId]).catch(() => {});
  }
}
