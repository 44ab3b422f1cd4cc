-- Status and history (spec/sql-api.md §3): st_refresh_stats, refresh_timeline,
-- get_staleness, st_auto_threshold, explain_refresh_mode, health_check, and the
-- coordinator-liveness helpers the health checks share.
--
-- All SECURITY INVOKER: history rows come through row-level security, so a
-- caller sees counts and error messages of the stream tables she owns only;
-- catalog error text (last_error_message) is shown to owners only, like the
-- history it comes from (docs/SECURITY.md).

-- The caller owns the stream table (is a member of its storage owner's role).
CREATE OR REPLACE FUNCTION pgtrickle._is_owner(st pgtrickle.pgt_stream_tables) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')
                       FROM pg_catalog.pg_class c WHERE c.oid = st.pgt_relid), false)
$$;

-- Coordinator nodes whose heartbeat is recent: 3 × the 5 s heartbeat period,
-- so one late heartbeat under load does not declare a node dead.
CREATE OR REPLACE FUNCTION pgtrickle._live_nodes() RETURNS SETOF pgtrickle.pgt_coord_nodes
LANGUAGE sql STABLE AS $$
    SELECT * FROM pgtrickle.pgt_coord_nodes n WHERE n.heartbeat_at > now() - interval '15 seconds'
$$;

-- A scheduler serves this database: a live node holding its lease, or a
-- session named like pg_trickle's scheduler backend (spec §3 mapping).
CREATE OR REPLACE FUNCTION pgtrickle._scheduler_running() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM pgtrickle._live_nodes() n WHERE n.scheduling)
        OR EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                    WHERE a.datname = current_database()
                      AND (a.application_name = 'pg_trickle scheduler' OR a.backend_type = 'pg_trickle scheduler'))
$$;

