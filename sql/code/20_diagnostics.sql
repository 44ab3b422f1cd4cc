-- Diagnostics (spec/sql-api.md §5): explain_delta, diagnose_errors,
-- list_auxiliary_columns, recommend_refresh_mode (DIAG-1), refresh_efficiency,
-- and the SQL-checkable part of validate_query / explain_query_rewrite.
--
-- History-based answers come through row-level security: a caller sees the
-- history (and so the signals and errors) of the stream tables she owns.

-- EXPLAIN (no ANALYZE: nothing runs) of the statement the next incremental
-- refresh executes — the compiled delta + MERGE over the whole pending change
-- window — or, for a table without a compiled plan, its FULL statement.
-- VOLATILE only because PostgreSQL treats EXPLAIN as a writing command.
CREATE OR REPLACE FUNCTION pgtrickle.explain_delta(name TEXT, format TEXT DEFAULT 'text') RETURNS SETOF TEXT
LANGUAGE plpgsql STRICT AS $$
DECLARE
    st   pgtrickle.pgt_stream_tables;
    plan pgtrickle.pgt_coord_plans;
    fmt  text := lower(btrim(format));
    line text;
    doc  text;
BEGIN
    IF fmt NOT IN ('text', 'json', 'xml', 'yaml') THEN
        RAISE EXCEPTION 'invalid argument: unsupported EXPLAIN format ''%''; expected ''text'', ''json'', ''xml'', or ''yaml''', format
            USING ERRCODE = '22023', HINT = 'Use one of text, json, xml, yaml.';
    END IF;
    st := pgtrickle._find_stream_table(name);
    SELECT * INTO plan FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = st.pgt_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'internal error: stream table % has no refresh plan', pgtrickle._qualified(st) USING ERRCODE = 'XX000';
    END IF;
    IF fmt IN ('json', 'xml') THEN
        FOR doc IN EXECUTE 'EXPLAIN (FORMAT ' || fmt || ') ' || COALESCE(plan.differential_sql, plan.full_sql) LOOP
            RETURN NEXT doc;
        END LOOP;
        RETURN;
    END IF;
    FOR doc IN EXECUTE 'EXPLAIN (FORMAT ' || fmt || ') ' || COALESCE(plan.differential_sql, plan.full_sql) LOOP
        FOREACH line IN ARRAY string_to_array(doc, E'\n') LOOP
            RETURN NEXT line;
        END LOOP;
    END LOOP;
END $$;

