-- pgtrickle catalog, version 1.
--
-- Installed into every managed database by the coordinator (src/catalog/install.ts)
-- under an advisory lock, inside one transaction, after which the version row is
-- written. Tables keep pg_trickle v0.14.0's names and columns so existing SQL,
-- dashboards and dbt macros keep working; coordinator-private state lives in
-- additional tables prefixed pgt_coord_ (spec/sql-api.md §8).

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

---------------------------------------------------------------------------
-- Small utilities
---------------------------------------------------------------------------

CREATE FUNCTION pgtrickle.version() RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT '0.14.0' $$;

-- Row identity hashes. pg_trickle uses XXH64, which plpgsql cannot compute
-- cheaply; hashtextextended is PostgreSQL's own 64-bit hash. Every path (FULL,
-- DIFFERENTIAL, capture) uses these two functions, so ids always agree.
CREATE FUNCTION pgtrickle.pg_trickle_hash(input text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT pg_catalog.hashtextextended(input, 5871781006564002453) $$;

-- NULL-safe: the array's text form distinguishes NULL from 'NULL' and quotes
-- separators, so different key tuples never share an encoding.
-- STABLE, not IMMUTABLE: text[] output (array_out) is STABLE, and PostgreSQL
-- only inlines a SQL function whose body is no more volatile than declared;
-- inlined, a row id costs ~2 µs instead of ~9 µs (bench/refresh, 100k rows).
-- Refreshes pin the settings array_out depends on.
CREATE FUNCTION pgtrickle.pg_trickle_hash_multi(inputs text[]) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.hashtextextended(COALESCE(inputs::text, ''), 5871781006564002453) $$;

-- Duration grammar: bare integer = seconds, or groups of digits+unit (s m h d w).
-- NULL for anything else (including cron expressions). No minimum check.
CREATE FUNCTION pgtrickle.parse_duration_seconds(input text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    v text := btrim(input);
    m text[];
    total bigint := 0;
BEGIN
    IF v ~ '^[0-9]+$' THEN
        RETURN v::bigint;
    END IF;
    IF v !~ '^([0-9]+[smhdw])+$' THEN
        RETURN NULL;
    END IF;
    FOR m IN SELECT regexp_matches(v, '([0-9]+)([smhdw])', 'g') LOOP
        total := total + m[1]::bigint * CASE m[2]
            WHEN 's' THEN 1 WHEN 'm' THEN 60 WHEN 'h' THEN 3600
            WHEN 'd' THEN 86400 ELSE 604800 END;
    END LOOP;
    RETURN total;
END $$;

-- A GUC with a default: ALTER DATABASE … SET pg_trickle.x = … is honoured.
CREATE FUNCTION pgtrickle._setting(name text, default_value text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(NULLIF(pg_catalog.current_setting('pg_trickle.' || name, true), ''), default_value)
$$;

-- Validates a cron expression the way the coordinator's scheduler (croner) reads it:
-- 5 fields, 6 with seconds, or an @alias.
CREATE FUNCTION pgtrickle._validate_cron(expr text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    fields text[];
    names  text[] := ARRAY['second', 'minute', 'hour', 'day of month', 'month', 'day of week'];
    lo     int[]  := ARRAY[0, 0, 0, 1, 1, 0];
    hi     int[]  := ARRAY[59, 59, 23, 31, 12, 7];
    offs   int;
    i      int;
    item   text;
    part   text;
    n      text;
BEGIN
    IF expr LIKE '@%' THEN
        IF lower(expr) NOT IN ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly') THEN
            RAISE EXCEPTION 'invalid argument: invalid cron expression ''%'': unknown alias (expected @yearly, @annually, @monthly, @weekly, @daily or @hourly)', expr;
        END IF;
        RETURN;
    END IF;
    fields := regexp_split_to_array(btrim(expr), '\s+');
    IF array_length(fields, 1) NOT IN (5, 6) THEN
        RAISE EXCEPTION 'invalid argument: invalid cron expression ''%'': expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds, got %',
            expr, array_length(fields, 1);
    END IF;
    offs := CASE WHEN array_length(fields, 1) = 5 THEN 1 ELSE 0 END;
    FOR i IN 1 .. array_length(fields, 1) LOOP
        FOREACH item IN ARRAY string_to_array(lower(fields[i]), ',') LOOP
            -- jan..dec and sun..sat are accepted as names
            part := regexp_replace(item, '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)', '1', 'g');
            IF part !~ '^(\*|\?|L|[0-9]+(-[0-9]+)?|[0-9]+#[1-5]|[0-9]*L|[0-9]+W)(/[0-9]+)?$' THEN
                RAISE EXCEPTION 'invalid argument: invalid cron expression ''%'': bad % field ''%''', expr, names[i + offs], fields[i];
            END IF;
            FOR n IN SELECT (regexp_matches(regexp_replace(part, '/[0-9]+$', ''), '[0-9]+', 'g'))[1] LOOP
                IF part ~ '#' THEN EXIT; END IF;
                IF n::int < lo[i + offs] OR n::int > hi[i + offs] THEN
                    RAISE EXCEPTION 'invalid argument: invalid cron expression ''%'': % value % is outside %..%',
                        expr, names[i + offs], n, lo[i + offs], hi[i + offs];
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
END $$;

-- Returns the schedule to store (NULL = CALCULATED) or raises a clear error.
CREATE FUNCTION pgtrickle._normalize_schedule(schedule text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v       text := btrim(schedule);
    seconds bigint;
    minimum bigint := pgtrickle._setting('min_schedule_seconds', '1')::bigint;
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'invalid argument: use ''calculated'' instead of NULL to set CALCULATED schedule';
    END IF;
    IF lower(v) = 'calculated' THEN
        RETURN NULL;
    END IF;
    IF v = '' THEN
        RAISE EXCEPTION 'invalid argument: invalid schedule '''': empty'
            USING HINT = 'Use a duration like ''30s'', ''5m'', ''1h30m'', a cron expression like ''*/5 * * * *'', or ''calculated''.';
    END IF;
    IF v LIKE '@%' OR v ~ '\s' THEN
        PERFORM pgtrickle._validate_cron(v);
        RETURN v;
    END IF;
    seconds := pgtrickle.parse_duration_seconds(v);
    IF seconds IS NULL THEN
        RAISE EXCEPTION 'invalid argument: invalid schedule ''%'': %', v,
            CASE WHEN v ~ '^-' THEN 'negative durations are not allowed'
                 WHEN v ~ '(^|[smhdw])[smhdw]' THEN 'a number is missing before a unit'
                 WHEN v ~ '[0-9]$' THEN 'trailing digits without a unit'
                 ELSE 'unknown unit (use s, m, h, d or w)' END
            USING HINT = 'Use a duration like ''30s'', ''5m'', ''1h30m'', a cron expression like ''*/5 * * * *'', or ''calculated''.';
    END IF;
    IF seconds < minimum THEN
        RAISE EXCEPTION 'invalid argument: schedule must be at least %s, got %s', minimum, seconds
            USING HINT = 'Lower pg_trickle.min_schedule_seconds or choose a longer schedule.';
    END IF;
    RETURN v;
END $$;

-- 'AUTO' stays 'AUTO' here; the caller decides what to store.
CREATE FUNCTION pgtrickle._normalize_mode(refresh_mode text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v text := upper(btrim(COALESCE(refresh_mode, '')));
BEGIN
    IF v = 'INCREMENTAL' THEN
        v := 'DIFFERENTIAL';
    END IF;
    IF v NOT IN ('AUTO', 'FULL', 'DIFFERENTIAL', 'IMMEDIATE') THEN
        RAISE EXCEPTION 'invalid argument: unknown refresh mode: %. Must be ''AUTO'', ''FULL'', ''DIFFERENTIAL'', or ''IMMEDIATE''',
            COALESCE(refresh_mode, 'NULL');
    END IF;
    RETURN v;
END $$;

-- Splits a stream-table name with PostgreSQL's identifier rules (parse_ident):
-- order_totals → (current schema, order_totals); "Order Totals" keeps its case
-- and space; analytics.daily → (analytics, daily).
CREATE FUNCTION pgtrickle._resolve_name(name text, OUT schema_name text, OUT table_name text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    parts text[];
BEGIN
    IF name IS NULL OR btrim(name) = '' THEN
        RAISE EXCEPTION 'invalid argument: stream table name must not be empty';
    END IF;
    BEGIN
        parts := pg_catalog.parse_ident(name);
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'invalid argument: invalid stream table name %: %', pg_catalog.quote_literal(name), SQLERRM
            USING HINT = 'Use a plain identifier such as order_totals, a qualified one such as analytics.order_totals, or double quotes for other characters: ''"Order Totals"''.';
    END;
    IF array_length(parts, 1) = 1 THEN
        schema_name := COALESCE(current_schema(), 'public');
        table_name := parts[1];
    ELSIF array_length(parts, 1) = 2 THEN
        schema_name := parts[1];
        table_name := parts[2];
    ELSE
        RAISE EXCEPTION 'invalid argument: invalid stream table name %: expected name or schema.name', pg_catalog.quote_literal(name);
    END IF;
    IF octet_length(table_name) > 63 THEN
        RAISE EXCEPTION 'invalid argument: invalid stream table name %: longer than 63 bytes', pg_catalog.quote_literal(name);
    END IF;
    IF table_name LIKE '\_\_pgt\_%' THEN
        RAISE EXCEPTION 'invalid argument: invalid stream table name %: the prefix __pgt_ is reserved', pg_catalog.quote_literal(name);
    END IF;
END $$;

CREATE FUNCTION pgtrickle._find_stream_table(name text) RETURNS pgtrickle.pgt_stream_tables
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r  record;
    st pgtrickle.pgt_stream_tables;
BEGIN
    SELECT * INTO r FROM pgtrickle._resolve_name(name);
    SELECT * INTO st FROM pgtrickle.pgt_stream_tables
     WHERE pgt_schema = r.schema_name AND pgt_name = r.table_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'stream table not found: %.%', r.schema_name, r.table_name
            USING HINT = 'List stream tables with: SELECT * FROM pgtrickle.pgt_status();';
    END IF;
    RETURN st;
END $$;

CREATE FUNCTION pgtrickle._qualified(st pgtrickle.pgt_stream_tables) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT format('%I.%I', st.pgt_schema, st.pgt_name) $$;

-- Alerts (spec/sql-api.md §11.1). Delivered on commit; the coordinator also
-- republishes them on its bus.
CREATE FUNCTION pgtrickle._alert(event text, st pgtrickle.pgt_stream_tables, extra jsonb DEFAULT '{}') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF st.pooler_compatibility_mode THEN
        RETURN;
    END IF;
    PERFORM pg_catalog.pg_notify('pg_trickle_alert', left((
        jsonb_build_object('event', event, 'pgt_schema', st.pgt_schema, 'pgt_name', st.pgt_name,
                           'st', st.pgt_schema || '.' || st.pgt_name) || extra)::text, 7900));
END $$;

-- Wakes the coordinator after a catalog change (create/alter/drop/compile request).
CREATE FUNCTION pgtrickle._signal_coordinator(op text, pgt_id bigint) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_catalog.pg_notify('pgtrickle_coordinator', json_build_object('op', op, 'pgt_id', pgt_id)::text)
$$;

---------------------------------------------------------------------------
-- Change capture (DESIGN D4)
---------------------------------------------------------------------------

-- Storage tables refuse direct writes; the refresh executor sets
-- pg_trickle.internal_refresh for its own statements only (function SET clause).
-- Statement-level, so a refresh of a million rows pays for it once.
CREATE FUNCTION pgtrickle._guard_stream_table_dml() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF COALESCE(current_setting('pg_trickle.internal_refresh', true), '') <> 'true' THEN
        RAISE EXCEPTION 'Direct DML on stream table %.% is not allowed', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING HINT = 'Stream tables are maintained by pgtrickle; change the source tables, or use pgtrickle.refresh_stream_table / alter_stream_table.',
                  ERRCODE = '42501';
    END IF;
    RETURN NULL;
END $$;

-- The columns of a source as capture sees them: attnum order, name, type, and
-- whether the primary key includes them. Compared with the stored copy in
-- pgt_coord_buffers to tell what an ALTER TABLE changed.
CREATE FUNCTION pgtrickle._source_columns(relid oid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(jsonb_agg(jsonb_build_object(
               'attnum', a.attnum, 'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
               'pk', EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = relid AND i.indisprimary AND a.attnum = ANY (i.indkey)))
             ORDER BY a.attnum), '[]')
      FROM pg_attribute a WHERE a.attrelid = relid AND a.attnum > 0 AND NOT a.attisdropped
$$;

-- (Re)writes the three row-capture functions and the TRUNCATE function of a
-- source from its current columns and primary key. CREATE OR REPLACE: the
-- triggers keep pointing at them.
CREATE FUNCTION pgtrickle._write_capture_functions(relid oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    buffer   text := format('pgtrickle_changes.%I', 'changes_' || relid);
    new_cols text;
    old_cols text;
    n_values text;
    o_values text;
    nulls    text;
    pk_join  text;
    upd_body text;
    fn_attrs text := 'LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle_changes';
BEGIN
    SELECT string_agg(format('%I', 'new_' || attname), ', ' ORDER BY attnum),
           string_agg(format('%I', 'old_' || attname), ', ' ORDER BY attnum),
           string_agg(format('n.%I', attname), ', ' ORDER BY attnum),
           string_agg(format('o.%I', attname), ', ' ORDER BY attnum),
           string_agg('NULL', ', ')
      INTO new_cols, old_cols, n_values, o_values, nulls
      FROM pg_attribute
     WHERE attrelid = relid AND attnum > 0 AND NOT attisdropped;

    -- Primary-key join for UPDATE pairing (keyed tables only).
    SELECT string_agg(format('n.%I OPERATOR(pg_catalog.=) o.%I', a.attname, a.attname), ' AND ')
      INTO pk_join
      FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = relid AND i.indisprimary;

    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I() RETURNS trigger %s AS $f$
BEGIN
    INSERT INTO %s (action, %s) SELECT ''I'', %s FROM __pgt_new n;
    RETURN NULL;
END $f$', 'pg_trickle_cdc_ins_fn_' || relid, fn_attrs, buffer, new_cols, n_values);

    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I() RETURNS trigger %s AS $f$
BEGIN
    INSERT INTO %s (action, %s) SELECT ''D'', %s FROM __pgt_old o;
    RETURN NULL;
END $f$', 'pg_trickle_cdc_del_fn_' || relid, fn_attrs, buffer, old_cols, o_values);

    IF pk_join IS NOT NULL THEN
        -- One U row per key present before and after; D/I for keys that changed.
        upd_body := format('INSERT INTO %1$s (action, %2$s, %3$s)
        SELECT ''U'', %4$s, %5$s FROM __pgt_new n JOIN __pgt_old o ON %6$s
        UNION ALL
        SELECT ''D'', %7$s, %5$s FROM __pgt_old o WHERE NOT EXISTS (SELECT 1 FROM __pgt_new n WHERE %6$s)
        UNION ALL
        SELECT ''I'', %4$s, %7$s FROM __pgt_new n WHERE NOT EXISTS (SELECT 1 FROM __pgt_old o WHERE %6$s);',
            buffer, new_cols, old_cols, n_values, o_values, pk_join, nulls);
    ELSE
        -- Keyless: an update is a delete of the old image and an insert of the new.
        upd_body := format('INSERT INTO %1$s (action, %2$s) SELECT ''D'', %3$s FROM __pgt_old o;
    INSERT INTO %1$s (action, %4$s) SELECT ''I'', %5$s FROM __pgt_new n;',
            buffer, old_cols, o_values, new_cols, n_values);
    END IF;

    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I() RETURNS trigger %s AS $f$
BEGIN
    %s
    RETURN NULL;
END $f$', 'pg_trickle_cdc_upd_fn_' || relid, fn_attrs, upd_body);

    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I() RETURNS trigger %s AS $f$
BEGIN
    INSERT INTO %s (action) VALUES (''T'');
    RETURN NULL;
END $f$', 'pg_trickle_cdc_truncate_fn_' || relid, fn_attrs, buffer);

    -- The buffer statements of every refresh (window probe, cleanup, pending
    -- count, TRUNCATE re-check), as static SQL so plpgsql caches their plans
    -- (as dynamic SQL they were parsed and planned on every refresh: half the
    -- cost of a no-change refresh). The probes are STABLE: they see the
    -- snapshot of the statement that calls them, which is what lets
    -- _advance_idle_frontier check and advance in one statement.
    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I(pgt_id bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $f$
BEGIN
    RETURN EXISTS (SELECT 1 FROM %s AS c WHERE %s);
END $f$', 'pgt_window_' || relid, buffer, pgtrickle._window_predicate_for('$1', relid));
    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I(horizon xid8) RETURNS void
LANGUAGE plpgsql AS $f$
BEGIN
    DELETE FROM %s WHERE xid OPERATOR(pg_catalog.<) $1;
END $f$', 'pgt_cleanup_' || relid, buffer);
    -- Rows in the window, and whether a TRUNCATE is among them.
    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I(pgt_id bigint, OUT pending bigint, OUT has_truncate boolean)
LANGUAGE plpgsql STABLE AS $f$
BEGIN
    SELECT pg_catalog.count(*), COALESCE(pg_catalog.bool_or(c.action OPERATOR(pg_catalog.=) ''T''), false)
      INTO pending, has_truncate
      FROM %s AS c WHERE %s;
END $f$', 'pgt_pending_' || relid, buffer, pgtrickle._window_predicate_for('$1', relid));
    -- After a DIFFERENTIAL statement: did it consume a TRUNCATE, i.e. one
    -- visible to the frontier it stored ($1's) but not to the one before ($2)?
    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I(pgt_id bigint, previous pg_snapshot) RETURNS boolean
LANGUAGE plpgsql STABLE AS $f$
BEGIN
    RETURN EXISTS (SELECT 1 FROM %s AS c, pgtrickle.pgt_coord_frontiers AS f
                    WHERE f.pgt_id OPERATOR(pg_catalog.=) $1 AND f.source_relid OPERATOR(pg_catalog.=) %s::oid
                      AND c.action OPERATOR(pg_catalog.=) ''T''
                      AND c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin($2)
                      AND pg_catalog.pg_visible_in_snapshot(c.xid, f.frontier)
                      AND NOT pg_catalog.pg_visible_in_snapshot(c.xid, $2));
END $f$', 'pgt_truncate_consumed_' || relid, buffer, relid);

    INSERT INTO pgtrickle.pgt_coord_buffers (source_relid, columns) VALUES (relid, pgtrickle._source_columns(relid))
    ON CONFLICT (source_relid) DO UPDATE SET columns = EXCLUDED.columns;
END $$;

-- Creates (once per source) the change buffer, the trigger functions and the
-- statement-level triggers, and registers pgt_id as a consumer.
CREATE FUNCTION pgtrickle._ensure_capture(source regclass, consumer bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    relid    oid := source::oid;
    buffer   text := format('pgtrickle_changes.%I', 'changes_' || relid);
    col_defs text;
BEGIN
    IF EXISTS (SELECT 1 FROM pgtrickle.pgt_change_tracking WHERE source_relid = relid) THEN
        UPDATE pgtrickle.pgt_change_tracking
           SET tracked_by_pgt_ids = array_append(array_remove(tracked_by_pgt_ids, consumer), consumer)
         WHERE source_relid = relid;
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = relid AND attnum > 0 AND NOT attisdropped
                                            AND octet_length('new_' || attname) > 63) THEN
        RAISE EXCEPTION 'invalid argument: source table % has a column name longer than 59 bytes, which cannot be captured', source
            USING HINT = 'Rename the column or read it through a view with a shorter alias.';
    END IF;
    SELECT string_agg(format('%I %s, %I %s', 'new_' || attname, format_type(atttypid, atttypmod),
                                             'old_' || attname, format_type(atttypid, atttypmod)), ', ' ORDER BY attnum)
      INTO col_defs
      FROM pg_attribute WHERE attrelid = relid AND attnum > 0 AND NOT attisdropped;
    -- Refreshes delete consumed rows constantly; vacuum buffers early so window
    -- probes do not walk dead index entries (bench/refresh, finding 3).
    EXECUTE format('CREATE TABLE %s (change_id bigint NOT NULL DEFAULT nextval(''pgtrickle_changes.change_seq''), '
                   'xid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(), action char(1) NOT NULL, %s) '
                   'WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)',
                   buffer, col_defs);
    EXECUTE format('CREATE INDEX ON %s (xid)', buffer);
    -- TRUNCATE markers are rare; the re-check after every DIFFERENTIAL
    -- statement looks for one and should not walk the whole window to do so.
    EXECUTE format('CREATE INDEX ON %s (xid) WHERE action = ''T''', buffer);
    PERFORM pgtrickle._write_capture_functions(relid);

    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS __pgt_new FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle_changes.%I()',
                   'pg_trickle_cdc_ins_' || relid, source, 'pg_trickle_cdc_ins_fn_' || relid);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING NEW TABLE AS __pgt_new OLD TABLE AS __pgt_old FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle_changes.%I()',
                   'pg_trickle_cdc_upd_' || relid, source, 'pg_trickle_cdc_upd_fn_' || relid);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS __pgt_old FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle_changes.%I()',
                   'pg_trickle_cdc_del_' || relid, source, 'pg_trickle_cdc_del_fn_' || relid);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle_changes.%I()',
                   'pg_trickle_cdc_truncate_' || relid, source, 'pg_trickle_cdc_truncate_fn_' || relid);

    INSERT INTO pgtrickle.pgt_change_tracking (source_relid, slot_name, tracked_by_pgt_ids)
    VALUES (relid, 'pg_trickle_cdc_ins_' || relid, ARRAY[consumer]);
END $$;

-- Unregisters a consumer; the last one out removes triggers, functions and buffer.
CREATE FUNCTION pgtrickle._release_capture(relid oid, consumer bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    remaining bigint[];
    source_exists boolean := EXISTS (SELECT 1 FROM pg_class WHERE oid = relid);
    op text;
BEGIN
    UPDATE pgtrickle.pgt_change_tracking
       SET tracked_by_pgt_ids = array_remove(tracked_by_pgt_ids, consumer)
     WHERE source_relid = relid
    RETURNING tracked_by_pgt_ids INTO remaining;
    IF NOT FOUND OR COALESCE(array_length(remaining, 1), 0) > 0 THEN
        RETURN;
    END IF;
    FOREACH op IN ARRAY ARRAY['ins', 'upd', 'del', 'truncate'] LOOP
        IF source_exists THEN
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', 'pg_trickle_cdc_' || op || '_' || relid, relid::regclass);
        END IF;
        EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I()', 'pg_trickle_cdc_' || op || '_fn_' || relid);
    END LOOP;
    EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I(bigint)', 'pgt_window_' || relid);
    EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I(xid8)', 'pgt_cleanup_' || relid);
    EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I(bigint)', 'pgt_pending_' || relid);
    EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I(bigint, pg_snapshot)', 'pgt_truncate_consumed_' || relid);
    EXECUTE format('DROP TABLE IF EXISTS pgtrickle_changes.%I', 'changes_' || relid);
    DELETE FROM pgtrickle.pgt_change_tracking WHERE source_relid = relid;
    DELETE FROM pgtrickle.pgt_coord_buffers WHERE source_relid = relid;
END $$;

-- The snapshot a refresh statement reads with, as a value: the statement's own
-- snapshot, except that the refreshing transaction's own writes count as
-- visible (they are visible to the statement itself). Without this a refresh
-- inside a writer's transaction would consume the writer's rows twice.
-- xids between the snapshot's xmax and our own xid were running when the
-- snapshot was taken, so they are listed as in progress.
CREATE FUNCTION pgtrickle.refresh_snapshot() RETURNS pg_snapshot
LANGUAGE plpgsql STABLE AS $$
-- plpgsql, not SQL: a SQL function this shape is not inlined and was planned
-- on every call (0.2 ms, a seventh of a no-change refresh); plpgsql caches
-- the plan of its one query. STABLE: it sees the calling statement's snapshot.
DECLARE
    s   pg_catalog.pg_snapshot := pg_catalog.pg_current_snapshot();
    own pg_catalog.xid8 := pg_catalog.pg_current_xact_id_if_assigned();
    xmax_n numeric;
    own_n  numeric;
BEGIN
    IF own IS NULL OR pg_catalog.pg_visible_in_snapshot(own, s) THEN
        RETURN s;
    END IF;
    -- Make the own xid visible: raise xmax past it and list every other xid
    -- that was not visible (in progress, or not yet started) as in progress.
    xmax_n := pg_catalog.pg_snapshot_xmax(s)::text::numeric;
    own_n := own::text::numeric;
    RETURN (pg_catalog.pg_snapshot_xmin(s)::text || ':' || GREATEST(xmax_n, own_n + 1)::text || ':' ||
            COALESCE((SELECT pg_catalog.string_agg(xs.x::text, ',' ORDER BY xs.x) FROM (
                SELECT xip::text::numeric AS x FROM pg_catalog.pg_snapshot_xip(s) AS xip WHERE xip OPERATOR(pg_catalog.<>) own
                UNION ALL SELECT g FROM pg_catalog.generate_series(xmax_n, own_n - 1) AS g) AS xs), ''))::pg_catalog.pg_snapshot;
END $$;

-- The sources a stream table reads through change buffers (tables and stream
-- tables; views are expanded, matviews and foreign tables are not captured).
CREATE FUNCTION pgtrickle._captured_sources(pgt_id bigint) RETURNS SETOF oid
LANGUAGE sql STABLE AS $$
    SELECT d.source_relid FROM pgtrickle.pgt_dependencies d
     WHERE d.pgt_id = _captured_sources.pgt_id AND d.source_type IN ('TABLE', 'STREAM_TABLE')
     ORDER BY d.source_relid
$$;

-- The change window of one source for one stream table (DESIGN D5), as SQL over
-- buffer alias c; the stream table is given as SQL (a literal or a parameter
-- reference such as $1). Mirrors changeWindowPredicate() in src/refresh/statements.ts.
CREATE FUNCTION pgtrickle._window_predicate_for(pgt_id_sql text, relid oid, alias text DEFAULT 'c') RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    field text := format('(SELECT __pgt_f.%%s FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) %s::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) %s::oid)',
                         pgt_id_sql, relid);
BEGIN
    RETURN format('%1$s.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin(%2$s)
   AND pg_catalog.pg_visible_in_snapshot(%1$s.xid, (SELECT pgtrickle.refresh_snapshot()))
   AND (NOT pg_catalog.pg_visible_in_snapshot(%1$s.xid, %2$s)
        OR (%1$s.xid OPERATOR(pg_catalog.=) %3$s AND %1$s.change_id OPERATOR(pg_catalog.>) %4$s))',
        alias, format(field, 'frontier'), format(field, 'self_xid'), format(field, 'self_change_id'));
END $$;

-- The SET list that advances a frontier to the current statement. Mirrors
-- frontierAssignments() in src/refresh/statements.ts.
CREATE FUNCTION pgtrickle._frontier_assignments() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'frontier = (SELECT pgtrickle.refresh_snapshot()),
         self_xid = pg_catalog.pg_current_xact_id_if_assigned(),
         self_change_id = (SELECT __pgt_seq.last_value FROM pgtrickle_changes.change_seq AS __pgt_seq)'
$$;

-- The plan-less FULL statement: replace contents and advance the frontier in
-- one statement. Mirrors fullRefreshStatement() in src/refresh/statements.ts.
CREATE FUNCTION pgtrickle._generic_full_sql(pgt_id bigint, target regclass, defining_query text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('WITH __pgt_frontier AS (
  UPDATE pgtrickle.pgt_coord_frontiers
     SET %5$s
   WHERE pgt_id OPERATOR(pg_catalog.=) %1$s::bigint
  RETURNING 1
),
__pgt_deleted AS (
  DELETE FROM %2$s
  RETURNING 1
),
__pgt_inserted AS (
  INSERT INTO %2$s (%3$s)
  SELECT pg_catalog.row_number() OVER ()::bigint, __pgt_q.*
    FROM (
%4$s
) AS __pgt_q
   WHERE (SELECT pg_catalog.count(*) FROM __pgt_deleted) OPERATOR(pg_catalog.>=) 0
  RETURNING 1
)
SELECT (SELECT pg_catalog.count(*) FROM __pgt_inserted) AS rows_inserted,
       (SELECT pg_catalog.count(*) FROM __pgt_deleted) AS rows_deleted,
       (SELECT pg_catalog.count(*) FROM __pgt_frontier) AS frontiers_advanced',
        pgt_id,
        (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.oid = target),
        (SELECT string_agg(format('%I', attname), ', ' ORDER BY attnum)
           FROM pg_attribute WHERE attrelid = target AND attnum > 0 AND NOT attisdropped
            AND (attname = '__pgt_row_id' OR attname NOT LIKE '\_\_pgt\_%')),
        defining_query,
        pgtrickle._frontier_assignments())
$$;

---------------------------------------------------------------------------
-- Query analysis
---------------------------------------------------------------------------

-- plpgsql EXECUTE runs every statement in a string, so the defining query is
-- lexed first: it must be exactly one statement. Returns the query without
-- trailing semicolons. Understands '…', E'…', "…", $tag$…$tag$, -- and /* */.
CREATE FUNCTION pgtrickle._single_statement(query text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    i       int := 1;
    n       int := length(query);
    ch      text;
    depth   int;
    tag     text;
    close_at int;
    first_semicolon int := 0;
BEGIN
    WHILE i <= n LOOP
        ch := substr(query, i, 1);
        -- After the first top-level semicolon only whitespace, comments and more semicolons may follow.
        IF first_semicolon > 0 AND ch !~ '\s' AND ch <> ';'
           AND substr(query, i, 2) NOT IN ('--', '/*') THEN
            RAISE EXCEPTION 'query parse error: the defining query must be a single SELECT statement (found more than one statement)'
                USING ERRCODE = '42601', HINT = 'Remove everything after the first semicolon.';
        END IF;
        IF ch = '''' THEN
            -- E'…' strings also honour backslash escapes
            IF i > 1 AND upper(substr(query, i - 1, 1)) = 'E' AND (i = 2 OR substr(query, i - 2, 1) !~ '[A-Za-z0-9_]') THEN
                i := i + 1;
                LOOP
                    EXIT WHEN i > n;
                    IF substr(query, i, 1) = '\' THEN
                        i := i + 1;
                    ELSIF substr(query, i, 1) = '''' THEN
                        EXIT WHEN substr(query, i + 1, 1) <> '''';
                        i := i + 1;
                    END IF;
                    i := i + 1;
                END LOOP;
            ELSE
                i := i + 1;
                LOOP
                    EXIT WHEN i > n;
                    IF substr(query, i, 1) = '''' THEN
                        EXIT WHEN substr(query, i + 1, 1) <> '''';
                        i := i + 1;
                    END IF;
                    i := i + 1;
                END LOOP;
            END IF;
        ELSIF ch = '"' THEN
            i := i + 1;
            LOOP
                EXIT WHEN i > n;
                IF substr(query, i, 1) = '"' THEN
                    EXIT WHEN substr(query, i + 1, 1) <> '"';
                    i := i + 1;
                END IF;
                i := i + 1;
            END LOOP;
        ELSIF ch = '-' AND substr(query, i + 1, 1) = '-' THEN
            close_at := strpos(substr(query, i), E'\n');
            i := CASE WHEN close_at = 0 THEN n ELSE i + close_at - 1 END;
        ELSIF ch = '/' AND substr(query, i + 1, 1) = '*' THEN
            depth := 1;
            i := i + 2;
            WHILE i <= n AND depth > 0 LOOP
                IF substr(query, i, 2) = '/*' THEN depth := depth + 1; i := i + 1;
                ELSIF substr(query, i, 2) = '*/' THEN depth := depth - 1; i := i + 1;
                END IF;
                i := i + 1;
            END LOOP;
            i := i - 1;
        ELSIF ch = '$' AND (i = 1 OR substr(query, i - 1, 1) !~ '[A-Za-z0-9_]')
              AND substr(query, i) ~ '^\$([A-Za-z_][A-Za-z0-9_]*)?\$' THEN
            tag := substring(substr(query, i) FROM '^(\$([A-Za-z_][A-Za-z0-9_]*)?\$)');
            close_at := strpos(substr(query, i + length(tag)), tag);
            i := CASE WHEN close_at = 0 THEN n ELSE i + length(tag) + close_at + length(tag) - 2 END;
        ELSIF ch = ';' AND first_semicolon = 0 THEN
            first_semicolon := i;
        END IF;
        i := i + 1;
    END LOOP;
    -- Only the text before the first top-level semicolon is ever executed.
    RETURN rtrim(CASE WHEN first_semicolon > 0 THEN substr(query, 1, first_semicolon - 1) ELSE query END);
END $$;

-- Probes a defining query through a temporary view: checks it, reads its output
-- columns and the relations, columns and functions it depends on (pg_depend),
-- and deparses it with every name schema-qualified, so refreshes do not depend
-- on the caller's search_path. Leaves nothing behind.
CREATE FUNCTION pgtrickle._analyze_query(query text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    probe       text := '__pgt_probe_' || pg_backend_pid();
    probe_oid   oid;
    body        text;
    state       text;
    msg         text;
    detail      text;
    hint        text;
    saved_path  text := current_setting('search_path');
    result      jsonb;
BEGIN
    IF query IS NULL OR btrim(query) = '' THEN
        RAISE EXCEPTION 'query parse error: the defining query is empty' USING ERRCODE = '42601';
    END IF;
    body := pgtrickle._single_statement(query);
    BEGIN
        EXECUTE format('CREATE TEMP VIEW %I AS %s', probe, body);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
        RAISE EXCEPTION 'query parse error: %', msg
            USING ERRCODE = state, DETAIL = COALESCE(NULLIF(detail, ''), 'The defining query must be a single SELECT that runs as written in psql.'),
                  HINT = COALESCE(NULLIF(hint, ''), 'Run the query on its own in psql to see the problem.');
    END;
    probe_oid := format('pg_temp.%I', probe)::regclass::oid;

    WITH RECURSIVE rules(rule_oid) AS (
        SELECT oid FROM pg_rewrite WHERE ev_class = probe_oid
        UNION
        SELECT r.oid
          FROM rules
          JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rules.rule_oid
                          AND d.refclassid = 'pg_class'::regclass
          JOIN pg_class c ON c.oid = d.refobjid AND c.relkind = 'v'
          JOIN pg_rewrite r ON r.ev_class = c.oid
    ),
    rel_deps AS (
        SELECT d.refobjid AS relid,
               bool_or(d.refobjsubid = 0) AS whole_row,
               array_agg(DISTINCT a.attname::text) FILTER (WHERE d.refobjsubid > 0) AS cols,
               bool_or(r.ev_class = probe_oid) AS direct
          FROM rules
          JOIN pg_rewrite r ON r.oid = rules.rule_oid
          JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rules.rule_oid
                          AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
          LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         GROUP BY d.refobjid
    ),
    -- Built-in functions are pinned and absent from pg_depend, so read the
    -- function ids straight from the rules' node trees.
    func_deps AS (
        SELECT DISTINCT p.oid, p.proname, p.provolatile, p.prokind, p.pronamespace
          FROM rules
          JOIN pg_rewrite r ON r.oid = rules.rule_oid
          CROSS JOIN LATERAL regexp_matches(r.ev_action::text, ':(?:funcid|opfuncid|aggfnoid|winfnoid) (\d+)', 'g') AS m(ids)
          JOIN pg_proc p ON p.oid = m.ids[1]::oid
    )
    SELECT jsonb_build_object(
        'columns', (SELECT jsonb_agg(jsonb_build_object(
                        'name', attname, 'type', format_type(atttypid, atttypmod),
                        'collation', CASE WHEN attcollation <> 0 AND attcollation <> t.typcollation
                                          THEN (SELECT format('%I.%I', n.nspname, co.collname) FROM pg_collation co
                                                  JOIN pg_namespace n ON n.oid = co.collnamespace WHERE co.oid = attcollation) END)
                        ORDER BY attnum)
                      FROM pg_attribute JOIN pg_type t ON t.oid = atttypid
                     WHERE attrelid = probe_oid AND attnum > 0 AND NOT attisdropped),
        'sources', COALESCE((SELECT jsonb_agg(jsonb_build_object(
                        'relid', c.oid::bigint, 'relkind', c.relkind, 'persistence', c.relpersistence,
                        'name', format('%I.%I', n.nspname, c.relname),
                        'direct', rd.direct,
                        'source_type', CASE
                            WHEN EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_relid = c.oid) THEN 'STREAM_TABLE'
                            WHEN c.relkind IN ('r', 'p') THEN 'TABLE'
                            WHEN c.relkind = 'v' THEN 'VIEW'
                            WHEN c.relkind = 'm' THEN 'MATVIEW'
                            WHEN c.relkind = 'f' THEN 'FOREIGN_TABLE'
                            ELSE 'OTHER' END,
                        'columns_used', CASE WHEN rd.whole_row THEN NULL ELSE to_jsonb(rd.cols) END,
                        'has_pk', EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
                        ORDER BY c.oid)
                      FROM rel_deps rd JOIN pg_class c ON c.oid = rd.relid
                      JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')), '[]'::jsonb),
        'volatility', COALESCE((SELECT max(provolatile::text) FROM func_deps), 'i'),
        'functions', COALESCE((SELECT jsonb_agg(DISTINCT proname) FROM func_deps), '[]'::jsonb),
        -- aggregates the compiler cannot know by name (it only knows PostgreSQL's own)
        'user_aggregates', COALESCE((SELECT jsonb_agg(DISTINCT proname) FROM func_deps
                                      WHERE prokind = 'a' AND pronamespace <> 'pg_catalog'::regnamespace), '[]'::jsonb))
      INTO result;

    -- Deparse with only pg_catalog on the path: every other name comes out qualified.
    PERFORM set_config('search_path', 'pg_catalog', true);
    result := result || jsonb_build_object('defining_query', rtrim(btrim(pg_get_viewdef(probe_oid, true)), ';'));
    PERFORM set_config('search_path', saved_path, true);

    EXECUTE format('DROP VIEW pg_temp.%I', probe);
    RETURN result;
END $$;

---------------------------------------------------------------------------
-- The refresh executor (DESIGN D3): the one algorithm behind
-- refresh_stream_table(), the coordinator's scheduler and the CLI.
---------------------------------------------------------------------------

-- Permanent vs retryable by SQLSTATE class, not by message text (locale-proof):
-- serialization/deadlock (40), lock not available (55P03), admin shutdown and
-- cancel (57), connection (08) and resource exhaustion (53) are retryable.
CREATE FUNCTION pgtrickle._is_retryable(sqlstate text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT left(sqlstate, 2) IN ('40', '08', '53', '57') OR sqlstate = '55P03'
$$;

-- Pending (visible, unconsumed) change rows of every captured source, and
-- whether a TRUNCATE is among them.
CREATE FUNCTION pgtrickle._pending_changes(pgt_id bigint, OUT pending bigint, OUT has_truncate boolean,
                                           OUT max_ratio double precision)
LANGUAGE plpgsql AS $$
DECLARE
    dep record;
    n bigint;
    t boolean;
BEGIN
    pending := 0;
    has_truncate := false;
    max_ratio := 0;
    FOR dep IN
        SELECT s.source_relid, c.reltuples
          FROM pgtrickle._captured_sources(_pending_changes.pgt_id) AS s(source_relid)
          JOIN pg_class c ON c.oid = s.source_relid
    LOOP
        EXECUTE format('SELECT * FROM pgtrickle_changes.%I($1)', 'pgt_pending_' || dep.source_relid)
           INTO n, t USING _pending_changes.pgt_id;
        pending := pending + n;
        has_truncate := has_truncate OR t;
        IF dep.reltuples > 0 THEN
            max_ratio := greatest(max_ratio, n / dep.reltuples);
        END IF;
    END LOOP;
END $$;

-- True when some captured source has changes this stream table has not consumed
-- (drives the 'calculated' schedule, and the NO_DATA check of every refresh).
-- One cached EXISTS probe per source (pgtrickle_changes.pgt_window_<relid>).
-- STABLE: every probe sees the snapshot of the calling statement.
CREATE FUNCTION pgtrickle._has_pending_changes(pgt_id bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    relid oid;
    found_one boolean;
BEGIN
    FOR relid IN SELECT pgtrickle._captured_sources(_has_pending_changes.pgt_id) LOOP
        EXECUTE format('SELECT pgtrickle_changes.%I($1)', 'pgt_window_' || relid)
           INTO found_one USING _has_pending_changes.pgt_id;
        IF found_one THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END $$;

-- Advances the frontier to the current statement's snapshot only if no change
-- is visible in the window at that same snapshot (a NO_DATA refresh), in one
-- statement so no change can slip in between the check and the advance.
-- Generated here so the SET list is _frontier_assignments() and the UPDATE is
-- static SQL (its plan is cached).
DO $generate$
BEGIN
    EXECUTE format($function$
CREATE FUNCTION pgtrickle._advance_idle_frontier(pgt_id bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    advanced bigint;
BEGIN
    UPDATE pgtrickle.pgt_coord_frontiers AS f
       SET %s
     WHERE f.pgt_id OPERATOR(pg_catalog.=) $1
       AND NOT (SELECT pgtrickle._has_pending_changes($1));
    GET DIAGNOSTICS advanced = ROW_COUNT;
    RETURN advanced > 0;
END $$$function$, pgtrickle._frontier_assignments());
END $generate$;

-- Deletes buffer rows that every consumer has consumed: a row whose writer is
-- older than the xmin of every consumer's frontier is visible to all of them.
-- Consumers without a frontier will start with a FULL refresh and hold nothing back.
CREATE FUNCTION pgtrickle._cleanup_buffers(pgt_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    relid oid;
    horizon xid8;
BEGIN
    FOR relid IN SELECT pgtrickle._captured_sources(_cleanup_buffers.pgt_id) LOOP
        SELECT min(pg_snapshot_xmin(f.frontier)) INTO horizon
          FROM pgtrickle.pgt_coord_frontiers f
          JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = f.pgt_id
         WHERE f.source_relid = relid AND f.frontier IS NOT NULL;
        IF horizon IS NOT NULL THEN
            EXECUTE format('SELECT pgtrickle_changes.%I($1)', 'pgt_cleanup_' || relid) USING horizon;
        END IF;
    END LOOP;
END $$;

CREATE FUNCTION pgtrickle._frontier_json(pgt_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('sources', COALESCE(jsonb_object_agg(f.source_relid::text,
               jsonb_build_object('snapshot', f.frontier::text)), '{}'::jsonb))
      FROM pgtrickle.pgt_coord_frontiers f WHERE f.pgt_id = _frontier_json.pgt_id
$$;

-- One refresh of one stream table. Callers hold the stream table's advisory
-- lock and its catalog row lock. Returns (action, rows_inserted, rows_deleted,
-- delta_row_count, was_full_fallback).
CREATE FUNCTION pgtrickle._refresh_apply(st pgtrickle.pgt_stream_tables,
    OUT action text, OUT rows_inserted bigint, OUT rows_deleted bigint,
    OUT delta_row_count bigint, OUT was_full_fallback boolean)
LANGUAGE plpgsql AS $$
DECLARE
    plan      pgtrickle.pgt_coord_plans;
    pending   record;
    threshold double precision;
    old_frontiers jsonb;
    fully_captured boolean;
    needs_full boolean;
    frontiers_advanced bigint;
    relid     oid;
    truncated boolean;
BEGIN
    rows_inserted := 0;
    rows_deleted := 0;
    was_full_fallback := false;
    SELECT * INTO plan FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = st.pgt_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'internal error: stream table %.% has no refresh plan', st.pgt_schema, st.pgt_name;
    END IF;
    fully_captured := NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d
                                   WHERE d.pgt_id = st.pgt_id AND d.source_type IN ('MATVIEW', 'FOREIGN_TABLE'));
    needs_full := st.needs_reinit OR NOT st.is_populated OR NOT plan.storage_matches_plan
                  OR EXISTS (SELECT 1 FROM pgtrickle.pgt_coord_frontiers f WHERE f.pgt_id = st.pgt_id AND f.frontier IS NULL);

    -- The common case first: nothing new. One statement checks every window and
    -- advances the frontier only if all are empty (bench/refresh, finding 2).
    IF NOT needs_full AND fully_captured AND pgtrickle._advance_idle_frontier(st.pgt_id) THEN
        delta_row_count := 0;
        action := 'NO_DATA';
        RETURN;
    END IF;
    pending := pgtrickle._pending_changes(st.pgt_id);
    delta_row_count := pending.pending;

    IF NOT needs_full AND st.refresh_mode IN ('DIFFERENTIAL', 'IMMEDIATE') AND plan.differential_sql IS NOT NULL THEN
        threshold := COALESCE(st.auto_threshold, pgtrickle._setting('differential_max_change_ratio', '0.15')::double precision);
        IF pending.has_truncate OR pending.max_ratio > threshold THEN
            was_full_fallback := true;   -- TRUNCATE, or so many changes that recomputing is cheaper
        ELSE
            SELECT jsonb_object_agg(f.source_relid::text, f.frontier::text) INTO old_frontiers
              FROM pgtrickle.pgt_coord_frontiers f WHERE f.pgt_id = st.pgt_id;
            BEGIN
                EXECUTE plan.differential_sql;
                -- A TRUNCATE that committed after the pending check was consumed by
                -- the MERGE, which cannot express it: undo and recompute instead.
                FOR relid IN SELECT pgtrickle._captured_sources(st.pgt_id) LOOP
                    EXECUTE format('SELECT pgtrickle_changes.%I($1, $2::pg_snapshot)', 'pgt_truncate_consumed_' || relid)
                      INTO truncated USING st.pgt_id, old_frontiers ->> relid::text;
                    IF truncated THEN
                        RAISE EXCEPTION 'truncate consumed by differential refresh' USING ERRCODE = 'PT001';
                    END IF;
                END LOOP;
                SELECT s.rows_inserted, s.rows_deleted INTO rows_inserted, rows_deleted
                  FROM pgtrickle.pgt_coord_refresh_stats s WHERE s.pgt_id = st.pgt_id;
                action := 'DIFFERENTIAL';
                RETURN;
            EXCEPTION WHEN SQLSTATE 'PT001' THEN
                was_full_fallback := true;
            END;
        END IF;
    END IF;

    EXECUTE plan.full_sql INTO rows_inserted, rows_deleted, frontiers_advanced;
    UPDATE pgtrickle.pgt_coord_plans p SET storage_matches_plan = true WHERE p.pgt_id = st.pgt_id;
    action := CASE WHEN st.needs_reinit THEN 'REINITIALIZE' ELSE 'FULL' END;
END $$;

CREATE FUNCTION pgtrickle._refresh_lock_key() RETURNS int
LANGUAGE sql IMMUTABLE AS $$ SELECT 1886680428 $$;  -- 'pgtr'

-- The executor. initiated_by: MANUAL (refresh_stream_table, CLI), SCHEDULER
-- (coordinator), INITIAL (create). MANUAL waits for a concurrent refresh of the
-- same stream table and then runs, so when it returns the table reflects every
-- change committed before the call; SCHEDULER skips a busy table. SCHEDULER
-- failures are recorded (history, error state, alert) and returned as 'FAILED'
-- instead of raised, so the coordinator's transaction commits the record.
--
-- Settings are pinned for the call: hashes of ::text values must not depend on
-- the caller's TimeZone or DateStyle, queries are schema-qualified at creation,
-- results are never filtered by row-level security, and no JIT.
CREATE FUNCTION pgtrickle._refresh(pgt_id bigint, initiated_by text) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pgtrickle
SET "TimeZone" = 'UTC'
SET "DateStyle" = 'ISO, MDY'
SET "IntervalStyle" = 'postgres'
SET extra_float_digits = 1
SET row_security = off
-- Change buffers are never analysed, so a tiny delta can be estimated at
-- millions of rows and JIT-compiled for a second or two (oracle: 2.1 s → 7 ms).
SET jit = off
SET pg_trickle.internal_refresh = 'true'
AS $$
DECLARE
    st        pgtrickle.pgt_stream_tables;
    started   timestamptz := clock_timestamp();
    result    record;
    state     text;
    msg       text;
    retryable boolean;
    max_errors int;
    duration_ms double precision;
BEGIN
    IF pg_is_in_recovery() THEN
        RAISE EXCEPTION 'Cannot refresh stream tables on a read replica'
            USING HINT = 'Run refreshes against the primary.';
    END IF;
    IF initiated_by = 'SCHEDULER' THEN
        IF NOT pg_try_advisory_xact_lock(pgtrickle._refresh_lock_key(), pgt_id::int) THEN
            RETURN 'SKIPPED';
        END IF;
    ELSE
        PERFORM pg_advisory_xact_lock(pgtrickle._refresh_lock_key(), pgt_id::int);
    END IF;
    SELECT * INTO st FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _refresh.pgt_id FOR UPDATE;
    IF NOT FOUND THEN
        IF initiated_by = 'SCHEDULER' THEN
            RETURN 'SKIPPED';   -- dropped since the scheduler looked
        END IF;
        RAISE EXCEPTION 'stream table not found: pgt_id %', pgt_id;
    END IF;
    IF st.status IN ('SUSPENDED', 'ERROR') AND initiated_by <> 'INITIAL' THEN
        IF initiated_by IN ('SCHEDULER', 'IMMEDIATE') THEN
            RETURN 'SKIPPED';
        END IF;
        RAISE EXCEPTION 'stream table %.% is %; use pgtrickle.resume_stream_table(%) first',
            st.pgt_schema, st.pgt_name, CASE st.status WHEN 'ERROR' THEN 'in error state' ELSE 'suspended' END,
            quote_literal(pgtrickle._qualified(st))
            USING DETAIL = COALESCE('Last error: ' || st.last_error_message, 'No error message was recorded.');
    END IF;

    IF initiated_by = 'SCHEDULER' THEN
        BEGIN
            result := pgtrickle._refresh_apply(st);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            retryable := pgtrickle._is_retryable(state);
            max_errors := pgtrickle._setting('max_consecutive_errors', '3')::int;
            UPDATE pgtrickle.pgt_stream_tables s
               SET consecutive_errors = s.consecutive_errors + 1,
                   status = CASE WHEN NOT retryable THEN 'ERROR'
                                 WHEN s.consecutive_errors + 1 >= max_errors THEN 'SUSPENDED'
                                 ELSE s.status END,
                   last_error_message = msg,
                   last_error_at = clock_timestamp(),
                   last_refresh_at = clock_timestamp(),
                   updated_at = now()
             WHERE s.pgt_id = st.pgt_id
            RETURNING * INTO st;
            INSERT INTO pgtrickle.pgt_refresh_history
                (pgt_id, data_timestamp, start_time, end_time, action, status, error_message, initiated_by)
            VALUES (st.pgt_id, COALESCE(st.data_timestamp, started), started, clock_timestamp(),
                    CASE WHEN st.refresh_mode = 'FULL' THEN 'FULL' ELSE 'DIFFERENTIAL' END,
                    'FAILED', format('%s (SQLSTATE %s)', msg, state), 'SCHEDULER');
            PERFORM pgtrickle._alert('refresh_failed', st, jsonb_build_object(
                'action', CASE WHEN st.refresh_mode = 'FULL' THEN 'FULL' ELSE 'DIFFERENTIAL' END,
                'error', msg, 'sqlstate', state, 'retryable', retryable));
            IF st.status = 'SUSPENDED' THEN
                PERFORM pgtrickle._alert('auto_suspended', st, jsonb_build_object('consecutive_errors', st.consecutive_errors));
            ELSIF st.status = 'ERROR' THEN
                PERFORM pgtrickle._alert('error_state', st, jsonb_build_object('error', msg, 'sqlstate', state));
            END IF;
            RETURN 'FAILED';
        END;
    ELSE
        result := pgtrickle._refresh_apply(st);
    END IF;

    -- Also after NO_DATA: advancing this frontier may be what lets the oldest rows go.
    PERFORM pgtrickle._cleanup_buffers(st.pgt_id);
    duration_ms := extract(epoch FROM clock_timestamp() - started) * 1000;
    -- last_refresh_at is when this refresh started: schedules count from there,
    -- so a 1 s table dispatched to another node still refreshes every second.
    UPDATE pgtrickle.pgt_stream_tables s
       SET last_refresh_at = started,
           data_timestamp = clock_timestamp(),
           is_populated = true,
           status = CASE WHEN s.status = 'INITIALIZING' THEN 'ACTIVE' ELSE s.status END,
           consecutive_errors = 0,
           last_error_message = NULL,
           last_error_at = NULL,
           needs_reinit = false,
           effective_refresh_mode = CASE WHEN result.action = 'REINITIALIZE' THEN 'FULL' ELSE result.action END,
           last_full_ms = CASE WHEN result.action IN ('FULL', 'REINITIALIZE') THEN duration_ms ELSE s.last_full_ms END,
           frontier = pgtrickle._frontier_json(s.pgt_id),
           updated_at = now()
     WHERE s.pgt_id = st.pgt_id
    RETURNING * INTO st;

    -- IMMEDIATE stream tables reading this one follow it now, in the same
    -- transaction, after every change of this refresh has been captured.
    IF result.action <> 'NO_DATA' THEN
        PERFORM pgtrickle._refresh(d.pgt_id, 'IMMEDIATE')
           FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables c ON c.pgt_id = d.pgt_id
          WHERE d.source_relid = st.pgt_relid AND c.refresh_mode = 'IMMEDIATE'
          ORDER BY d.pgt_id;
    END IF;
    -- IMMEDIATE refreshes run once per writing statement: no history row, no alert.
    IF initiated_by = 'IMMEDIATE' THEN
        RETURN result.action;
    END IF;
    -- Idle scheduler ticks leave no history row (one per second per table would
    -- drown the real ones); manual and initial refreshes always do.
    IF result.action <> 'NO_DATA' OR initiated_by <> 'SCHEDULER' THEN
        INSERT INTO pgtrickle.pgt_refresh_history
            (pgt_id, data_timestamp, start_time, end_time, action, rows_inserted, rows_deleted,
             delta_row_count, merge_strategy_used, was_full_fallback, status, initiated_by)
        VALUES (st.pgt_id, st.data_timestamp, started, clock_timestamp(), result.action,
                result.rows_inserted, result.rows_deleted, result.delta_row_count,
                CASE WHEN result.action = 'DIFFERENTIAL' THEN 'merge' END,
                result.was_full_fallback, 'COMPLETED', initiated_by);
    END IF;
    IF initiated_by = 'SCHEDULER' AND result.action <> 'NO_DATA' THEN
        PERFORM pgtrickle._alert('refresh_completed', st, jsonb_build_object(
            'action', result.action, 'rows_inserted', result.rows_inserted,
            'rows_deleted', result.rows_deleted, 'duration_ms', round(duration_ms::numeric, 3)));
    END IF;
    RETURN result.action;
END $$;

---------------------------------------------------------------------------
-- IMMEDIATE mode (spec/dvm.md §13): the stream table is refreshed by the
-- writing statement itself, inside the writer's transaction, with the same
-- executor and plan as every other refresh. The writer's own changes are in
-- the change buffer (capture triggers fire first: pg_trickle_cdc_* sorts
-- before pgt_ivm_*) and count as visible to its own refresh, so the writer
-- reads its own write; a rollback takes the refresh with it.
---------------------------------------------------------------------------

-- BEFORE each writing statement: queue behind other writers of this stream
-- table now, before touching rows, so two writers cannot deadlock on row locks
-- while each waits for the other's refresh.
CREATE FUNCTION pgtrickle._ivm_lock() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(pgtrickle._refresh_lock_key(), TG_ARGV[0]::int);
    RETURN NULL;
END $$;

-- AFTER each writing statement (and TRUNCATE): refresh the stream table.
-- A MERGE fires its DELETE, UPDATE and INSERT statement triggers one after
-- the other, each seeing the table's final state but only part of the
-- captured changes: a refresh between them would be wrong. Refused with a
-- clear error instead (found by the IMMEDIATE oracle).
CREATE FUNCTION pgtrickle._ivm_refresh() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
BEGIN
    IF current_query() ~* '^\s*(with\s.*\s)?merge\s' THEN
        RAISE EXCEPTION 'MERGE into %.% is not supported while an IMMEDIATE stream table reads it', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '0A000',
                  HINT = 'Use INSERT … ON CONFLICT, UPDATE and DELETE statements, or switch the stream table to DIFFERENTIAL.';
    END IF;
    PERFORM pgtrickle._refresh(TG_ARGV[0]::bigint, 'IMMEDIATE');
    RETURN NULL;
END $$;

CREATE FUNCTION pgtrickle._drop_ivm_triggers(pgt_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tg.tgname, tg.tgrelid::regclass AS rel FROM pg_trigger tg
              WHERE tg.tgname IN ('pgt_ivm_before_' || pgt_id, 'pgt_ivm_after_' || pgt_id,
                                  'pgt_ivm_before_trunc_' || pgt_id, 'pgt_ivm_after_trunc_' || pgt_id) LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
    END LOOP;
END $$;

-- Makes the IMMEDIATE triggers match the stream table's mode and sources.
CREATE FUNCTION pgtrickle._sync_ivm_triggers(pgt_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    relid oid;
BEGIN
    PERFORM pgtrickle._drop_ivm_triggers(pgt_id);
    IF (SELECT s.refresh_mode FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _sync_ivm_triggers.pgt_id) <> 'IMMEDIATE' THEN
        RETURN;
    END IF;
    -- Base tables only: a stream table that reads another stream table is
    -- refreshed by that table's refresh, once its whole MERGE has been
    -- captured (see _refresh), not by per-event triggers on its storage.
    FOR relid IN SELECT d.source_relid FROM pgtrickle.pgt_dependencies d
                  WHERE d.pgt_id = _sync_ivm_triggers.pgt_id AND d.source_type = 'TABLE' LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._ivm_lock(%L)',
                       'pgt_ivm_before_' || pgt_id, relid::regclass, pgt_id);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._ivm_lock(%L)',
                       'pgt_ivm_before_trunc_' || pgt_id, relid::regclass, pgt_id);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._ivm_refresh(%L)',
                       'pgt_ivm_after_' || pgt_id, relid::regclass, pgt_id);
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._ivm_refresh(%L)',
                       'pgt_ivm_after_trunc_' || pgt_id, relid::regclass, pgt_id);
    END LOOP;
END $$;

---------------------------------------------------------------------------
-- Lifecycle (spec/sql-api.md §1). Everything happens in the caller's
-- transaction (DESIGN D1): an error anywhere leaves nothing behind.
---------------------------------------------------------------------------

CREATE FUNCTION pgtrickle._validate_choice(value text, allowed text[], what text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    IF NOT lower(btrim(value)) = ANY (allowed) THEN
        RAISE EXCEPTION 'invalid argument: invalid % value: ''%'' (expected %)', what, value,
            (SELECT string_agg(quote_literal(a), ', ') FROM unnest(allowed) a);
    END IF;
    RETURN lower(btrim(value));
END $$;

-- Creates the storage table for the analysed query: __pgt_row_id first, then
-- the query's output columns with their types and collations, a unique index on
-- the row id, and the statement-level DML guard.
CREATE FUNCTION pgtrickle._create_storage(schema_name text, table_name text, analysis jsonb) RETURNS regclass
LANGUAGE plpgsql AS $$
DECLARE
    col jsonb;
    defs text := '__pgt_row_id bigint NOT NULL';
    target regclass;
    position int := 0;
BEGIN
    FOR col IN SELECT * FROM jsonb_array_elements(analysis -> 'columns') LOOP
        position := position + 1;
        IF col ->> 'name' LIKE '\_\_pgt\_%' THEN
            RAISE EXCEPTION 'invalid argument: output column "%" uses the reserved prefix __pgt_', col ->> 'name'
                USING HINT = 'Rename the column with an alias.';
        END IF;
        IF col ->> 'name' = '?column?' THEN
            RAISE EXCEPTION 'invalid argument: output column % of the defining query has no name', position
                USING HINT = 'Give every computed column an alias, e.g. SELECT a + b AS total.';
        END IF;
        defs := defs || format(', %I %s%s', col ->> 'name', col ->> 'type',
                               COALESCE(' COLLATE ' || (col ->> 'collation'), ''));
    END LOOP;
    EXECUTE format('CREATE TABLE %I.%I (%s)', schema_name, table_name, defs);
    target := format('%I.%I', schema_name, table_name)::regclass;
    EXECUTE format('CREATE UNIQUE INDEX ON %s (__pgt_row_id)', target);
    EXECUTE format('CREATE TRIGGER pgt_dml_guard BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._guard_stream_table_dml()', target);
    EXECUTE format('CREATE TRIGGER pgt_truncate_guard BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._guard_stream_table_dml()', target);
    RETURN target;
END $$;

-- Records the query's sources, sets up capture for tables and stream tables,
-- and creates an empty frontier per captured source.
CREATE FUNCTION pgtrickle._attach_sources(pgt_id bigint, analysis jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    src jsonb;
    kind text;
BEGIN
    FOR src IN SELECT * FROM jsonb_array_elements(analysis -> 'sources') LOOP
        kind := src ->> 'source_type';
        IF kind = 'OTHER' THEN
            CONTINUE;
        END IF;
        IF src ->> 'persistence' = 't' THEN
            RAISE EXCEPTION 'invalid argument: the defining query reads temporary table %', src ->> 'name'
                USING HINT = 'Stream tables are maintained by other sessions and cannot read temporary tables.';
        END IF;
        INSERT INTO pgtrickle.pgt_dependencies (pgt_id, source_relid, source_type, columns_used, column_snapshot, schema_fingerprint)
        SELECT _attach_sources.pgt_id, (src ->> 'relid')::oid, kind,
               CASE WHEN src -> 'columns_used' = 'null'::jsonb THEN NULL
                    ELSE ARRAY(SELECT jsonb_array_elements_text(src -> 'columns_used')) END,
               snap, md5(snap::text)
          FROM (SELECT jsonb_agg(jsonb_build_object('name', attname, 'type', format_type(atttypid, atttypmod),
                                                   'attnum', attnum, 'not_null', attnotnull) ORDER BY attnum) AS snap
                  FROM pg_attribute WHERE attrelid = (src ->> 'relid')::oid AND attnum > 0 AND NOT attisdropped) s;
        IF kind IN ('TABLE', 'STREAM_TABLE') THEN
            PERFORM pgtrickle._ensure_capture((src ->> 'relid')::oid::regclass, pgt_id);
            INSERT INTO pgtrickle.pgt_coord_frontiers (pgt_id, source_relid) VALUES (pgt_id, (src ->> 'relid')::oid);
        END IF;
    END LOOP;
    UPDATE pgtrickle.pgt_stream_tables s
       SET has_keyless_source = EXISTS (SELECT 1 FROM jsonb_array_elements(analysis -> 'sources') e
                                         WHERE e ->> 'source_type' IN ('TABLE', 'MATVIEW', 'FOREIGN_TABLE')
                                           AND NOT (e ->> 'has_pk')::boolean),
           functions_used = ARRAY(SELECT jsonb_array_elements_text(analysis -> 'functions'))
     WHERE s.pgt_id = _attach_sources.pgt_id;
END $$;

CREATE FUNCTION pgtrickle._detach_sources(pgt_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    relid oid;
BEGIN
    FOR relid IN SELECT pgtrickle._captured_sources(_detach_sources.pgt_id) LOOP
        PERFORM pgtrickle._release_capture(relid, pgt_id);
    END LOOP;
    DELETE FROM pgtrickle.pgt_coord_frontiers f WHERE f.pgt_id = _detach_sources.pgt_id;
    DELETE FROM pgtrickle.pgt_dependencies d WHERE d.pgt_id = _detach_sources.pgt_id;
END $$;

-- Drops the hidden columns a compiled plan added (all __pgt_ columns but the row id).
CREATE FUNCTION pgtrickle._drop_hidden_columns(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    col text;
BEGIN
    FOR col IN SELECT attname FROM pg_attribute
                WHERE attrelid = target AND attnum > 0 AND NOT attisdropped
                  AND attname LIKE '\_\_pgt\_%' AND attname <> '__pgt_row_id' LOOP
        EXECUTE format('ALTER TABLE %s DROP COLUMN %I', target, col);
    END LOOP;
END $$;

-- Writes the plan-less FULL plan; DIFFERENTIAL tables also ask the
-- coordinator for a compiled plan (DESIGN D2). Until it arrives refreshes are FULL.
CREATE FUNCTION pgtrickle._reset_plan(pgt_id bigint, requested_mode text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    st pgtrickle.pgt_stream_tables;
    previous_mode text;
BEGIN
    SELECT * INTO st FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _reset_plan.pgt_id;
    SELECT p.requested_mode INTO previous_mode FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = _reset_plan.pgt_id;
    DELETE FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = _reset_plan.pgt_id;
    INSERT INTO pgtrickle.pgt_coord_plans (pgt_id, plan_kind, requested_mode, full_sql, compile_requested_at)
    VALUES (pgt_id, 'GENERIC_FULL', COALESCE(requested_mode, previous_mode, st.refresh_mode),
            pgtrickle._generic_full_sql(pgt_id, st.pgt_relid::regclass, st.defining_query),
            CASE WHEN st.refresh_mode IN ('DIFFERENTIAL', 'IMMEDIATE') THEN now() END);
    -- Hidden columns of an earlier compiled plan are not written by the generic plan.
    PERFORM pgtrickle._drop_hidden_columns(st.pgt_relid::regclass);
END $$;

CREATE FUNCTION pgtrickle._create_stream_table(
    name text, query text, schedule text, refresh_mode text, initialize boolean,
    diamond_consistency text, diamond_schedule_policy text, cdc_mode text, append_only boolean,
    pooler_compatibility_mode boolean, partition_by text, max_differential_joins int,
    max_delta_fraction double precision, if_not_exists boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    target_name record;
    v_schedule  text;
    v_mode      text;
    v_diamond   text;
    v_policy    text;
    v_cdc       text;
    analysis    jsonb;
    storage     regclass;
    new_id      bigint;
BEGIN
    target_name := pgtrickle._resolve_name(name);
    IF EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s
                WHERE s.pgt_schema = target_name.schema_name AND s.pgt_name = target_name.table_name) THEN
        IF if_not_exists THEN
            RAISE INFO 'Stream table %.% already exists — skipping creation.', target_name.schema_name, target_name.table_name;
            RETURN;
        END IF;
        RAISE EXCEPTION 'stream table already exists: %.%', target_name.schema_name, target_name.table_name
            USING ERRCODE = '42P07', HINT = 'Use create_or_replace_stream_table to change it, or drop_stream_table first.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_name.schema_name) THEN
        RAISE EXCEPTION 'invalid argument: schema "%" does not exist', target_name.schema_name
            USING ERRCODE = '3F000', HINT = 'Create the schema first, or use another schema.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = target_name.schema_name AND c.relname = target_name.table_name) THEN
        RAISE EXCEPTION 'invalid argument: relation %.% already exists and is not a stream table',
            quote_ident(target_name.schema_name), quote_ident(target_name.table_name)
            USING ERRCODE = '42P07', HINT = 'Choose another name for the stream table.';
    END IF;

    v_mode := pgtrickle._normalize_mode(refresh_mode);
    v_schedule := pgtrickle._normalize_schedule(schedule);
    v_diamond := COALESCE(pgtrickle._validate_choice(diamond_consistency, ARRAY['none', 'atomic'], 'diamond_consistency'), 'atomic');
    v_policy := COALESCE(pgtrickle._validate_choice(diamond_schedule_policy, ARRAY['fastest', 'slowest'], 'diamond_schedule_policy'), 'fastest');
    IF v_policy = 'slowest' AND v_diamond = 'none' THEN
        RAISE EXCEPTION 'invalid argument: diamond_schedule_policy ''slowest'' requires diamond_consistency ''atomic''';
    END IF;
    v_cdc := pgtrickle._validate_choice(cdc_mode, ARRAY['auto', 'trigger', 'wal'], 'cdc_mode');
    IF v_cdc = 'wal' THEN
        RAISE EXCEPTION 'invalid argument: cdc_mode = ''wal'' is not supported by pgtrickle; changes are captured by statement triggers'
            USING HINT = 'Omit cdc_mode or use ''trigger''.';
    END IF;
    IF append_only THEN
        RAISE EXCEPTION 'invalid argument: append_only is not supported by this pgtrickle version'
            USING HINT = 'Omit append_only; DIFFERENTIAL refreshes of insert-only sources are already proportional to the inserts.';
    END IF;
    IF partition_by IS NOT NULL THEN
        RAISE EXCEPTION 'invalid argument: partition_by is not supported by this pgtrickle version'
            USING HINT = 'Omit partition_by.';
    END IF;
    IF max_differential_joins < 0 OR max_delta_fraction < 0 THEN
        RAISE EXCEPTION 'invalid argument: max_differential_joins and max_delta_fraction must not be negative';
    END IF;

    analysis := pgtrickle._analyze_query(query);
    IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(analysis -> 'sources') e
                    WHERE e ->> 'source_type' IN ('TABLE', 'STREAM_TABLE', 'MATVIEW', 'FOREIGN_TABLE')) THEN
        RAISE EXCEPTION 'invalid argument: the defining query must read at least one table'
            USING HINT = 'A stream table follows changes to tables; a query without a FROM clause never changes.';
    END IF;
    IF analysis ->> 'volatility' = 'v' AND v_mode IN ('AUTO', 'DIFFERENTIAL') THEN
        RAISE EXCEPTION 'unsupported operator for DIFFERENTIAL mode: Defining query contains volatile expressions (e.g., random(), clock_timestamp(), or custom volatile functions)'
            USING ERRCODE = '0A000', DETAIL = 'A volatile function gives a different answer on every call, so changes cannot be maintained incrementally.',
                  HINT = 'Use refresh_mode => ''FULL''.';
    END IF;

    storage := pgtrickle._create_storage(target_name.schema_name, target_name.table_name, analysis);

    INSERT INTO pgtrickle.pgt_stream_tables
        (pgt_relid, pgt_name, pgt_schema, defining_query, original_query, schedule, refresh_mode,
         diamond_consistency, diamond_schedule_policy, requested_cdc_mode, pooler_compatibility_mode,
         max_differential_joins, max_delta_fraction)
    VALUES (storage, target_name.table_name, target_name.schema_name, analysis ->> 'defining_query', query,
            CASE WHEN v_mode = 'IMMEDIATE' THEN NULL ELSE v_schedule END,  -- IMMEDIATE tables are never scheduled
            CASE WHEN v_mode = 'AUTO' THEN 'DIFFERENTIAL' ELSE v_mode END,
            v_diamond, v_policy, v_cdc, COALESCE(pooler_compatibility_mode, false),
            NULLIF(max_differential_joins, 0), NULLIF(max_delta_fraction, 0))
    RETURNING pgt_id INTO new_id;

    PERFORM pgtrickle._create_dependency_view(new_id);
    PERFORM pgtrickle._attach_sources(new_id, analysis);
    PERFORM pgtrickle._reset_plan(new_id, v_mode);
    PERFORM pgtrickle._sync_ivm_triggers(new_id);

    IF COALESCE(initialize, true) THEN
        PERFORM pgtrickle._refresh(new_id, 'INITIAL');
    END IF;
    PERFORM pgtrickle._signal_coordinator('create', new_id);
    RAISE INFO 'Stream table %.% created (pgt_id=%, mode=%, initialized=%)', target_name.schema_name, target_name.table_name,
        new_id, CASE WHEN v_mode = 'AUTO' THEN 'DIFFERENTIAL' ELSE v_mode END, COALESCE(initialize, true);
END $$;

CREATE FUNCTION pgtrickle.create_stream_table(
    name                      TEXT,
    query                     TEXT,
    schedule                  TEXT             DEFAULT 'calculated',
    refresh_mode              TEXT             DEFAULT 'AUTO',
    initialize                bool             DEFAULT true,
    diamond_consistency       TEXT             DEFAULT NULL,
    diamond_schedule_policy   TEXT             DEFAULT NULL,
    cdc_mode                  TEXT             DEFAULT NULL,
    append_only               bool             DEFAULT false,
    pooler_compatibility_mode bool             DEFAULT false,
    partition_by              TEXT             DEFAULT NULL,
    max_differential_joins    INT              DEFAULT NULL,
    max_delta_fraction        double precision DEFAULT NULL
) RETURNS void
LANGUAGE sql AS $$
    SELECT pgtrickle._create_stream_table(name, query, schedule, refresh_mode, initialize, diamond_consistency,
        diamond_schedule_policy, cdc_mode, append_only, pooler_compatibility_mode, partition_by,
        max_differential_joins, max_delta_fraction, false)
$$;

CREATE FUNCTION pgtrickle.create_stream_table_if_not_exists(
    name                      TEXT,
    query                     TEXT,
    schedule                  TEXT             DEFAULT 'calculated',
    refresh_mode              TEXT             DEFAULT 'AUTO',
    initialize                bool             DEFAULT true,
    diamond_consistency       TEXT             DEFAULT NULL,
    diamond_schedule_policy   TEXT             DEFAULT NULL,
    cdc_mode                  TEXT             DEFAULT NULL,
    append_only               bool             DEFAULT false,
    pooler_compatibility_mode bool             DEFAULT false,
    partition_by              TEXT             DEFAULT NULL,
    max_differential_joins    INT              DEFAULT NULL,
    max_delta_fraction        double precision DEFAULT NULL
) RETURNS void
LANGUAGE sql AS $$
    SELECT pgtrickle._create_stream_table(name, query, schedule, refresh_mode, initialize, diamond_consistency,
        diamond_schedule_policy, cdc_mode, append_only, pooler_compatibility_mode, partition_by,
        max_differential_joins, max_delta_fraction, true)
$$;

-- Replaces the defining query: new storage when the output columns differ,
-- otherwise the same table; sources re-attached; FULL refresh; one transaction.
CREATE FUNCTION pgtrickle._replace_query(st pgtrickle.pgt_stream_tables, query text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    analysis jsonb := pgtrickle._analyze_query(query);
    same_columns boolean;
    storage regclass;
BEGIN
    IF analysis ->> 'volatility' = 'v' AND st.refresh_mode = 'DIFFERENTIAL' THEN
        RAISE EXCEPTION 'unsupported operator for DIFFERENTIAL mode: Defining query contains volatile expressions'
            USING ERRCODE = '0A000', HINT = 'Use refresh_mode => ''FULL''.';
    END IF;
    SELECT COALESCE(jsonb_agg(jsonb_build_object('name', attname, 'type', format_type(atttypid, atttypmod)) ORDER BY attnum), '[]')
           = (SELECT jsonb_agg(jsonb_build_object('name', c ->> 'name', 'type', c ->> 'type'))
                FROM jsonb_array_elements(analysis -> 'columns') c)
      INTO same_columns
      FROM pg_attribute
     WHERE attrelid = st.pgt_relid AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\_\_pgt\_%';

    PERFORM pgtrickle._check_cycle(st.pgt_id, ARRAY(SELECT (e ->> 'relid')::oid FROM jsonb_array_elements(analysis -> 'sources') e));
    PERFORM pgtrickle._drop_ivm_triggers(st.pgt_id);
    PERFORM pgtrickle._drop_dependency_view(st.pgt_id);
    PERFORM pgtrickle._detach_sources(st.pgt_id);
    IF NOT same_columns AND EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = st.pgt_relid) THEN
        RAISE EXCEPTION 'invalid argument: the new query of %.% changes its output columns, and other stream tables read it', st.pgt_schema, st.pgt_name
            USING HINT = 'Keep the output columns (names and types), or drop the stream tables that read this one first.';
    END IF;
    IF same_columns THEN
        storage := st.pgt_relid::regclass;
    ELSE
        PERFORM pgtrickle._internal_ddl(format('DROP TABLE %I.%I', st.pgt_schema, st.pgt_name));
        storage := pgtrickle._create_storage(st.pgt_schema, st.pgt_name, analysis);
        RAISE WARNING 'stream table %.%: the output columns changed, so the storage table was recreated', st.pgt_schema, st.pgt_name;
    END IF;
    UPDATE pgtrickle.pgt_stream_tables s
       SET pgt_relid = storage, defining_query = analysis ->> 'defining_query', original_query = query,
           is_populated = false, updated_at = now()
     WHERE s.pgt_id = st.pgt_id;
    PERFORM pgtrickle._create_dependency_view(st.pgt_id);
    PERFORM pgtrickle._attach_sources(st.pgt_id, analysis);
    PERFORM pgtrickle._reset_plan(st.pgt_id);
    PERFORM pgtrickle._sync_ivm_triggers(st.pgt_id);
END $$;

CREATE FUNCTION pgtrickle.alter_stream_table(
    name TEXT,
    query TEXT DEFAULT NULL, schedule TEXT DEFAULT NULL, refresh_mode TEXT DEFAULT NULL,
    status TEXT DEFAULT NULL, diamond_consistency TEXT DEFAULT NULL,
    diamond_schedule_policy TEXT DEFAULT NULL, cdc_mode TEXT DEFAULT NULL,
    append_only bool DEFAULT NULL, pooler_compatibility_mode bool DEFAULT NULL,
    tier TEXT DEFAULT NULL, fuse TEXT DEFAULT NULL, fuse_ceiling bigint DEFAULT NULL,
    fuse_sensitivity INT DEFAULT NULL, partition_by TEXT DEFAULT NULL,
    max_differential_joins INT DEFAULT NULL, max_delta_fraction double precision DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    v_mode text;
    v_requested text;
    v_status text;
    v_tier text;
    v_fuse text;
    v_diamond text;
    v_policy text;
    v_cdc text;
    was_error boolean;
BEGIN
    -- Wait for an in-flight refresh, then hold the table for the rest of the transaction.
    PERFORM pg_advisory_xact_lock(pgtrickle._refresh_lock_key(), st.pgt_id::int);
    SELECT * INTO st FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = st.pgt_id FOR UPDATE;
    was_error := st.status = 'ERROR';

    -- Validate every argument before changing anything.
    IF refresh_mode IS NOT NULL THEN
        v_requested := pgtrickle._normalize_mode(refresh_mode);
        v_mode := CASE WHEN v_requested = 'AUTO' THEN 'DIFFERENTIAL' ELSE v_requested END;
    END IF;
    IF status IS NOT NULL THEN
        v_status := upper(pgtrickle._validate_choice(status, ARRAY['active', 'suspended', 'error', 'initializing'], 'status'));
    END IF;
    v_tier := pgtrickle._validate_choice(tier, ARRAY['hot', 'warm', 'cold', 'frozen'], 'tier');
    v_fuse := pgtrickle._validate_choice(fuse, ARRAY['off', 'on', 'auto'], 'fuse');
    IF fuse_ceiling IS NOT NULL AND fuse_ceiling <= 0 THEN
        RAISE EXCEPTION 'invalid argument: fuse_ceiling must be a positive integer';
    END IF;
    IF fuse_sensitivity IS NOT NULL AND fuse_sensitivity <= 0 THEN
        RAISE EXCEPTION 'invalid argument: fuse_sensitivity must be a positive integer';
    END IF;
    v_diamond := pgtrickle._validate_choice(diamond_consistency, ARRAY['none', 'atomic'], 'diamond_consistency');
    v_policy := pgtrickle._validate_choice(diamond_schedule_policy, ARRAY['fastest', 'slowest'], 'diamond_schedule_policy');
    IF COALESCE(v_policy, st.diamond_schedule_policy) = 'slowest' AND COALESCE(v_diamond, st.diamond_consistency) = 'none' THEN
        RAISE EXCEPTION 'invalid argument: diamond_schedule_policy ''slowest'' requires diamond_consistency ''atomic''';
    END IF;
    v_cdc := pgtrickle._validate_choice(cdc_mode, ARRAY['auto', 'trigger', 'wal'], 'cdc_mode');
    IF v_cdc = 'wal' THEN
        RAISE EXCEPTION 'invalid argument: cdc_mode = ''wal'' is not supported by pgtrickle; changes are captured by statement triggers';
    END IF;
    IF append_only THEN
        RAISE EXCEPTION 'invalid argument: append_only is not supported by this pgtrickle version';
    END IF;
    IF partition_by IS NOT NULL AND partition_by <> '' THEN
        RAISE EXCEPTION 'invalid argument: partition_by is not supported by this pgtrickle version';
    END IF;
    IF max_differential_joins < 0 OR max_delta_fraction < 0 THEN
        RAISE EXCEPTION 'invalid argument: max_differential_joins and max_delta_fraction must not be negative';
    END IF;
    IF v_mode = 'DIFFERENTIAL' AND query IS NULL AND st.functions_used IS NOT NULL
       AND EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.pgt_id = st.pgt_id)
       AND (pgtrickle._analyze_query(st.defining_query) ->> 'volatility') = 'v' THEN
        RAISE EXCEPTION 'unsupported operator for DIFFERENTIAL mode: Defining query contains volatile expressions'
            USING ERRCODE = '0A000', HINT = 'Keep refresh_mode => ''FULL''.';
    END IF;

    IF schedule IS NOT NULL THEN
        UPDATE pgtrickle.pgt_stream_tables s SET schedule = pgtrickle._normalize_schedule(alter_stream_table.schedule)
         WHERE s.pgt_id = st.pgt_id;
    END IF;
    IF v_mode IS NOT NULL AND v_mode <> st.refresh_mode THEN
        UPDATE pgtrickle.pgt_stream_tables s
           SET refresh_mode = v_mode,
               schedule = CASE WHEN v_mode = 'IMMEDIATE' THEN NULL ELSE s.schedule END
         WHERE s.pgt_id = st.pgt_id;
    END IF;
    IF query IS NOT NULL THEN
        SELECT * INTO st FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = st.pgt_id;
        PERFORM pgtrickle._replace_query(st, query);
        IF v_requested IS NOT NULL THEN
            UPDATE pgtrickle.pgt_coord_plans p SET requested_mode = v_requested WHERE p.pgt_id = st.pgt_id;
        END IF;
    ELSIF v_mode IS NOT NULL AND (v_mode <> st.refresh_mode
            OR v_requested IS DISTINCT FROM (SELECT p.requested_mode FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = st.pgt_id)) THEN
        -- Storage keeps its rows; the next refresh is FULL under the new plan.
        PERFORM pgtrickle._reset_plan(st.pgt_id, v_requested);
        UPDATE pgtrickle.pgt_coord_plans p SET storage_matches_plan = true WHERE p.pgt_id = st.pgt_id;
        RAISE NOTICE 'stream table %.%: refresh mode changed from % to %', st.pgt_schema, st.pgt_name, st.refresh_mode, v_mode;
    END IF;
    IF v_tier IS NOT NULL AND v_tier <> st.refresh_tier THEN
        IF v_tier IN ('cold', 'frozen') THEN
            RAISE NOTICE '%', format('stream table %s.%s demoted from %s to %s%s', st.pgt_schema, st.pgt_name, st.refresh_tier, v_tier,
                CASE v_tier WHEN 'cold' THEN ' — effective refresh interval is now 10× the configured schedule'
                            ELSE ' — refresh is suspended until the tier is changed back' END);
        END IF;
    END IF;

    UPDATE pgtrickle.pgt_stream_tables s
       SET status = COALESCE(v_status, CASE WHEN was_error THEN 'ACTIVE' ELSE s.status END),
           consecutive_errors = CASE WHEN v_status = 'ACTIVE' OR (v_status IS NULL AND was_error) THEN 0 ELSE s.consecutive_errors END,
           last_error_message = CASE WHEN v_status IS NULL AND was_error THEN NULL ELSE s.last_error_message END,
           last_error_at = CASE WHEN v_status IS NULL AND was_error THEN NULL ELSE s.last_error_at END,
           refresh_tier = COALESCE(v_tier, s.refresh_tier),
           fuse_mode = COALESCE(v_fuse, s.fuse_mode),
           fuse_ceiling = COALESCE(alter_stream_table.fuse_ceiling, s.fuse_ceiling),
           fuse_sensitivity = COALESCE(alter_stream_table.fuse_sensitivity, s.fuse_sensitivity),
           diamond_consistency = COALESCE(v_diamond, s.diamond_consistency),
           diamond_schedule_policy = COALESCE(v_policy, s.diamond_schedule_policy),
           requested_cdc_mode = COALESCE(v_cdc, s.requested_cdc_mode),
           pooler_compatibility_mode = COALESCE(alter_stream_table.pooler_compatibility_mode, s.pooler_compatibility_mode),
           max_differential_joins = CASE WHEN alter_stream_table.max_differential_joins IS NULL THEN s.max_differential_joins
                                         ELSE NULLIF(alter_stream_table.max_differential_joins, 0) END,
           max_delta_fraction = CASE WHEN alter_stream_table.max_delta_fraction IS NULL THEN s.max_delta_fraction
                                     ELSE NULLIF(alter_stream_table.max_delta_fraction, 0) END,
           updated_at = now()
     WHERE s.pgt_id = st.pgt_id;

    PERFORM pgtrickle._sync_ivm_triggers(st.pgt_id);
    IF query IS NOT NULL THEN
        PERFORM pgtrickle._refresh(st.pgt_id, 'MANUAL');
    END IF;
    PERFORM pgtrickle._signal_coordinator('alter', st.pgt_id);
END $$;

CREATE FUNCTION pgtrickle.create_or_replace_stream_table(
    name                      TEXT,
    query                     TEXT,
    schedule                  TEXT             DEFAULT 'calculated',
    refresh_mode              TEXT             DEFAULT 'AUTO',
    initialize                bool             DEFAULT true,
    diamond_consistency       TEXT             DEFAULT NULL,
    diamond_schedule_policy   TEXT             DEFAULT NULL,
    cdc_mode                  TEXT             DEFAULT NULL,
    append_only               bool             DEFAULT false,
    pooler_compatibility_mode bool             DEFAULT false,
    partition_by              TEXT             DEFAULT NULL,
    max_differential_joins    INT              DEFAULT NULL,
    max_delta_fraction        double precision DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    target_name record := pgtrickle._resolve_name(name);
    st pgtrickle.pgt_stream_tables;
    new_query text;
    new_schedule text;
    new_mode text;
    query_changed boolean;
    config_changed boolean;
BEGIN
    SELECT * INTO st FROM pgtrickle.pgt_stream_tables s
     WHERE s.pgt_schema = target_name.schema_name AND s.pgt_name = target_name.table_name;
    IF NOT FOUND THEN
        PERFORM pgtrickle._create_stream_table(name, query, schedule, refresh_mode, initialize, diamond_consistency,
            diamond_schedule_policy, cdc_mode, append_only, pooler_compatibility_mode, partition_by,
            max_differential_joins, max_delta_fraction, false);
        RETURN;
    END IF;
    new_query := pgtrickle._analyze_query(query) ->> 'defining_query';
    new_schedule := pgtrickle._normalize_schedule(schedule);
    new_mode := pgtrickle._normalize_mode(refresh_mode);
    IF new_mode = 'AUTO' THEN new_mode := 'DIFFERENTIAL'; END IF;
    query_changed := regexp_replace(new_query, '\s+', ' ', 'g') IS DISTINCT FROM regexp_replace(st.defining_query, '\s+', ' ', 'g');
    config_changed := new_schedule IS DISTINCT FROM st.schedule OR new_mode <> st.refresh_mode
        OR COALESCE(lower(diamond_consistency), 'atomic') <> st.diamond_consistency
        OR COALESCE(lower(diamond_schedule_policy), 'fastest') <> st.diamond_schedule_policy
        OR lower(cdc_mode) IS DISTINCT FROM st.requested_cdc_mode
        OR COALESCE(pooler_compatibility_mode, false) <> st.pooler_compatibility_mode;
    IF NOT query_changed AND NOT config_changed THEN
        RAISE INFO 'Stream table %.% already exists with identical definition — no changes made.', st.pgt_schema, st.pgt_name;
        RETURN;
    END IF;
    PERFORM pgtrickle.alter_stream_table(name,
        query => CASE WHEN query_changed THEN query END,
        schedule => COALESCE(new_schedule, 'calculated'),
        refresh_mode => new_mode,
        diamond_consistency => diamond_consistency,
        diamond_schedule_policy => diamond_schedule_policy,
        cdc_mode => cdc_mode,
        pooler_compatibility_mode => pooler_compatibility_mode,
        max_differential_joins => max_differential_joins,
        max_delta_fraction => max_delta_fraction);
    RAISE INFO 'Stream table %.% replaced (query_changed=%, config_changed=%)', st.pgt_schema, st.pgt_name, query_changed, config_changed;
END $$;

-- Drops the stream table and, first, every stream table that reads it.
CREATE FUNCTION pgtrickle.drop_stream_table(name TEXT) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
    st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    dependent pgtrickle.pgt_stream_tables;
BEGIN
    PERFORM pg_advisory_xact_lock(pgtrickle._refresh_lock_key(), st.pgt_id::int);
    FOR dependent IN
        SELECT s.* FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = d.pgt_id
         WHERE d.source_relid = st.pgt_relid AND s.pgt_id <> st.pgt_id
    LOOP
        RAISE NOTICE 'dropping stream table %.%, which reads %.%', dependent.pgt_schema, dependent.pgt_name, st.pgt_schema, st.pgt_name;
        PERFORM pgtrickle.drop_stream_table(pgtrickle._qualified(dependent));
    END LOOP;
    PERFORM pgtrickle._drop_ivm_triggers(st.pgt_id);
    PERFORM pgtrickle._detach_sources(st.pgt_id);
    PERFORM pgtrickle._drop_dependency_view(st.pgt_id);
    -- The catalog row goes first, so the drop event trigger has nothing left to do.
    DELETE FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = st.pgt_id;
    EXECUTE format('DROP TABLE %I.%I', st.pgt_schema, st.pgt_name);
    DELETE FROM pgtrickle.pgt_coord_refresh_stats s WHERE s.pgt_id = st.pgt_id;
    PERFORM pgtrickle._signal_coordinator('drop', st.pgt_id);
    RAISE INFO 'Stream table %.% dropped (pgt_id=%)', st.pgt_schema, st.pgt_name, st.pgt_id;
END $$;

CREATE FUNCTION pgtrickle.resume_stream_table(name TEXT) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
    st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    previous text := st.status;
BEGIN
    IF st.status NOT IN ('SUSPENDED', 'ERROR') THEN
        RAISE EXCEPTION 'invalid argument: stream table %.% is not suspended or in error state (current status: %)',
            st.pgt_schema, st.pgt_name, st.status;
    END IF;
    UPDATE pgtrickle.pgt_stream_tables s
       SET status = 'ACTIVE', consecutive_errors = 0, last_error_message = NULL, last_error_at = NULL, updated_at = now()
     WHERE s.pgt_id = st.pgt_id
    RETURNING * INTO st;
    PERFORM pgtrickle._alert('resumed', st, jsonb_build_object('previous_status', previous));
    PERFORM pgtrickle._signal_coordinator('alter', st.pgt_id);
END $$;

CREATE FUNCTION pgtrickle.refresh_stream_table(name TEXT) RETURNS void
LANGUAGE plpgsql STRICT AS $$
BEGIN
    PERFORM pgtrickle._refresh((pgtrickle._find_stream_table(name)).pgt_id, 'MANUAL');
END $$;

---------------------------------------------------------------------------
-- Introspection (spec/sql-api.md §3, §7)
---------------------------------------------------------------------------

CREATE FUNCTION pgtrickle.pgt_status()
RETURNS TABLE(name TEXT, status TEXT, refresh_mode TEXT, is_populated bool, consecutive_errors INT,
              schedule TEXT, data_timestamp timestamptz, staleness interval, scc_id INT)
LANGUAGE sql STABLE AS $$
    SELECT s.pgt_schema || '.' || s.pgt_name, s.status, s.refresh_mode, s.is_populated, s.consecutive_errors,
           s.schedule, s.data_timestamp, now() - s.data_timestamp, s.scc_id
      FROM pgtrickle.pgt_stream_tables s
     ORDER BY s.pgt_schema, s.pgt_name
$$;

CREATE FUNCTION pgtrickle.get_refresh_history(name TEXT, max_rows INT DEFAULT 20)
RETURNS TABLE(refresh_id bigint, data_timestamp timestamptz, start_time timestamptz, end_time timestamptz,
              action TEXT, status TEXT, rows_inserted bigint, rows_deleted bigint,
              duration_ms double precision, error_message TEXT)
LANGUAGE sql STABLE STRICT AS $$
    SELECT h.refresh_id, h.data_timestamp, h.start_time, h.end_time, h.action, h.status,
           h.rows_inserted, h.rows_deleted,
           extract(epoch FROM h.end_time - h.start_time) * 1000, h.error_message
      FROM pgtrickle.pgt_refresh_history h
     WHERE h.pgt_id = (pgtrickle._find_stream_table(name)).pgt_id
     ORDER BY h.refresh_id DESC
     LIMIT max_rows
$$;

CREATE VIEW pgtrickle.stream_tables_info AS
SELECT st.*,
       now() - st.last_refresh_at AS staleness,
       CASE WHEN st.schedule IS NOT NULL AND st.schedule !~ '\s' AND st.schedule NOT LIKE '@%'
            THEN extract(epoch FROM now() - st.last_refresh_at) > pgtrickle.parse_duration_seconds(st.schedule)
       END AS stale,
       st.topk_limit IS NOT NULL AS is_topk
  FROM pgtrickle.pgt_stream_tables st;

CREATE VIEW pgtrickle.pg_stat_stream_tables AS
SELECT st.pgt_id, st.pgt_schema, st.pgt_name, st.status, st.refresh_mode, st.is_populated, st.data_timestamp,
       st.schedule,
       now() - st.last_refresh_at AS staleness,
       CASE WHEN st.last_refresh_at IS NOT NULL AND st.schedule IS NOT NULL AND st.schedule !~ '\s' AND st.schedule NOT LIKE '@%'
            THEN extract(epoch FROM now() - st.last_refresh_at) > pgtrickle.parse_duration_seconds(st.schedule)
       END AS stale,
       st.consecutive_errors, st.needs_reinit, st.last_refresh_at,
       COALESCE(h.total, 0) AS total_refreshes,
       COALESCE(h.ok, 0) AS successful_refreshes,
       COALESCE(h.failed, 0) AS failed_refreshes,
       COALESCE(h.ins, 0) AS total_rows_inserted,
       COALESCE(h.del, 0) AS total_rows_deleted,
       h.avg_ms AS avg_duration_ms,
       last.action AS last_action,
       last.status AS last_status,
       ARRAY(SELECT DISTINCT d.cdc_mode FROM pgtrickle.pgt_dependencies d
              WHERE d.pgt_id = st.pgt_id AND d.source_type = 'TABLE' ORDER BY 1) AS cdc_modes,
       st.scc_id, st.last_fixpoint_iterations, st.refresh_tier
  FROM pgtrickle.pgt_stream_tables st
  LEFT JOIN LATERAL (
        SELECT count(*) AS total,
               count(*) FILTER (WHERE status = 'COMPLETED') AS ok,
               count(*) FILTER (WHERE status = 'FAILED') AS failed,
               sum(rows_inserted) AS ins, sum(rows_deleted) AS del,
               avg(extract(epoch FROM end_time - start_time) * 1000) FILTER (WHERE end_time IS NOT NULL) AS avg_ms
          FROM pgtrickle.pgt_refresh_history WHERE pgt_id = st.pgt_id) h ON true
  LEFT JOIN LATERAL (
        SELECT action, status FROM pgtrickle.pgt_refresh_history
         WHERE pgt_id = st.pgt_id ORDER BY refresh_id DESC LIMIT 1) last ON true;

CREATE VIEW pgtrickle.quick_health AS
SELECT count(*) AS total_stream_tables,
       count(*) FILTER (WHERE status = 'ERROR' OR consecutive_errors > 0) AS error_tables,
       count(*) FILTER (WHERE stale) AS stale_tables,
       EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'pg_trickle scheduler'
                                                AND datname = current_database()) AS scheduler_running,
       CASE WHEN count(*) = 0 THEN 'EMPTY'
            WHEN count(*) FILTER (WHERE status = 'SUSPENDED') > 0 THEN 'CRITICAL'
            WHEN count(*) FILTER (WHERE status = 'ERROR' OR consecutive_errors > 0 OR stale) > 0 THEN 'WARNING'
            ELSE 'OK' END AS status
  FROM pgtrickle.stream_tables_info;

-- The stored plan of a stream table (spec/sql-api.md §5.1): properties as rows.
-- The operator tree and delta SQL come from the coordinator's compiler (D2);
-- before a plan exists the rows say so.
CREATE FUNCTION pgtrickle.explain_st(name TEXT) RETURNS TABLE(property TEXT, value TEXT)
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
    st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    plan pgtrickle.pgt_coord_plans;
BEGIN
    SELECT * INTO plan FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = st.pgt_id;
    RETURN QUERY VALUES
        ('pgt_name', st.pgt_schema || '.' || st.pgt_name),
        ('defining_query', st.defining_query),
        ('refresh_mode', st.refresh_mode),
        ('requested_mode', plan.requested_mode),
        ('status', st.status),
        ('is_populated', st.is_populated::text),
        ('plan_kind', plan.plan_kind),
        ('dvm_supported', CASE WHEN plan.plan_kind = 'COMPILED' THEN 'true'
                               WHEN plan.compile_error IS NOT NULL THEN 'false' END),
        ('compiler_version', plan.compiler_version),
        ('refresh_strategy', CASE WHEN st.refresh_mode = 'IMMEDIATE'
                                  THEN 'IMMEDIATE: every writing statement applies its own ' ||
                                       CASE WHEN plan.plan_kind = 'COMPILED' THEN 'delta (' || (plan.plan ->> 'strategy') || ' storage)'
                                            ELSE 'change by a FULL refresh until the coordinator has compiled a plan' END
                                  WHEN plan.plan_kind = 'COMPILED' AND st.refresh_mode = 'DIFFERENTIAL'
                                  THEN 'DIFFERENTIAL (' || (plan.plan ->> 'strategy') || ' storage); FULL when more than '
                                       || COALESCE(st.auto_threshold::text, pgtrickle._setting('differential_max_change_ratio', '0.15'))
                                       || ' of a source changed or after a TRUNCATE'
                                  WHEN st.refresh_mode = 'DIFFERENTIAL' AND plan.compile_error IS NULL
                                  THEN 'FULL until the coordinator has compiled a DIFFERENTIAL plan'
                                  ELSE 'FULL' END),
        ('operator_tree', plan.operator_tree),
        ('hidden_columns', (plan.plan -> 'hiddenColumns')::text),
        ('delta_query', plan.differential_sql),
        ('full_query', plan.full_sql),
        ('dvm_error', plan.compile_error),
        ('frontier', st.frontier::text);
END $$;

---------------------------------------------------------------------------
-- The DAG (spec/architecture.md §9.4)
---------------------------------------------------------------------------

-- Raises CycleDetected when a stream table would read (transitively) itself.
-- new_sources: the relations the changed query reads.
CREATE FUNCTION pgtrickle._check_cycle(pgt_id bigint, new_sources oid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cycle text;
BEGIN
    WITH RECURSIVE downstream(pgt_id, relid, path) AS (
        SELECT s.pgt_id, s.pgt_relid, ARRAY[s.pgt_id]
          FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _check_cycle.pgt_id
        UNION ALL
        SELECT c.pgt_id, c.pgt_relid, downstream.path || c.pgt_id
          FROM downstream
          JOIN pgtrickle.pgt_dependencies d ON d.source_relid = downstream.relid
          JOIN pgtrickle.pgt_stream_tables c ON c.pgt_id = d.pgt_id
         WHERE NOT c.pgt_id = ANY (downstream.path)
    )
    SELECT (SELECT string_agg(s.pgt_schema || '.' || s.pgt_name, ' -> ' ORDER BY p.ord)
              FROM unnest(downstream.path || downstream.path[1]) WITH ORDINALITY AS p(id, ord)
              JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = p.id)
      INTO cycle
      FROM downstream
     WHERE downstream.relid = ANY (new_sources)
     LIMIT 1;
    IF cycle IS NOT NULL THEN
        RAISE EXCEPTION 'cycle detected in dependency graph: %', cycle
            USING ERRCODE = '42P15', DETAIL = 'A stream table cannot read itself, directly or through other stream tables.',
                  HINT = 'Read the upstream sources directly instead of a stream table that is downstream of this one.';
    END IF;
END $$;

-- The graph as an ASCII tree (spec/tui-cli.md §5.10): roots are stream tables
-- that read no other stream table; under each node come the stream tables that
-- read it, then the plain tables it reads, tagged [src].
CREATE FUNCTION pgtrickle.dependency_tree()
RETURNS TABLE(tree_line TEXT, node TEXT, node_type TEXT, depth INT, status TEXT, refresh_mode TEXT)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    roots pgtrickle.pgt_stream_tables[];
    root pgtrickle.pgt_stream_tables;
    i int := 0;
    n int;
BEGIN
    SELECT array_agg(s ORDER BY s.pgt_schema, s.pgt_name) INTO roots
      FROM pgtrickle.pgt_stream_tables s
     WHERE NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables u ON u.pgt_relid = d.source_relid
                        WHERE d.pgt_id = s.pgt_id);
    n := COALESCE(array_length(roots, 1), 0);
    FOREACH root IN ARRAY COALESCE(roots, '{}') LOOP
        i := i + 1;
        RETURN QUERY SELECT * FROM pgtrickle._tree_node(root, CASE WHEN n = 1 THEN '' WHEN i = n THEN '└── ' ELSE '├── ' END,
                                                      CASE WHEN n = 1 OR i = n THEN '    ' ELSE '│   ' END, 0, ARRAY[]::bigint[]);
    END LOOP;
END $$;

CREATE FUNCTION pgtrickle._tree_node(st pgtrickle.pgt_stream_tables, connector text, prefix text, level int, seen bigint[])
RETURNS TABLE(tree_line TEXT, node TEXT, node_type TEXT, depth INT, status TEXT, refresh_mode TEXT)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    children record;
    k int := 0;
    total int;
    label text := st.pgt_schema || '.' || st.pgt_name;
BEGIN
    node := label; node_type := 'stream_table'; depth := level;
    status := st.status; refresh_mode := st.refresh_mode;
    -- the first line's prefix is the parent's; children extend it
    tree_line := left(prefix, greatest(length(prefix) - 4, 0)) || connector || label;
    RETURN NEXT;
    IF st.pgt_id = ANY (seen) THEN RETURN; END IF;
    SELECT count(*) INTO total FROM (
        SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = st.pgt_relid
        UNION ALL
        SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.pgt_id = st.pgt_id AND d.source_type IN ('TABLE', 'MATVIEW', 'FOREIGN_TABLE')) c;
    FOR children IN
        SELECT 0 AS kind, c AS child, c.pgt_schema || '.' || c.pgt_name AS label
          FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables c ON c.pgt_id = d.pgt_id
         WHERE d.source_relid = st.pgt_relid
        UNION ALL
        SELECT 1, NULL, format('%I.%I', n.nspname, r.relname)
          FROM pgtrickle.pgt_dependencies d JOIN pg_class r ON r.oid = d.source_relid JOIN pg_namespace n ON n.oid = r.relnamespace
         WHERE d.pgt_id = st.pgt_id AND d.source_type IN ('TABLE', 'MATVIEW', 'FOREIGN_TABLE')
         ORDER BY 1, 3
    LOOP
        k := k + 1;
        IF children.kind = 0 THEN
            RETURN QUERY SELECT * FROM pgtrickle._tree_node(children.child, CASE WHEN k = total THEN '└── ' ELSE '├── ' END,
                prefix || CASE WHEN k = total THEN '    ' ELSE '│   ' END, level + 1, seen || st.pgt_id);
        ELSE
            tree_line := prefix || CASE WHEN k = total THEN '└── ' ELSE '├── ' END || children.label || ' [src]';
            node := children.label; node_type := 'source_table'; depth := level + 1;
            status := NULL; refresh_mode := NULL;
            RETURN NEXT;
        END IF;
    END LOOP;
END $$;

---------------------------------------------------------------------------
-- Source DDL (spec/architecture.md §8)
--
-- Each stream table owns a view pgtrickle.pgt_dep_<pgt_id> over its defining
-- query. PostgreSQL then tracks the dependencies itself, by OID: dropping a
-- source table or a column the query uses, or changing that column's type, is
-- refused (pg_trickle's default block_source_ddl = on) unless CASCADE is given,
-- and renames are followed. Event triggers react to what PostgreSQL allows:
-- capture and stored query are brought up to date and the next refresh is a
-- full one, or — when CASCADE removed what the query needs — the stream table
-- goes to ERROR with the reason and an alert.
---------------------------------------------------------------------------

CREATE FUNCTION pgtrickle._dependency_view_name(pgt_id bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT 'pgt_dep_' || pgt_id $$;

CREATE FUNCTION pgtrickle._create_dependency_view(pgt_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE VIEW pgtrickle.%I AS %s', pgtrickle._dependency_view_name(pgt_id),
                   (SELECT s.defining_query FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _create_dependency_view.pgt_id));
    EXECUTE format('COMMENT ON VIEW pgtrickle.%I IS %L', pgtrickle._dependency_view_name(pgt_id),
                   'Holds the dependencies of pgtrickle stream table ' || pgt_id || ' on its sources; do not drop.');
END $$;

-- Runs DDL of pgtrickle's own that the drop event trigger must not read as a
-- user dropping something a stream table needs.
CREATE FUNCTION pgtrickle._internal_ddl(statement text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    previous text := COALESCE(current_setting('pgtrickle.internal_ddl', true), '');
BEGIN
    PERFORM set_config('pgtrickle.internal_ddl', 'on', true);
    EXECUTE statement;
    PERFORM set_config('pgtrickle.internal_ddl', previous, true);
END $$;

CREATE FUNCTION pgtrickle._drop_dependency_view(pgt_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pgtrickle._internal_ddl(format('DROP VIEW IF EXISTS pgtrickle.%I', pgtrickle._dependency_view_name(pgt_id)));
END $$;

-- The stored query as PostgreSQL now sees it (renames followed), schema-qualified.
CREATE FUNCTION pgtrickle._current_definition(pgt_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    view_oid oid := to_regclass(format('pgtrickle.%I', pgtrickle._dependency_view_name(pgt_id)));
    saved_path text := current_setting('search_path');
    result text;
BEGIN
    IF view_oid IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('search_path', 'pg_catalog', true);
    result := rtrim(btrim(pg_get_viewdef(view_oid, true)), ';');
    PERFORM set_config('search_path', saved_path, true);
    RETURN result;
END $$;

-- Puts a stream table and everything downstream of it in ERROR with a reason.
CREATE FUNCTION pgtrickle._fail_downstream(pgt_id bigint, reason text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    st pgtrickle.pgt_stream_tables;
BEGIN
    FOR st IN
        WITH RECURSIVE affected(id) AS (
            SELECT _fail_downstream.pgt_id
            UNION
            SELECT d.pgt_id FROM affected
              JOIN pgtrickle.pgt_stream_tables u ON u.pgt_id = affected.id
              JOIN pgtrickle.pgt_dependencies d ON d.source_relid = u.pgt_relid)
        SELECT s.* FROM pgtrickle.pgt_stream_tables s JOIN affected ON affected.id = s.pgt_id
    LOOP
        UPDATE pgtrickle.pgt_stream_tables s
           SET status = 'ERROR', needs_reinit = true,
               last_error_message = CASE WHEN s.pgt_id = _fail_downstream.pgt_id THEN reason
                                         ELSE 'an upstream stream table failed: ' || reason END,
               last_error_at = now(), updated_at = now()
         WHERE s.pgt_id = st.pgt_id
        RETURNING * INTO st;
        PERFORM pgtrickle._alert('reinitialize_needed', st, jsonb_build_object('reason', st.last_error_message));
        PERFORM pgtrickle._signal_coordinator('alter', st.pgt_id);
    END LOOP;
END $$;

-- Brings capture of a source in line with its columns after ALTER TABLE
-- (buffer columns matched by attnum: added, dropped, renamed, retyped), and
-- re-derives the stored query and plan of every stream table reading it.
CREATE FUNCTION pgtrickle._resync_source(relid oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    before jsonb := (SELECT b.columns FROM pgtrickle.pgt_coord_buffers b WHERE b.source_relid = relid);
    after  jsonb := pgtrickle._source_columns(relid);
    buffer text := format('pgtrickle_changes.%I', 'changes_' || relid);
    col record;
    st pgtrickle.pgt_stream_tables;
    definition text;
    columns_changed boolean := before IS NOT NULL AND before IS DISTINCT FROM after;
    -- A replaced view changes what its readers compute even when its name and columns stay.
    is_view boolean := (SELECT c.relkind = 'v' FROM pg_class c WHERE c.oid = relid);
BEGIN
    IF columns_changed THEN
        FOR col IN
            SELECT o.value AS old, n.value AS new
              FROM jsonb_array_elements(before) o FULL JOIN jsonb_array_elements(after) n
                ON (o.value ->> 'attnum') = (n.value ->> 'attnum')
        LOOP
            IF col.new IS NULL THEN
                EXECUTE format('ALTER TABLE %s DROP COLUMN %I, DROP COLUMN %I', buffer, 'new_' || (col.old ->> 'name'), 'old_' || (col.old ->> 'name'));
            ELSIF col.old IS NULL THEN
                EXECUTE format('ALTER TABLE %s ADD COLUMN %I %s, ADD COLUMN %I %s', buffer,
                               'new_' || (col.new ->> 'name'), col.new ->> 'type', 'old_' || (col.new ->> 'name'), col.new ->> 'type');
            ELSE
                IF col.old ->> 'name' <> col.new ->> 'name' THEN
                    EXECUTE format('ALTER TABLE %s RENAME COLUMN %I TO %I', buffer, 'new_' || (col.old ->> 'name'), 'new_' || (col.new ->> 'name'));
                    EXECUTE format('ALTER TABLE %s RENAME COLUMN %I TO %I', buffer, 'old_' || (col.old ->> 'name'), 'old_' || (col.new ->> 'name'));
                END IF;
                IF col.old ->> 'type' <> col.new ->> 'type' THEN
                    -- Only a column no stream table reads can change type (the dependency
                    -- view blocks the others), so its old images are not needed.
                    EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE %s USING NULL, ALTER COLUMN %I TYPE %s USING NULL', buffer,
                                   'new_' || (col.new ->> 'name'), col.new ->> 'type', 'old_' || (col.new ->> 'name'), col.new ->> 'type');
                END IF;
            END IF;
        END LOOP;
        PERFORM pgtrickle._write_capture_functions(relid);
    END IF;

    FOR st IN SELECT s.* FROM pgtrickle.pgt_stream_tables s JOIN pgtrickle.pgt_dependencies d USING (pgt_id)
               WHERE d.source_relid = relid LOOP
        definition := pgtrickle._current_definition(st.pgt_id);
        IF definition IS NULL OR (definition = st.defining_query AND NOT columns_changed AND NOT is_view) THEN
            CONTINUE;
        END IF;
        UPDATE pgtrickle.pgt_stream_tables s
           SET defining_query = definition, needs_reinit = true, updated_at = now()
         WHERE s.pgt_id = st.pgt_id
        RETURNING * INTO st;
        UPDATE pgtrickle.pgt_dependencies d
           SET column_snapshot = after, schema_fingerprint = md5(after::text)
         WHERE d.pgt_id = st.pgt_id AND d.source_relid = relid;
        -- The plan is re-derived from the query; the next refresh is a full one.
        PERFORM pgtrickle._reset_plan(st.pgt_id);
        PERFORM pgtrickle._alert('reinitialize_needed', st, jsonb_build_object(
            'reason', format('source %s changed (ALTER TABLE)', relid::regclass)));
        PERFORM pgtrickle._signal_coordinator('alter', st.pgt_id);
    END LOOP;
END $$;

CREATE FUNCTION pgtrickle._on_ddl_end() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    relid oid;
BEGIN
    FOR relid IN
        SELECT DISTINCT c.objid FROM pg_event_trigger_ddl_commands() c
         WHERE c.classid = 'pg_class'::regclass AND c.command_tag IN ('ALTER TABLE', 'ALTER VIEW', 'CREATE VIEW')
           AND EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = c.objid)
    LOOP
        PERFORM pgtrickle._resync_source(relid);
    END LOOP;
END $$;

CREATE FUNCTION pgtrickle._on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    obj record;
    st pgtrickle.pgt_stream_tables;
BEGIN
    IF current_setting('pgtrickle.internal_ddl', true) = 'on' THEN
        RETURN;  -- pgtrickle's own drops (replaced storage, dependency views) are not user DDL
    END IF;
    FOR obj IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
        IF obj.classid <> 'pg_class'::regclass THEN
            CONTINUE;
        END IF;
        -- A stream table's storage dropped directly: forget the stream table.
        FOR st IN SELECT s.* FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_relid = obj.objid AND obj.objsubid = 0 LOOP
            PERFORM pgtrickle._drop_ivm_triggers(st.pgt_id);
            PERFORM pgtrickle._detach_sources(st.pgt_id);
            PERFORM pgtrickle._drop_dependency_view(st.pgt_id);
            DELETE FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = st.pgt_id;
            PERFORM pgtrickle._signal_coordinator('drop', st.pgt_id);
        END LOOP;
        -- A source dropped (DROP … CASCADE): its readers cannot be refreshed any more.
        IF obj.objsubid = 0 AND EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = obj.objid) THEN
            FOR st IN SELECT s.* FROM pgtrickle.pgt_stream_tables s JOIN pgtrickle.pgt_dependencies d USING (pgt_id)
                       WHERE d.source_relid = obj.objid LOOP
                PERFORM pgtrickle._fail_downstream(st.pgt_id, format('upstream table dropped: %s', obj.object_identity));
            END LOOP;
            UPDATE pgtrickle.pgt_change_tracking SET tracked_by_pgt_ids = '{}' WHERE source_relid = obj.objid;
            PERFORM pgtrickle._release_capture(obj.objid, NULL);
            DELETE FROM pgtrickle.pgt_coord_frontiers f WHERE f.source_relid = obj.objid;
        END IF;
        -- A column the query used dropped (… CASCADE), or the dependency view itself.
        IF obj.object_type = 'view' AND obj.schema_name = 'pgtrickle' AND obj.object_name ~ '^pgt_dep_[0-9]+$' THEN
            SELECT s.* INTO st FROM pgtrickle.pgt_stream_tables s
             WHERE s.pgt_id = substring(obj.object_name FROM '[0-9]+$')::bigint AND s.status <> 'ERROR';
            IF FOUND THEN
                PERFORM pgtrickle._fail_downstream(st.pgt_id,
                    'upstream table schema changed: a column or relation the defining query reads was dropped (CASCADE)');
            END IF;
        END IF;
    END LOOP;
END $$;

DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        DROP EVENT TRIGGER IF EXISTS pg_trickle_ddl_tracker;
        DROP EVENT TRIGGER IF EXISTS pg_trickle_drop_tracker;
        CREATE EVENT TRIGGER pg_trickle_ddl_tracker ON ddl_command_end EXECUTE FUNCTION pgtrickle._on_ddl_end();
        CREATE EVENT TRIGGER pg_trickle_drop_tracker ON sql_drop EXECUTE FUNCTION pgtrickle._on_sql_drop();
    ELSE
        RAISE WARNING 'pgtrickle: % is not a superuser, so changes to source tables are not tracked (event triggers need a superuser)', current_user;
    END IF;
END $$;

---------------------------------------------------------------------------
-- Periodic alerts (spec/sql-api.md §11.1), raised by the scheduling node each
-- tick, each at most once per pg_trickle.alert_repeat_seconds (300) per subject.
---------------------------------------------------------------------------

CREATE TABLE pgtrickle.pgt_coord_alert_state (
    alert_key TEXT PRIMARY KEY,
    last_sent TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION pgtrickle._periodic_alerts() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    repeat_after interval := make_interval(secs => pgtrickle._setting('alert_repeat_seconds', '300')::int);
    buffer_threshold bigint := pgtrickle._setting('buffer_alert_threshold', '1000000')::bigint;
    sent int := 0;
    r record;
BEGIN
    -- stale_data: a duration-scheduled stream table more than 2× its schedule behind.
    FOR r IN
        SELECT s.*, extract(epoch FROM now() - s.data_timestamp) AS staleness,
               pgtrickle.parse_duration_seconds(s.schedule) AS schedule_seconds
          FROM pgtrickle.pgt_stream_tables s
         WHERE s.status = 'ACTIVE' AND s.data_timestamp IS NOT NULL
           AND pgtrickle.parse_duration_seconds(s.schedule) IS NOT NULL
           AND extract(epoch FROM now() - s.data_timestamp) > 2 * pgtrickle.parse_duration_seconds(s.schedule)
    LOOP
        INSERT INTO pgtrickle.pgt_coord_alert_state VALUES ('stale:' || r.pgt_id, now())
        ON CONFLICT (alert_key) DO UPDATE SET last_sent = now()
         WHERE pgt_coord_alert_state.last_sent < now() - repeat_after;
        IF FOUND THEN
            PERFORM pgtrickle._alert('stale_data', (SELECT s FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = r.pgt_id),
                jsonb_build_object('staleness_seconds', round(r.staleness::numeric, 1), 'schedule_seconds', r.schedule_seconds,
                                   'ratio', round((r.staleness / r.schedule_seconds)::numeric, 2)));
            sent := sent + 1;
        END IF;
    END LOOP;
    -- buffer_growth_warning: a change buffer holding more rows than the threshold.
    FOR r IN
        SELECT t.source_relid, c.reltuples::bigint AS pending
          FROM pgtrickle.pgt_change_tracking t
          JOIN pg_class c ON c.oid = to_regclass(format('pgtrickle_changes.%I', 'changes_' || t.source_relid))
         WHERE c.reltuples > buffer_threshold
    LOOP
        INSERT INTO pgtrickle.pgt_coord_alert_state VALUES ('buffer:' || r.source_relid, now())
        ON CONFLICT (alert_key) DO UPDATE SET last_sent = now()
         WHERE pgt_coord_alert_state.last_sent < now() - repeat_after;
        IF FOUND THEN
            PERFORM pg_notify('pg_trickle_alert', jsonb_build_object('event', 'buffer_growth_warning',
                'slot_name', 'changes_' || r.source_relid, 'source', r.source_relid::regclass::text, 'pending_bytes', r.pending)::text);
            sent := sent + 1;
        END IF;
    END LOOP;
    RETURN sent;
END $$;
