-- The refresh executor (DESIGN D3): the one algorithm behind refresh_stream_table(),
--
-- the coordinator's scheduler, the CLI and IMMEDIATE mode.

-- Permanent vs retryable by SQLSTATE class, not by message text (locale-proof):
-- serialization/deadlock (40), lock not available (55P03), admin shutdown and
-- cancel (57), connection (08) and resource exhaustion (53) are retryable.
CREATE OR REPLACE FUNCTION pgtrickle._is_retryable(sqlstate text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT left(sqlstate, 2) IN ('40', '08', '53', '57') OR sqlstate = '55P03'
$$;

-- The plan-less FULL statement: replace contents and advance the frontier in
-- one statement. Mirrors fullRefreshStatement() in src/refresh/statements.ts.
CREATE OR REPLACE FUNCTION pgtrickle._generic_full_sql(pgt_id bigint, target regclass, defining_query text) RETURNS text
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

-- One refresh of one stream table. Callers hold the stream table's advisory
-- lock and its catalog row lock. Returns (action, rows_inserted, rows_deleted,
-- delta_row_count, was_full_fallback).
CREATE OR REPLACE FUNCTION pgtrickle._refresh_apply(st pgtrickle.pgt_stream_tables,
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
        RAISE EXCEPTION 'internal error: stream table % has no refresh plan', pgtrickle._qualified(st)
            USING ERRCODE = 'XX000';
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
        threshold := COALESCE(st.auto_threshold, pgtrickle._setting('differential_max_change_ratio')::double precision);
        IF pending.has_truncate OR pending.max_ratio > threshold THEN
            was_full_fallback := true;   -- TRUNCATE, or so many changes that recomputing is cheaper
        ELSE
            SELECT jsonb_object_agg(f.source_relid::text, f.frontier::text) INTO old_frontiers
              FROM pgtrickle.pgt_coord_frontiers f WHERE f.pgt_id = st.pgt_id;
            BEGIN
                PERFORM pgtrickle._run_as_owner(st, plan.differential_sql, false);
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

    SELECT r.rows_inserted, r.rows_deleted, r.frontiers_advanced INTO rows_inserted, rows_deleted, frontiers_advanced
      FROM pgtrickle._run_as_owner(st, plan.full_sql, true) AS r;
    UPDATE pgtrickle.pgt_coord_plans p SET storage_matches_plan = true WHERE p.pgt_id = st.pgt_id;
    action := CASE WHEN st.needs_reinit THEN 'REINITIALIZE' ELSE 'FULL' END;
END $$;

-- The owner's runner: pgtrickle_changes.pgt_run_as_<role oid>(statement,
-- with_counts) executes a refresh plan with the privileges of the stream
-- table's owner (DESIGN D13), as REFRESH MATERIALIZED VIEW does. PostgreSQL
-- forbids SET ROLE inside SECURITY DEFINER functions, and a SET ROLE by the
-- coordinator could be undone by the user's own code (RESET ROLE); a SECURITY
-- DEFINER function owned by the user is neither: the user's code runs as the
-- user and cannot change role inside it. One runner per owner role, created
-- on demand by the catalog owner, EXECUTE for nobody else. Its owner cannot
-- change its body (no CREATE on pgtrickle_changes) but could make it SECURITY
-- INVOKER, so the body checks that it runs as its owner.
-- rewrite: the regenerate step replaces existing runners with this release's.
CREATE OR REPLACE FUNCTION pgtrickle._ensure_runner(owner oid, rewrite boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    runner text := format('pgtrickle_changes.%I', 'pgt_run_as_' || owner);
BEGIN
    IF to_regprocedure(runner || '(text, boolean)') IS NOT NULL THEN
        IF NOT rewrite THEN
            RETURN runner;
        END IF;
        EXECUTE format('DROP FUNCTION %s(text, boolean)', runner);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s JOIN pg_class c ON c.oid = s.pgt_relid WHERE c.relowner = owner) THEN
        RAISE EXCEPTION 'internal error: role % owns no stream table', owner USING ERRCODE = 'XX000';
    END IF;
    EXECUTE format($f$CREATE FUNCTION %s(statement text, with_counts boolean,
    OUT rows_inserted bigint, OUT rows_deleted bigint, OUT frontiers_advanced bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $r$
BEGIN
    IF pg_catalog.to_regrole(current_user)::oid OPERATOR(pg_catalog.<>) %s::oid THEN
        RAISE EXCEPTION 'pgtrickle runner %s must run as its owner (SECURITY DEFINER)' USING ERRCODE = '42501';
    END IF;
    -- Lifts the storage tables' DML guard for this statement only (set and
    -- restored here, not by a function SET clause: a non-superuser catalog
    -- owner may not put a placeholder setting in one; an error rolls the
    -- setting back with the statement).
    PERFORM pg_catalog.set_config('pg_trickle.internal_refresh', 'true', true);
    IF with_counts THEN
        EXECUTE statement INTO rows_inserted, rows_deleted, frontiers_advanced;
    ELSE
        EXECUTE statement;
    END IF;
    PERFORM pg_catalog.set_config('pg_trickle.internal_refresh', 'false', true);
END $r$ $f$, runner, owner, owner);
    EXECUTE format('REVOKE ALL ON FUNCTION %s(text, boolean) FROM PUBLIC', runner);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s(text, boolean) TO %I', runner, current_user);
    EXECUTE format('ALTER FUNCTION %s(text, boolean) OWNER TO %s', runner, owner::regrole);
    RETURN runner;
END $$;

-- Runs a plan statement of `st` as its owner (the owner of its storage table).
CREATE OR REPLACE FUNCTION pgtrickle._run_as_owner(st pgtrickle.pgt_stream_tables, statement text, with_counts boolean,
    OUT rows_inserted bigint, OUT rows_deleted bigint, OUT frontiers_advanced bigint)
LANGUAGE plpgsql AS $$
DECLARE
    runner text := pgtrickle._ensure_runner((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = st.pgt_relid));
BEGIN
    EXECUTE format('SELECT * FROM %s($1, $2)', runner) INTO rows_inserted, rows_deleted, frontiers_advanced
      USING statement, with_counts;
END $$;

-- IMMEDIATE stream tables downstream of a refreshed one follow it in the same
-- transaction, whoever refreshed it: SECURITY DEFINER, so their bookkeeping is
-- the catalog owner's and their plans run as their own owners. Refreshing a
-- stream table is harmless by design (DESIGN D3), so anyone may cause one.
CREATE OR REPLACE FUNCTION pgtrickle._refresh_immediate(pgt_id bigint) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
BEGIN
    RETURN pgtrickle._refresh(pgt_id, 'IMMEDIATE');
END $$;

CREATE OR REPLACE FUNCTION pgtrickle._refresh_lock_key() RETURNS int
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
-- and no JIT. Row-level security of the sources applies as it does to any
-- query of the stream table's owner (the plans run as the owner).
--
-- Who runs it: the coordinator (the catalog owner), or the stream table's
-- owner (refresh_stream_table, creation). Either way the bookkeeping below is
-- done with the caller's rights (row-level security lets an owner write only
-- her own catalog rows) and the plan — the only place the user's query runs —
-- with the owner's, through _run_as_owner.
CREATE OR REPLACE FUNCTION pgtrickle._refresh(pgt_id bigint, initiated_by text) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pgtrickle
SET "TimeZone" = 'UTC'
SET "DateStyle" = 'ISO, MDY'
SET "IntervalStyle" = 'postgres'
SET extra_float_digits = 1
-- Change buffers are never analysed, so a tiny delta can be estimated at
-- millions of rows and JIT-compiled for a second or two (oracle: 2.1 s → 7 ms).
SET jit = off
AS $$
DECLARE
    st        pgtrickle.pgt_stream_tables;
    started   timestamptz := clock_timestamp();
    result    record;
    state     text;
    msg       text;
    retryable boolean;
    duration_ms double precision;