-- First match wins, in pg_trickle's order.
CREATE OR REPLACE FUNCTION pgtrickle._error_type(message text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN m ~ '(unsupported operator|query parse error|type mismatch|invalid argument|syntax error|unsupported construct)' THEN 'user'
        WHEN m ~ '(schema changed|upstream table dropped|upstream table schema)' THEN 'schema'
        WHEN m ~ '(phantom|except all|row count mismatch|multiplicity|correctness)' THEN 'correctness'
        WHEN m ~ '(lock timeout|deadlock|serialization failure|could not serialize|spill|temp file|out of memory)' THEN 'performance'
        ELSE 'infrastructure' END
      FROM (SELECT lower(COALESCE(message, '')) AS m) x
$$;

CREATE OR REPLACE FUNCTION pgtrickle.diagnose_errors(name TEXT)
RETURNS TABLE(event_time timestamptz, error_type TEXT, error_message TEXT, remediation TEXT)
LANGUAGE sql STABLE STRICT AS $$
    SELECT h.start_time, t.kind, h.error_message,
           CASE t.kind
             WHEN 'user' THEN format('Fix the defining query or choose another mode: SELECT pgtrickle.alter_stream_table(%L, query => …) or refresh_mode => ''FULL''; then resume_stream_table.', pgtrickle._qualified(s))
             WHEN 'schema' THEN format('A source changed or was dropped: restore it, or redefine with alter_stream_table(%L, query => …), then SELECT pgtrickle.resume_stream_table(%L);', pgtrickle._qualified(s), pgtrickle._qualified(s))
             WHEN 'correctness' THEN format('The incremental result diverged: SELECT pgtrickle.alter_stream_table(%L, refresh_mode => ''FULL''); and report the query.', pgtrickle._qualified(s))
             WHEN 'performance' THEN 'The refresh competed for locks or memory: schedule it less often, raise lock_timeout/work_mem for the coordinator, or lower pg_trickle.differential_max_change_ratio so large changes use FULL.'
             ELSE 'Check the coordinator''s log, its connection and its privileges on the sources; then SELECT pgtrickle.resume_stream_table(' || quote_literal(pgtrickle._qualified(s)) || ');'
           END
      FROM pgtrickle._find_stream_table(name) s
      JOIN pgtrickle.pgt_refresh_history h ON h.pgt_id = s.pgt_id AND h.status = 'FAILED'
     CROSS JOIN LATERAL (SELECT pgtrickle._error_type(h.error_message) AS kind) t
     ORDER BY h.refresh_id DESC
     LIMIT 5
$$;

CREATE OR REPLACE FUNCTION pgtrickle.list_auxiliary_columns(name TEXT)
RETURNS TABLE(column_name TEXT, data_type TEXT, purpose TEXT)
LANGUAGE sql STABLE STRICT AS $$
    SELECT a.attname::text, format_type(a.atttypid, a.atttypmod),
           CASE WHEN a.attname = '__pgt_row_id' THEN 'row identity: hash of the group key or source key; the MERGE key of every refresh'
                WHEN a.attname = '__pgt_count' THEN 'multiplicity: how many source rows (or join combinations) produce this row; deleted at 0'
                WHEN a.attname = '__pgt_count_l' THEN 'multiplicity of the left input (set operations)'
                WHEN a.attname = '__pgt_count_r' THEN 'multiplicity of the right input (set operations)'
                WHEN a.attname LIKE '\_\_pgt\_aux\_sum2\_%' THEN 'running sum of squares (variance, stddev)'
                WHEN a.attname LIKE '\_\_pgt\_aux\_sumxy\_%' THEN 'running sum of x*y (covariance, regression)'
                WHEN a.attname LIKE '\_\_pgt\_aux\_sumx2\_%' THEN 'running sum of x squared (regression)'
                WHEN a.attname LIKE '\_\_pgt\_aux\_sumy2\_%' THEN 'running sum of y squared (correlation)'
                WHEN a.attname LIKE '\_\_pgt\_aux\_sumx\_%' THEN 'running sum of x (regression)'
                WHEN a.attname LIKE '\_\_pgt\_aux\_sumy\_%' THEN 'running sum of y (regression)'
                WHEN a.attname LIKE '\_\_pgt\_aux\_sum\_%' THEN 'running sum of the aggregate''s argument (SUM, AVG)'
                WHEN a.attname LIKE '\_\_pgt\_aux\_count\_%' THEN 'count of non-NULL arguments (SUM is NULL at 0, AVG divides by it)'
                WHEN a.attname LIKE '\_\_pgt\_aux\_nonnull\_%' THEN 'count of non-NULL values'
                ELSE 'internal state kept by the incremental refresh' END
      FROM pgtrickle._find_stream_table(name) s
      JOIN pg_catalog.pg_attribute a ON a.attrelid = s.pgt_relid
     WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attname LIKE '\_\_pgt\_%'
     ORDER BY a.attnum
$$;

-- change ratio score bands of DIAG-1 (change_ratio_current and _avg)
CREATE OR REPLACE FUNCTION pgtrickle._ratio_score(ratio double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ratio IS NULL THEN NULL WHEN ratio < 0.05 THEN 1.0 WHEN ratio < 0.15 THEN 0.5 WHEN ratio < 0.30 THEN -0.3
                WHEN ratio < 0.50 THEN -0.7 ELSE -1.0 END
$$;

-- avg (ins+del)/delta_row_count over the last 100 completed refreshes with a delta
CREATE OR REPLACE FUNCTION pgtrickle._avg_change_ratio(pgt_id bigint) RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT avg((COALESCE(h.rows_inserted, 0) + COALESCE(h.rows_deleted, 0))::double precision / h.delta_row_count)
      FROM (SELECT * FROM pgtrickle.pgt_refresh_history r
             WHERE r.pgt_id = _avg_change_ratio.pgt_id AND r.status = 'COMPLETED' AND r.delta_row_count > 0
             ORDER BY r.refresh_id DESC LIMIT 100) h
$$;

CREATE OR REPLACE FUNCTION pgtrickle._avg_ms(pgt_id bigint, action text) RETURNS TABLE(avg_ms double precision, n bigint)
LANGUAGE sql STABLE AS $$
    SELECT avg(extract(epoch FROM h.end_time - h.start_time) * 1000)::double precision, count(*)
      FROM (SELECT * FROM pgtrickle.pgt_refresh_history r
             WHERE r.pgt_id = _avg_ms.pgt_id AND r.status = 'COMPLETED' AND r.action = _avg_ms.action AND r.end_time IS NOT NULL
             ORDER BY r.refresh_id DESC LIMIT 100) h
$$;

-- DIAG-1: seven weighted signals, composite in [-1, 1], dead zone ±0.15.
CREATE OR REPLACE FUNCTION pgtrickle.recommend_refresh_mode(st_name TEXT DEFAULT NULL)
RETURNS TABLE(pgt_schema TEXT, pgt_name TEXT, current_mode TEXT, effective_mode TEXT, recommended_mode TEXT,
              confidence TEXT, reason TEXT, signals jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    st record;
    sig jsonb;          -- [{name, score, weight, base, detail}]
    buf_rows double precision; src_rows double precision;
    completed bigint;
    ratio_avg double precision;
    diff record; full_ record;
    p50 double precision; p95 double precision;
    complexity int; joins int;
    size_bytes bigint;
    covering boolean;
    wsum double precision; composite double precision; decision text;
    base_total constant double precision := 1.20;
BEGIN
    FOR st IN SELECT s.* FROM pgtrickle.pgt_stream_tables s
               WHERE st_name IS NULL OR s.pgt_id = (pgtrickle._find_stream_table(st_name)).pgt_id
               ORDER BY s.pgt_schema, s.pgt_name LOOP
        sig := '[]';
        -- 1. change_ratio_current
        SELECT sum(COALESCE(pgtrickle._buffer_row_count(d.source_relid), 0)), sum(GREATEST(c.reltuples, 1))
          INTO buf_rows, src_rows
          FROM pgtrickle.pgt_dependencies d JOIN pg_class c ON c.oid = d.source_relid
         WHERE d.pgt_id = st.pgt_id AND d.source_type IN ('TABLE', 'FOREIGN_TABLE');
        sig := sig || jsonb_build_object('name', 'change_ratio_current', 'base', 0.25,
            'weight', CASE WHEN src_rows IS NULL THEN 0 ELSE 0.25 END,
            'score', COALESCE(pgtrickle._ratio_score(buf_rows / src_rows), 0),
            'detail', format('%s pending changes over %s source rows (ratio %s)', buf_rows, src_rows, round((buf_rows / src_rows)::numeric, 3)));
        -- 2. change_ratio_avg
        SELECT count(*) INTO completed FROM pgtrickle.pgt_refresh_history h WHERE h.pgt_id = st.pgt_id AND h.status = 'COMPLETED';
        ratio_avg := pgtrickle._avg_change_ratio(st.pgt_id);
        sig := sig || jsonb_build_object('name', 'change_ratio_avg', 'base', 0.30,
            'weight', CASE WHEN ratio_avg IS NULL THEN 0 WHEN completed < 10 THEN 0.10 ELSE 0.30 END,
            'score', COALESCE(pgtrickle._ratio_score(ratio_avg), 0),
            'detail', format('average change ratio %s over recent refreshes', round(ratio_avg::numeric, 3)));
        -- 3. empirical_timing
        SELECT * INTO diff FROM pgtrickle._avg_ms(st.pgt_id, 'DIFFERENTIAL');
        SELECT * INTO full_ FROM pgtrickle._avg_ms(st.pgt_id, 'FULL');
        sig := sig || jsonb_build_object('name', 'empirical_timing', 'base', 0.35,
            'weight', CASE WHEN diff.n < 5 OR full_.n < 5 OR full_.avg_ms <= 0 THEN 0 ELSE 0.35 END,
            'score', CASE WHEN diff.n < 5 OR full_.n < 5 OR full_.avg_ms <= 0 THEN 0
                          ELSE (SELECT CASE WHEN r < 0.3 THEN 1.0 WHEN r < 0.7 THEN 0.5 WHEN r < 1.0 THEN 0.2 WHEN r < 1.5 THEN -0.5 ELSE -1.0 END
                                  FROM (SELECT diff.avg_ms / full_.avg_ms AS r) x) END,
            'detail', format('DIFFERENTIAL averages %s ms vs FULL %s ms', round(diff.avg_ms::numeric, 1), round(full_.avg_ms::numeric, 1)));
        -- 4. query_complexity: joins + aggregation + subqueries + window, from the query text
        joins := (SELECT count(*) FROM regexp_matches(st.defining_query, '\mJOIN\M', 'gi'));
        complexity := joins
            + CASE WHEN st.defining_query ~* '\mGROUP\s+BY\M|\m(sum|count|avg|min|max)\s*\(' THEN 1 ELSE 0 END
            + (SELECT count(*) FROM regexp_matches(st.defining_query, '\(\s*SELECT\M', 'gi'))::int
            + CASE WHEN st.defining_query ~* '\mOVER\s*\(' THEN 1 ELSE 0 END;
        sig := sig || jsonb_build_object('name', 'query_complexity', 'base', 0.10, 'weight', 0.10,
            'score', CASE WHEN complexity = 0 THEN 0.3 WHEN complexity <= 2 THEN 0.1 WHEN complexity <= 4 THEN -0.2 ELSE -0.5 END,
            'detail', format('query complexity %s (%s joins)', complexity, joins));
        -- 5. target_size
        size_bytes := CASE WHEN to_regclass(st.pgt_relid::regclass::text) IS NOT NULL
                           THEN pg_relation_size(st.pgt_relid) + pg_indexes_size(st.pgt_relid) END;
        sig := sig || jsonb_build_object('name', 'target_size', 'base', 0.10,
            'weight', CASE WHEN size_bytes IS NULL THEN 0 ELSE 0.10 END,
            'score', CASE WHEN size_bytes IS NULL THEN 0 WHEN size_bytes < 1048576 THEN -0.3 WHEN size_bytes < 104857600 THEN 0.1
                          WHEN size_bytes < 1073741824 THEN 0.5 ELSE 0.8 END,
            'detail', format('stream table is %s', pg_size_pretty(size_bytes)));
        -- 6. index_coverage
        covering := EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                             WHERE i.indrelid = st.pgt_relid AND a.attname = '__pgt_row_id');
        sig := sig || jsonb_build_object('name', 'index_coverage', 'base', 0.05, 'weight', 0.05,
            'score', CASE WHEN covering THEN 0.2 ELSE -0.2 END,
            'detail', CASE WHEN covering THEN 'an index covers __pgt_row_id' ELSE 'no index covers __pgt_row_id' END);
        -- 7. latency_variance
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)
          INTO p50, p95
          FROM (SELECT extract(epoch FROM h.end_time - h.start_time) * 1000 AS ms FROM pgtrickle.pgt_refresh_history h
                 WHERE h.pgt_id = st.pgt_id AND h.status = 'COMPLETED' AND h.action = 'DIFFERENTIAL' AND h.end_time IS NOT NULL
                 ORDER BY h.refresh_id DESC LIMIT 100) x;
        sig := sig || jsonb_build_object('name', 'latency_variance', 'base', 0.05,
            'weight', CASE WHEN diff.n < 20 OR p50 IS NULL OR p50 <= 0 THEN 0 ELSE 0.05 END,
            'score', CASE WHEN diff.n < 20 OR p50 IS NULL OR p50 <= 0 THEN 0 WHEN p95 / p50 < 2 THEN 0.2 WHEN p95 / p50 < 5 THEN 0 ELSE -0.3 END,
            'detail', format('DIFFERENTIAL P95/P50 = %s', round((p95 / NULLIF(p50, 0))::numeric, 2)));

        SELECT sum((e ->> 'weight')::float8) INTO wsum FROM jsonb_array_elements(sig) e;
        composite := CASE WHEN wsum > 0
                          THEN (SELECT sum((e ->> 'score')::float8 * (e ->> 'weight')::float8) FROM jsonb_array_elements(sig) e) / wsum
                          ELSE 0 END;
        pgt_schema := st.pgt_schema;
        pgt_name := st.pgt_name;
        current_mode := st.refresh_mode;
        SELECT h.action INTO effective_mode FROM pgtrickle.pgt_refresh_history h
         WHERE h.pgt_id = st.pgt_id AND h.status = 'COMPLETED' ORDER BY h.refresh_id DESC LIMIT 1;
        IF NOT FOUND THEN effective_mode := NULL; END IF;
        confidence := CASE WHEN wsum >= 0.80 * base_total THEN 'high'
                           WHEN wsum >= 0.50 * base_total THEN 'medium'
                           WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(sig) e
                                         WHERE (e ->> 'base')::float8 >= 0.25 AND (e ->> 'weight')::float8 > 0
                                           AND abs((e ->> 'score')::float8) >= 0.8) THEN 'medium'
                           ELSE 'low' END;
        decision := CASE WHEN composite > 0.15 THEN 'DIFFERENTIAL' WHEN composite < -0.15 THEN 'FULL' ELSE 'KEEP' END;
        recommended_mode := CASE WHEN decision = effective_mode THEN 'KEEP' ELSE decision END;
        reason := CASE WHEN wsum > 0 THEN
            (SELECT string_agg(x.d, '; ' ORDER BY x.rank) FROM (
                SELECT (e ->> 'name') || ': ' || (e ->> 'detail') AS d,
                       row_number() OVER (ORDER BY abs((e ->> 'score')::float8 * (e ->> 'weight')::float8) DESC, o) AS rank
                  FROM jsonb_array_elements(sig) WITH ORDINALITY AS t(e, o) WHERE (e ->> 'weight')::float8 > 0) x
              WHERE x.rank <= 2)
            ELSE 'no diagnostic data available' END;
        signals := jsonb_build_object(
            'change_ratio_current', CASE WHEN src_rows > 0 THEN buf_rows / src_rows END,
            'change_ratio_avg', ratio_avg,
            'diff_avg_ms', diff.avg_ms, 'full_avg_ms', full_.avg_ms, 'diff_p95_ms', p95,
            'target_size_bytes', size_bytes, 'join_count', joins, 'has_covering_index', covering,
            'history_rows_diff', diff.n, 'history_rows_full', full_.n,
            'composite_score', round(composite::numeric, 4),
            'signals', (SELECT jsonb_agg(jsonb_build_object('name', e -> 'name', 'score', e -> 'score', 'weight', e -> 'weight') ORDER BY o)
                          FROM jsonb_array_elements(sig) WITH ORDINALITY AS t(e, o)));
        RETURN NEXT;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.refresh_efficiency()
