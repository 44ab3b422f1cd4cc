-- Introspection (spec/sql-api.md §3, §7): status, history, views, explain_st.
--
--

CREATE OR REPLACE FUNCTION pgtrickle.pgt_status()
RETURNS TABLE(name TEXT, status TEXT, refresh_mode TEXT, is_populated bool, consecutive_errors INT,
              schedule TEXT, data_timestamp timestamptz, staleness interval, scc_id INT)
LANGUAGE sql STABLE AS $$
    SELECT pgtrickle._qualified(s), s.status, s.refresh_mode, s.is_populated, s.consecutive_errors,
           s.schedule, s.data_timestamp, now() - s.data_timestamp, s.scc_id
      FROM pgtrickle.pgt_stream_tables s
     ORDER BY s.pgt_schema, s.pgt_name
$$;

CREATE OR REPLACE FUNCTION pgtrickle.get_refresh_history(name TEXT, max_rows INT DEFAULT 20)
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

CREATE OR REPLACE VIEW pgtrickle.stream_tables_info AS
SELECT st.*,
       now() - st.last_refresh_at AS staleness,
       CASE WHEN st.schedule IS NOT NULL AND st.schedule !~ '\s' AND st.schedule NOT LIKE '@%'
            THEN extract(epoch FROM now() - st.last_refresh_at) > pgtrickle.parse_duration_seconds(st.schedule)
       END AS stale,
       st.topk_limit IS NOT NULL AS is_topk
  FROM pgtrickle.pgt_stream_tables st;

CREATE OR REPLACE VIEW pgtrickle.pg_stat_stream_tables AS
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

CREATE OR REPLACE VIEW pgtrickle.quick_health AS
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
CREATE OR REPLACE FUNCTION pgtrickle.explain_st(name TEXT) RETURNS TABLE(property TEXT, value TEXT)
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
    st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    plan pgtrickle.pgt_coord_plans;
BEGIN
    SELECT * INTO plan FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = st.pgt_id;
    RETURN QUERY VALUES
        ('pgt_name', pgtrickle._qualified(st)),
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
                                       || COALESCE(st.auto_threshold::text, pgtrickle._setting('differential_max_change_ratio'))
                                       || ' of a source changed or after a TRUNCATE'
                                  WHEN st.refresh_mode = 'DIFFERENTIAL' AND plan.compile_error IS NULL
                                  THEN 'FULL until the coordinator has compiled a DIFFERENTIAL plan'
                                  ELSE 'FULL' END),
        ('operator_tree', plan.operator_tree),
        ('hidden_columns', (plan.plan -> 'hiddenColumns')::text),
        ('delta_query', plan.differential_sql),
        ('full_query', plan.full_sql),
        ('dvm_error', plan.compile_error),
        ('frontier', st.frontier::text),
        -- pg_trickle's rows (spec §5.1) that the rows above do not already give
        ('output_columns', (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_attribute a
                             WHERE a.attrelid = st.pgt_relid AND a.attnum > 0 AND NOT a.attisdropped AND a.attname NOT LIKE '\_\_pgt\_%')),
        ('source_oids', (SELECT string_agg(d.source_relid::text, ', ' ORDER BY d.source_relid) FROM pgtrickle.pgt_dependencies d
                          WHERE d.pgt_id = st.pgt_id)),
        ('amplification_stats', (SELECT jsonb_build_object('samples', count(*), 'min', min(r), 'max', max(r), 'avg', round(avg(r)::numeric, 3),
                                                           'latest', (array_agg(r ORDER BY id DESC))[1],
                                                           'threshold', COALESCE(st.auto_threshold::text, pgtrickle._setting('differential_max_change_ratio')))::text
                                   FROM (SELECT h.refresh_id AS id, (h.rows_inserted + h.rows_deleted)::float8 / h.delta_row_count AS r
                                           FROM pgtrickle.pgt_refresh_history h
                                          WHERE h.pgt_id = st.pgt_id AND h.action = 'DIFFERENTIAL' AND h.delta_row_count > 0
                                          ORDER BY h.refresh_id DESC LIMIT 20) x HAVING count(*) > 0));
EXCEPTION WHEN OTHERS THEN
    -- pg_trickle returns a failure as one row instead of raising; an unknown
    -- name still raises (42704), so callers can tell the two apart
    IF SQLSTATE = '42704' THEN
        RAISE;
    END IF;
    RETURN QUERY VALUES ('error'::text, SQLERRM);
END $$;