-- A duration schedule's seconds, NULL for cron and 'calculated' (NULL).
CREATE OR REPLACE FUNCTION pgtrickle._duration_schedule_seconds(schedule text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN schedule IS NOT NULL AND schedule !~ '\s' AND schedule NOT LIKE '@%'
                THEN pgtrickle.parse_duration_seconds(schedule) END
$$;

CREATE OR REPLACE FUNCTION pgtrickle.st_refresh_stats()
RETURNS TABLE(pgt_name TEXT, pgt_schema TEXT, status TEXT, refresh_mode TEXT, is_populated bool,
              total_refreshes bigint, successful_refreshes bigint, failed_refreshes bigint,
              total_rows_inserted bigint, total_rows_deleted bigint, avg_duration_ms double precision,
              last_refresh_action TEXT, last_refresh_status TEXT, last_refresh_at timestamptz,
              staleness_secs double precision, stale bool, consecutive_errors INT, schedule TEXT,
              refresh_tier TEXT, last_error_message TEXT)
LANGUAGE sql STABLE AS $$
    SELECT s.pgt_name, s.pgt_schema, s.status, s.refresh_mode, s.is_populated,
           COALESCE(h.total, 0), COALESCE(h.ok, 0), COALESCE(h.failed, 0),
           COALESCE(h.ins, 0)::bigint, COALESCE(h.del, 0)::bigint, COALESCE(h.avg_ms, 0),
           last.action, last.status, s.last_refresh_at,
           extract(epoch FROM now() - s.data_timestamp)::double precision,
           COALESCE(extract(epoch FROM now() - s.data_timestamp) > pgtrickle._duration_schedule_seconds(s.schedule), false),
           s.consecutive_errors, s.schedule, s.refresh_tier,
           CASE WHEN pgtrickle._is_owner(s) THEN s.last_error_message END
      FROM pgtrickle.pgt_stream_tables s
      LEFT JOIN LATERAL (
            SELECT count(*) AS total,
                   count(*) FILTER (WHERE r.status = 'COMPLETED') AS ok,
                   count(*) FILTER (WHERE r.status = 'FAILED') AS failed,
                   sum(r.rows_inserted) AS ins, sum(r.rows_deleted) AS del,
                   avg(extract(epoch FROM r.end_time - r.start_time) * 1000) FILTER (WHERE r.end_time IS NOT NULL)::double precision AS avg_ms
              FROM pgtrickle.pgt_refresh_history r WHERE r.pgt_id = s.pgt_id) h ON true
      LEFT JOIN LATERAL (
            SELECT r.action, r.status FROM pgtrickle.pgt_refresh_history r
             WHERE r.pgt_id = s.pgt_id ORDER BY r.refresh_id DESC LIMIT 1) last ON true
     ORDER BY s.pgt_schema, s.pgt_name
$$;

CREATE OR REPLACE FUNCTION pgtrickle.refresh_timeline(max_rows INT DEFAULT 50)
RETURNS TABLE(start_time timestamptz, stream_table TEXT, action TEXT, status TEXT, rows_inserted bigint,
              rows_deleted bigint, duration_ms double precision, error_message TEXT)
LANGUAGE sql STABLE STRICT AS $$
    SELECT h.start_time, pgtrickle._qualified(s), h.action, h.status, h.rows_inserted, h.rows_deleted,
           (extract(epoch FROM h.end_time - h.start_time) * 1000)::double precision, h.error_message
      FROM pgtrickle.pgt_refresh_history h
      JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = h.pgt_id
     ORDER BY h.start_time DESC, h.refresh_id DESC
     LIMIT GREATEST(max_rows, 0)
$$;

CREATE OR REPLACE FUNCTION pgtrickle.get_staleness(name TEXT) RETURNS double precision
LANGUAGE sql STABLE STRICT AS $$
    SELECT CASE WHEN st.is_populated THEN extract(epoch FROM now() - st.data_timestamp)::double precision END
      FROM pgtrickle._find_stream_table(name) st
$$;

CREATE OR REPLACE FUNCTION pgtrickle.st_auto_threshold(name TEXT) RETURNS double precision
LANGUAGE sql STABLE STRICT AS $$
    SELECT COALESCE(st.auto_threshold, pgtrickle._setting('differential_max_change_ratio')::double precision)
      FROM pgtrickle._find_stream_table(name) st
$$;

-- The mode the next refresh uses and why it differs from the configured one.
-- effective_mode: the action of the last refresh (effective_refresh_mode, as
-- the executor records it); before any refresh NULL, or derived from the plan:
-- DIFFERENTIAL needs a compiled plan.
CREATE OR REPLACE FUNCTION pgtrickle.explain_refresh_mode(name TEXT)
RETURNS TABLE(configured_mode TEXT, effective_mode TEXT, downgrade_reason TEXT)
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
    st   pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    plan pgtrickle.pgt_coord_plans;
BEGIN
    SELECT * INTO plan FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = st.pgt_id;
    configured_mode := st.refresh_mode;
    IF st.effective_refresh_mode IS NOT NULL THEN
        effective_mode := st.effective_refresh_mode;
    ELSIF NOT st.is_populated THEN
        effective_mode := NULL;
    ELSIF st.refresh_mode = 'FULL' THEN
        effective_mode := 'FULL';
    ELSIF plan.plan_kind = 'COMPILED' THEN
        effective_mode := 'DIFFERENTIAL';
    ELSE
        effective_mode := 'FULL';
    END IF;
    downgrade_reason := CASE
        WHEN st.refresh_mode = 'IMMEDIATE' THEN
            'IMMEDIATE: every writing statement maintains the table inside its own transaction; the schedule is ignored'
            || CASE WHEN plan.plan_kind = 'COMPILED' THEN '' ELSE ' (by a FULL recompute until a plan is compiled)' END
        WHEN plan.requested_mode = 'AUTO' AND st.refresh_mode = 'FULL' THEN
            'AUTO fell back to FULL: ' || COALESCE(plan.compile_error, 'the compiler cannot maintain this query incrementally')
        WHEN st.refresh_mode = 'DIFFERENTIAL' AND plan.compile_error IS NOT NULL THEN
            'FULL because compiling the DIFFERENTIAL plan failed: ' || plan.compile_error
        WHEN st.refresh_mode = 'DIFFERENTIAL' AND COALESCE(plan.plan_kind, '') <> 'COMPILED' THEN
            'FULL until the coordinator has compiled a DIFFERENTIAL plan'
        WHEN st.refresh_mode = 'DIFFERENTIAL' AND NOT plan.storage_matches_plan THEN
            'the next refresh is FULL (the storage was not yet produced by the compiled plan); DIFFERENTIAL after it'
        WHEN st.refresh_mode = 'DIFFERENTIAL' THEN
            format('DIFFERENTIAL; a refresh falls back to FULL after a TRUNCATE or when more than %s of a source changed',
                   COALESCE(st.auto_threshold::text, pgtrickle._setting('differential_max_change_ratio')))
    END;
    RETURN NEXT;
END $$;

-- Named checks in pg_trickle's order. worker_pool and job_queue only when a
-- coordinator is live (pg_trickle: when parallel_refresh_mode is not off).
CREATE OR REPLACE FUNCTION pgtrickle.health_check() RETURNS TABLE(check_name TEXT, severity TEXT, detail TEXT)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    names text;
    n bigint;
    pool record;
BEGIN
    check_name := 'scheduler_running';
    IF pgtrickle._scheduler_running() THEN
        severity := 'OK';
        SELECT string_agg(node_id, ', ' ORDER BY node_id) INTO names FROM pgtrickle._live_nodes() WHERE scheduling;
        detail := 'scheduler is running' || COALESCE(' (node ' || names || ')', '');
    ELSE
        severity := 'ERROR';
        detail := 'no pgtrickle coordinator is scheduling this database; start one with: pgtrickle start --database <url>';
    END IF;
    RETURN NEXT;

    check_name := 'error_tables';
    SELECT count(*), string_agg(pgtrickle._qualified(s) || ' (' || s.status || ')', ', ' ORDER BY s.pgt_schema, s.pgt_name)
      INTO n, names FROM pgtrickle.pgt_stream_tables s WHERE s.status IN ('ERROR', 'SUSPENDED');
    severity := CASE WHEN n > 0 THEN 'ERROR' ELSE 'OK' END;
    detail := CASE WHEN n > 0 THEN n || ' stream table(s) in ERROR or SUSPENDED: ' || names ELSE 'no stream tables in error' END;
    RETURN NEXT;

    check_name := 'stale_tables';
    SELECT count(*), string_agg(format('%I.%I', i.pgt_schema, i.pgt_name), ', ' ORDER BY i.pgt_schema, i.pgt_name)
      INTO n, names FROM pgtrickle.stream_tables_info i WHERE i.stale;
    severity := CASE WHEN n > 0 THEN 'WARN' ELSE 'OK' END;
    detail := CASE WHEN n > 0 THEN n || ' stream table(s) older than their schedule: ' || names ELSE 'no stale stream tables' END;
    RETURN NEXT;

    check_name := 'needs_reinit';
    SELECT count(*), string_agg(pgtrickle._qualified(s), ', ' ORDER BY s.pgt_schema, s.pgt_name)
      INTO n, names FROM pgtrickle.pgt_stream_tables s WHERE s.needs_reinit;
    severity := CASE WHEN n > 0 THEN 'WARN' ELSE 'OK' END;
    detail := CASE WHEN n > 0 THEN n || ' stream table(s) need a full reinitialization: ' || names ELSE 'none need reinitialization' END;
    RETURN NEXT;

    check_name := 'consecutive_errors';
    SELECT count(*), string_agg(pgtrickle._qualified(s) || ' (' || s.consecutive_errors || ')', ', ' ORDER BY s.pgt_schema, s.pgt_name)
      INTO n, names FROM pgtrickle.pgt_stream_tables s WHERE s.consecutive_errors > 0 AND s.status NOT IN ('ERROR', 'SUSPENDED');
    severity := CASE WHEN n > 0 THEN 'WARN' ELSE 'OK' END;
    detail := CASE WHEN n > 0 THEN n || ' stream table(s) failing and retrying: ' || names ELSE 'no retrying stream tables' END;
    RETURN NEXT;

    check_name := 'buffer_growth';
    SELECT count(*), string_agg(DISTINCT b.source_table, ', ') INTO n, names
      FROM pgtrickle.change_buffer_sizes() b WHERE b.pending_rows > 10000;
    severity := CASE WHEN n > 0 THEN 'WARN' ELSE 'OK' END;
    detail := CASE WHEN n > 0 THEN 'change buffers with more than 10000 pending rows: ' || names ELSE 'change buffers are small' END;
    RETURN NEXT;

    check_name := 'slot_lag';
    severity := 'OK';
    detail := 'no replication slots: changes are captured by statement triggers';
    RETURN NEXT;

    IF EXISTS (SELECT 1 FROM pgtrickle._live_nodes()) THEN
        SELECT * INTO pool FROM pgtrickle.worker_pool_status();
        check_name := 'worker_pool';
        severity := CASE WHEN pool.active_workers >= pool.max_workers THEN 'WARN' ELSE 'OK' END;
        detail := format('%s of %s refresh workers busy', pool.active_workers, pool.max_workers);
        RETURN NEXT;
        check_name := 'job_queue';
        SELECT count(*) INTO n FROM pgtrickle.parallel_job_status(0) j WHERE j.status = 'QUEUED';
        severity := CASE WHEN n > 10 THEN 'WARN' ELSE 'OK' END;
        detail := n || ' queued refresh job(s)';
        RETURN NEXT;
    END IF;
END $$;