RETURNS TABLE(pgt_schema TEXT, pgt_name TEXT, refresh_mode TEXT, total_refreshes bigint, diff_count bigint,
              full_count bigint, avg_diff_ms double precision, avg_full_ms double precision,
              avg_change_ratio double precision, diff_speedup TEXT, last_refresh_at TEXT)
LANGUAGE sql STABLE AS $$
    SELECT s.pgt_schema, s.pgt_name, s.refresh_mode,
           (SELECT count(*) FROM pgtrickle.pgt_refresh_history h WHERE h.pgt_id = s.pgt_id AND h.status = 'COMPLETED'),
           (SELECT count(*) FROM pgtrickle.pgt_refresh_history h WHERE h.pgt_id = s.pgt_id AND h.status = 'COMPLETED' AND h.action = 'DIFFERENTIAL'),
           (SELECT count(*) FROM pgtrickle.pgt_refresh_history h WHERE h.pgt_id = s.pgt_id AND h.status = 'COMPLETED' AND h.action = 'FULL'),
           d.avg_ms, f.avg_ms, pgtrickle._avg_change_ratio(s.pgt_id),
           CASE WHEN d.avg_ms > 0 AND f.avg_ms IS NOT NULL THEN to_char(f.avg_ms / d.avg_ms, 'FM999999990.0') || 'x' END,
           s.data_timestamp::text
      FROM pgtrickle.pgt_stream_tables s
     CROSS JOIN LATERAL pgtrickle._avg_ms(s.pgt_id, 'DIFFERENTIAL') d
     CROSS JOIN LATERAL pgtrickle._avg_ms(s.pgt_id, 'FULL') f
     ORDER BY s.pgt_schema, s.pgt_name
