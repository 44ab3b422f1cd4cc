-- Migration 0004 (after pgtrickle 0.2.0): what the coordinators running this
-- database's refreshes publish about themselves (spec/sql-api.md §3–§4,
-- "Mapping for an external service").
--
-- pg_trickle reads its worker pool, running jobs and scheduler from shared
-- memory; here those facts live in coordinator processes, possibly several
-- (a cluster). Every node with a session on this database upserts its row at
-- most once every few seconds (src/coordinator/database-session.ts) and
-- deletes it when it stops; a row whose heartbeat is older than 15 s is a dead
-- node and is ignored by the readers (worker_pool_status, parallel_job_status,
-- health_check, quick_health in sql/code/18_status.sql, 19_cdc_dag.sql).

CREATE TABLE pgtrickle.pgt_coord_nodes (
    node_id        TEXT PRIMARY KEY,
    -- backend pid of the node's row-writing connection (parallel_job_status.scheduler_pid)
    backend_pid    INT,
    -- this node holds the database's scheduling lease
    scheduling     BOOLEAN NOT NULL DEFAULT FALSE,
    product_version TEXT,
    started_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- refresh concurrency of this node for this database (max_concurrent_refreshes)
    max_workers    INT NOT NULL DEFAULT 0,
    -- [{"pool": n, "threads": n, "utilization": 0..1}]
    compile_pools  JSONB NOT NULL DEFAULT '[]',
    -- [{"job_id", "unit_key", "unit_kind", "member_count", "attempt_no", "worker_pid", "started_at"}]
    running_jobs   JSONB NOT NULL DEFAULT '[]',
    -- node-lifetime counters: {"diff_refreshes": n, "dedup_needed": n}
    counters       JSONB NOT NULL DEFAULT '{}'
);

GRANT SELECT ON pgtrickle.pgt_coord_nodes TO pgtrickle_user;
