-- Migration 0001 (pgtrickle 0.1.0): the catalog's schemas, sequence and tables.
--
-- Released: never edit this file (the installer stores its checksum and refuses
-- to run when it changes); add a new numbered migration instead. Functions,
-- views and triggers live in sql/code/. Tables keep pg_trickle v0.14.0's names
-- and columns so existing SQL, dashboards and dbt macros keep working;
-- coordinator-private state lives in additional tables prefixed pgt_coord_
-- (spec/sql-api.md §8).

CREATE SCHEMA IF NOT EXISTS pgtrickle;
CREATE SCHEMA IF NOT EXISTS pgtrickle_changes;
-- Rows injected into a change buffer would be applied to stream tables.
REVOKE ALL ON SCHEMA pgtrickle_changes FROM PUBLIC;

-- Orders changes within a window (net effect per key); never used for visibility.
CREATE SEQUENCE pgtrickle_changes.change_seq;

---------------------------------------------------------------------------
-- Catalog tables (spec/sql-api.md §8)
---------------------------------------------------------------------------

CREATE TABLE pgtrickle.pgt_stream_tables (
    pgt_id                    BIGSERIAL PRIMARY KEY,
    pgt_relid                 OID NOT NULL UNIQUE,
    pgt_name                  TEXT NOT NULL,
    pgt_schema                TEXT NOT NULL,
    defining_query            TEXT NOT NULL,
    original_query            TEXT,
    schedule                  TEXT,
    refresh_mode              TEXT NOT NULL DEFAULT 'DIFFERENTIAL'
                              CHECK (refresh_mode IN ('FULL', 'DIFFERENTIAL', 'IMMEDIATE')),
    status                    TEXT NOT NULL DEFAULT 'INITIALIZING'
                              CHECK (status IN ('INITIALIZING', 'ACTIVE', 'SUSPENDED', 'ERROR')),
    is_populated              BOOLEAN NOT NULL DEFAULT FALSE,
    data_timestamp            TIMESTAMPTZ,
    frontier                  JSONB,
    last_refresh_at           TIMESTAMPTZ,
    consecutive_errors        INT NOT NULL DEFAULT 0,
    needs_reinit              BOOLEAN NOT NULL DEFAULT FALSE,
    auto_threshold            DOUBLE PRECISION,
    last_full_ms              DOUBLE PRECISION,
    functions_used            TEXT[],
    topk_limit                INT,
    topk_order_by             TEXT,
    topk_offset               INT,
    diamond_consistency       TEXT NOT NULL DEFAULT 'atomic'
                              CHECK (diamond_consistency IN ('none', 'atomic')),
    diamond_schedule_policy   TEXT NOT NULL DEFAULT 'fastest'
                              CHECK (diamond_schedule_policy IN ('fastest', 'slowest')),
    has_keyless_source        BOOLEAN NOT NULL DEFAULT FALSE,
    function_hashes           TEXT,
    requested_cdc_mode        TEXT CHECK (requested_cdc_mode IN ('auto', 'trigger', 'wal')),
    is_append_only            BOOLEAN NOT NULL DEFAULT FALSE,
    scc_id                    INT,
    last_fixpoint_iterations  INT,
    max_differential_joins    INT,
    max_delta_fraction        DOUBLE PRECISION,
    pooler_compatibility_mode BOOLEAN NOT NULL DEFAULT FALSE,
    refresh_tier              TEXT NOT NULL DEFAULT 'hot'
                              CHECK (refresh_tier IN ('hot', 'warm', 'cold', 'frozen')),
    effective_refresh_mode    TEXT,
    fuse_mode                 TEXT NOT NULL DEFAULT 'off' CHECK (fuse_mode IN ('off', 'on', 'auto')),
    fuse_state                TEXT NOT NULL DEFAULT 'armed'
                              CHECK (fuse_state IN ('armed', 'blown', 'disabled')),
    fuse_ceiling              BIGINT,
    fuse_sensitivity          INT,
    blown_at                  TIMESTAMPTZ,
    blow_reason               TEXT,
    last_error_message        TEXT,
    last_error_at             TIMESTAMPTZ,
    st_partition_key          TEXT,
    created_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX idx_pgt_name ON pgtrickle.pgt_stream_tables (pgt_schema, pgt_name);
CREATE INDEX idx_pgt_status ON pgtrickle.pgt_stream_tables (status);

CREATE TABLE pgtrickle.pgt_dependencies (
    pgt_id                BIGINT NOT NULL REFERENCES pgtrickle.pgt_stream_tables (pgt_id) ON DELETE CASCADE,
    source_relid          OID NOT NULL,
    source_type           TEXT NOT NULL
                          CHECK (source_type IN ('TABLE', 'STREAM_TABLE', 'VIEW', 'MATVIEW', 'FOREIGN_TABLE')),
    columns_used          TEXT[],
    column_snapshot       JSONB,
    schema_fingerprint    TEXT,
    cdc_mode              TEXT NOT NULL DEFAULT 'TRIGGER' CHECK (cdc_mode IN ('TRIGGER', 'TRANSITIONING', 'WAL')),
    slot_name             TEXT,
    decoder_confirmed_lsn PG_LSN,
    transition_started_at TIMESTAMPTZ,
    PRIMARY KEY (pgt_id, source_relid)
);
CREATE INDEX idx_deps_source ON pgtrickle.pgt_dependencies (source_relid);

CREATE TABLE pgtrickle.pgt_refresh_history (
    refresh_id          BIGSERIAL PRIMARY KEY,
    pgt_id              BIGINT NOT NULL,
    data_timestamp      TIMESTAMPTZ NOT NULL,
    start_time          TIMESTAMPTZ NOT NULL,
    end_time            TIMESTAMPTZ,
    action              TEXT NOT NULL CHECK (action IN ('NO_DATA', 'FULL', 'DIFFERENTIAL', 'REINITIALIZE', 'SKIP')),
    rows_inserted       BIGINT DEFAULT 0,
    rows_deleted        BIGINT DEFAULT 0,
    delta_row_count     BIGINT DEFAULT 0,
    merge_strategy_used TEXT,
    was_full_fallback   BOOLEAN NOT NULL DEFAULT FALSE,
    error_message       TEXT,
    status              TEXT NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED', 'FAILED', 'SKIPPED')),
    initiated_by        TEXT CHECK (initiated_by IN ('SCHEDULER', 'MANUAL', 'INITIAL')),
    freshness_deadline  TIMESTAMPTZ,
    tick_watermark_lsn  PG_LSN,
    fixpoint_iteration  INT
);
CREATE INDEX idx_hist_pgt_ts ON pgtrickle.pgt_refresh_history (pgt_id, data_timestamp);
CREATE INDEX idx_hist_pgt_start ON pgtrickle.pgt_refresh_history (pgt_id, start_time DESC);

CREATE TABLE pgtrickle.pgt_change_tracking (
    source_relid       OID PRIMARY KEY,
    slot_name          TEXT NOT NULL,
    last_consumed_lsn  PG_LSN,
    tracked_by_pgt_ids BIGINT[]
);

---------------------------------------------------------------------------
-- Coordinator-private tables
---------------------------------------------------------------------------

-- Visibility-correct frontier (DESIGN D5): the pg_snapshot of the statement
-- that last refreshed this stream table, per source. NULL until populated.
CREATE TABLE pgtrickle.pgt_coord_frontiers (
    pgt_id       BIGINT NOT NULL REFERENCES pgtrickle.pgt_stream_tables (pgt_id) ON DELETE CASCADE,
    source_relid OID NOT NULL,
    frontier     PG_SNAPSHOT,
    -- the refreshing transaction and the last change id it consumed of its own
    -- rows: it may write more rows with the same xid after refreshing
    self_xid       XID8,
    self_change_id BIGINT,
    PRIMARY KEY (pgt_id, source_relid)
);
CREATE INDEX idx_coord_frontiers_source ON pgtrickle.pgt_coord_frontiers (source_relid);

-- The statements a refresh executes (DESIGN D2). GENERIC_FULL plans are written
-- by create_stream_table itself; COMPILED plans by the coordinator's DVM compiler.
-- storage_matches_plan: the storage rows were produced by this plan's full_sql,
-- so its differential_sql may be applied (row ids agree).
CREATE TABLE pgtrickle.pgt_coord_plans (
    pgt_id               BIGINT PRIMARY KEY REFERENCES pgtrickle.pgt_stream_tables (pgt_id) ON DELETE CASCADE,
    plan_kind            TEXT NOT NULL CHECK (plan_kind IN ('GENERIC_FULL', 'COMPILED')),
    -- the refresh_mode the user asked for: AUTO falls back to FULL when the
    -- compiler cannot maintain the query, an explicit DIFFERENTIAL is an error
    requested_mode       TEXT NOT NULL DEFAULT 'AUTO' CHECK (requested_mode IN ('AUTO', 'FULL', 'DIFFERENTIAL', 'IMMEDIATE')),
    compiler_version     TEXT,
    full_sql             TEXT NOT NULL,
    differential_sql     TEXT,
    operator_tree        TEXT,
    plan                 JSONB,
    compile_requested_at TIMESTAMPTZ,
    compiled_at          TIMESTAMPTZ,
    compile_error        TEXT,
    storage_matches_plan BOOLEAN NOT NULL DEFAULT FALSE
);

-- The source columns each change buffer was built for, to tell what an ALTER
-- TABLE changed (DDL handling) without guessing from names.
CREATE TABLE pgtrickle.pgt_coord_buffers (
    source_relid OID PRIMARY KEY,
    columns      JSONB NOT NULL
);

-- Row counts of the last differential MERGE (MERGE has no RETURNING before PG 17).
CREATE TABLE pgtrickle.pgt_coord_refresh_stats (
    pgt_id        BIGINT PRIMARY KEY,
    rows_inserted BIGINT NOT NULL DEFAULT 0,
    rows_deleted  BIGINT NOT NULL DEFAULT 0
);

-- Periodic alerts: when each (event, subject) was last sent (sql/code/04_alerts.sql).
CREATE TABLE pgtrickle.pgt_coord_alert_state (
    alert_key TEXT PRIMARY KEY,
    last_sent TIMESTAMPTZ NOT NULL
);