BEGIN
    IF pg_is_in_recovery() THEN
        RAISE EXCEPTION 'Cannot refresh stream tables on a read replica'
            USING ERRCODE = '25006', HINT = 'Run refreshes against the primary.';
    END IF;
    IF initiated_by = 'SCHEDULER' THEN
        IF NOT pg_try_advisory_xact_lock(pgtrickle._refresh_lock_key(), pgt_id::int) THEN
            RETURN 'SKIPPED';
        END IF;
    ELSE
        IF initiated_by = 'MANUAL' THEN
            PERFORM pgtrickle._lock_ivm_sources(pgt_id, 'ACCESS SHARE');  -- its lock order
        END IF;
        PERFORM pg_advisory_xact_lock(pgtrickle._refresh_lock_key(), pgt_id::int);
    END IF;
    SELECT * INTO st FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _refresh.pgt_id FOR UPDATE;
    IF NOT FOUND THEN
        IF initiated_by = 'SCHEDULER' THEN
            RETURN 'SKIPPED';   -- dropped since the scheduler looked
        END IF;
        RAISE EXCEPTION 'stream table not found: pgt_id %', pgt_id
            USING ERRCODE = '42704', HINT = 'It was dropped; list stream tables with: SELECT * FROM pgtrickle.pgt_status();';
    END IF;
    IF st.status IN ('SUSPENDED', 'ERROR') AND initiated_by <> 'INITIAL' THEN
        IF initiated_by IN ('SCHEDULER', 'IMMEDIATE') THEN
            RETURN 'SKIPPED';
        END IF;
        RAISE EXCEPTION 'stream table % is %; use pgtrickle.resume_stream_table(%) first',
            pgtrickle._qualified(st), CASE st.status WHEN 'ERROR' THEN 'in error state' ELSE 'suspended' END,
            quote_literal(pgtrickle._qualified(st))
            USING ERRCODE = '55000', DETAIL = COALESCE('Last error: ' || st.last_error_message, 'No error message was recorded.'),
                  HINT = format('Fix the cause, then run: SELECT pgtrickle.resume_stream_table(%L);', pgtrickle._qualified(st));
    END IF;

    -- Source gates, watermark groups and the fuse hold back scheduler refreshes
    -- only (23_gates_watermarks.sql, 22_fuse.sql); the skip is recorded there.
    IF initiated_by = 'SCHEDULER' AND pgtrickle._scheduler_skip(st) THEN
        RETURN 'SKIPPED';
    END IF;

    IF initiated_by = 'SCHEDULER' THEN
        BEGIN
            result := pgtrickle._refresh_apply(st);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            retryable := pgtrickle._is_retryable(state);
            st := pgtrickle._transition(st.pgt_id, 'refresh_failed', jsonb_build_object('sqlstate', state, 'message', msg));
            UPDATE pgtrickle.pgt_stream_tables s SET last_refresh_at = clock_timestamp()
             WHERE s.pgt_id = st.pgt_id
            RETURNING * INTO st;
            INSERT INTO pgtrickle.pgt_refresh_history
                (pgt_id, data_timestamp, start_time, end_time, action, status, error_message, initiated_by)
            VALUES (st.pgt_id, COALESCE(st.data_timestamp, started), started, clock_timestamp(),
                    CASE WHEN st.refresh_mode = 'FULL' THEN 'FULL' ELSE 'DIFFERENTIAL' END,
                    'FAILED', format('%s (SQLSTATE %s)', msg, state), 'SCHEDULER');
            PERFORM pgtrickle._alert('refresh_failed', st, jsonb_build_object(
                'action', CASE WHEN st.refresh_mode = 'FULL' THEN 'FULL' ELSE 'DIFFERENTIAL' END,
                'sqlstate', state, 'retryable', retryable));
            IF st.status = 'SUSPENDED' THEN
                PERFORM pgtrickle._alert('auto_suspended', st, jsonb_build_object('consecutive_errors', st.consecutive_errors));
            ELSIF st.status = 'ERROR' THEN
                PERFORM pgtrickle._alert('error_state', st, jsonb_build_object('sqlstate', state));
            END IF;
            RETURN 'FAILED';
        END;
    ELSE
        result := pgtrickle._refresh_apply(st);
    END IF;

    -- Also after NO_DATA: advancing this frontier may be what lets the oldest rows go.
    PERFORM pgtrickle._cleanup_buffers(st.pgt_id);
    -- Only when the state changes: the common refresh of an ACTIVE table
    -- without errors costs no extra statement.
    IF st.status <> 'ACTIVE' OR st.consecutive_errors > 0 OR st.needs_reinit OR st.last_error_message IS NOT NULL THEN
        PERFORM pgtrickle._transition(st.pgt_id, 'refreshed');
    END IF;
    duration_ms := extract(epoch FROM clock_timestamp() - started) * 1000;
    -- last_refresh_at is when this refresh started: schedules count from there,
    -- so a 1 s table dispatched to another node still refreshes every second.
    UPDATE pgtrickle.pgt_stream_tables s
       SET last_refresh_at = started,
           data_timestamp = clock_timestamp(),
           is_populated = true,
           effective_refresh_mode = CASE WHEN result.action = 'REINITIALIZE' THEN 'FULL' ELSE result.action END,
           last_full_ms = CASE WHEN result.action IN ('FULL', 'REINITIALIZE') THEN duration_ms ELSE s.last_full_ms END,
           frontier = pgtrickle._frontier_json(s.pgt_id),
           updated_at = now()
     WHERE s.pgt_id = st.pgt_id
    RETURNING * INTO st;

    -- IMMEDIATE stream tables reading this one follow it now, in the same
    -- transaction, after every change of this refresh has been captured.
    IF result.action <> 'NO_DATA' THEN
        PERFORM pgtrickle._refresh_immediate(d.pgt_id)
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
        PERFORM pgtrickle._falling_behind_check(st, duration_ms);   -- 25_falling_behind.sql
    END IF;
    RETURN result.action;
END $$;