$$;

-- What SQL alone can check of an arbitrary query; the DVM verdict needs the
-- compiler, which runs in the coordinator (or the library: pass a
-- CompilerPool to createStreamTable). Creates nothing (the probe view is
-- temporary and dropped).
CREATE OR REPLACE FUNCTION pgtrickle.validate_query(query TEXT)
RETURNS TABLE(check_name TEXT, result TEXT, severity TEXT)
LANGUAGE plpgsql STRICT AS $$
DECLARE
    analysis jsonb;
    odd text;
BEGIN
    BEGIN
        analysis := pgtrickle._analyze_query(query);
    EXCEPTION WHEN OTHERS THEN
        check_name := 'resolved_refresh_mode'; result := 'FULL'; severity := 'ERROR'; RETURN NEXT;
        check_name := 'dvm_parse_error'; result := SQLERRM; severity := 'ERROR'; RETURN NEXT;
        RETURN;
    END;
    SELECT string_agg(e ->> 'name', ', ') INTO odd FROM jsonb_array_elements(analysis -> 'sources') e
     WHERE e ->> 'source_type' IN ('MATVIEW', 'FOREIGN_TABLE');
    check_name := 'resolved_refresh_mode';
    result := CASE WHEN analysis ->> 'volatility' = 'v' OR odd IS NOT NULL THEN 'FULL' ELSE 'DIFFERENTIAL' END;
    severity := 'INFO';
    RETURN NEXT;
    IF odd IS NOT NULL THEN
        check_name := 'matview_or_foreign_table';
        result := 'reads ' || odd || ': changes are not captured, every refresh recomputes'; severity := 'WARNING';
        RETURN NEXT;
    END IF;
    check_name := 'volatility';
    result := CASE analysis ->> 'volatility' WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END;
    severity := CASE WHEN analysis ->> 'volatility' = 'v' THEN 'ERROR' ELSE 'INFO' END;
    RETURN NEXT;
    check_name := 'ivm_support_check';
    result := 'not checked: the DVM compiler runs in the coordinator; AUTO falls back to FULL with a refresh_mode_fallback alert if it cannot maintain the query';
    severity := 'WARNING';
    RETURN NEXT;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.explain_query_rewrite(query TEXT)
RETURNS TABLE(pass_name TEXT, changed bool, sql_after TEXT)
LANGUAGE plpgsql STRICT AS $$
BEGIN
    RAISE EXCEPTION 'explain_query_rewrite needs the DVM compiler, which runs in the pgtrickle coordinator, not in the database'
        USING ERRCODE = '0A000',
              HINT = 'Create the stream table and read SELECT * FROM pgtrickle.explain_st(''name''); (operator_tree, delta_query).';
END $$;
