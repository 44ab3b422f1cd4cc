-- Change capture and DAG introspection (spec/sql-api.md §4, §7): slot_health,
-- check_cdc_health, change_buffer_sizes, list_sources, trigger_inventory,
-- diamond_groups, pgt_scc_status, fuse_status, shared_buffer_stats,
-- dedup_stats, worker_pool_status, parallel_job_status, view pgt_cdc_status.
--
-- Capture is by statement triggers only, so the replication-slot columns
-- report trigger capture (no slot, no WAL retained). Worker, job and dedup
-- figures are what live coordinator nodes publish in pgt_coord_nodes
-- (migration 0004); with no coordinator running they are zero/empty.

CREATE OR REPLACE FUNCTION pgtrickle._relation_name(relid oid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = relid
$$;

-- Exact row count of a change buffer. SECURITY DEFINER because buffers are
-- readable by their consumers' owners only; a count reveals no row values.
CREATE OR REPLACE FUNCTION pgtrickle._buffer_row_count(relid oid) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    n bigint;
BEGIN
    IF to_regclass(format('pgtrickle_changes.%I', 'changes_' || relid)) IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT count(*) FROM pgtrickle_changes.%I', 'changes_' || relid) INTO n;
    RETURN n;
END $$;

-- The capture triggers of a source that exist (statement triggers, or
-- pg_trickle's row-level name): name → enabled.
CREATE OR REPLACE FUNCTION pgtrickle._capture_triggers(relid oid, kind text)
RETURNS TABLE(trigger_name text, enabled boolean)
LANGUAGE sql STABLE AS $$
    SELECT t.tgname::text, t.tgenabled <> 'D'
      FROM pg_catalog.pg_trigger t
     WHERE t.tgrelid = relid AND NOT t.tgisinternal
       AND t.tgname::text = ANY (CASE WHEN kind = 'TRUNCATE' THEN ARRAY['pg_trickle_cdc_truncate_' || relid]
                                      ELSE ARRAY['pg_trickle_cdc_' || relid, 'pg_trickle_cdc_ins_' || relid,
                                                 'pg_trickle_cdc_upd_' || relid, 'pg_trickle_cdc_del_' || relid] END)
     ORDER BY 1
$$;

CREATE OR REPLACE FUNCTION pgtrickle.slot_health()
RETURNS TABLE(slot_name TEXT, source_relid bigint, active bool, retained_wal_bytes bigint, wal_status TEXT)
LANGUAGE sql STABLE AS $$
    SELECT t.slot_name, t.source_relid::bigint, true, 0::bigint, 'trigger'
      FROM pgtrickle.pgt_change_tracking t ORDER BY t.source_relid
$$;

CREATE OR REPLACE FUNCTION pgtrickle.check_cdc_health()
RETURNS TABLE(source_relid bigint, source_table TEXT, cdc_mode TEXT, slot_name TEXT, lag_bytes bigint,
              confirmed_lsn TEXT, alert TEXT, selective_capture bool)
LANGUAGE sql STABLE AS $$
    SELECT d.source_relid::bigint, pgtrickle._relation_name(d.source_relid), max(d.cdc_mode), NULL::text, NULL::bigint, NULL::text,
           CASE WHEN NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_change_tracking t WHERE t.source_relid = d.source_relid)
                THEN 'capture_missing: no change buffer; run SELECT pgtrickle.restore_stream_tables();'
                WHEN (SELECT count(*) FROM pgtrickle._capture_triggers(d.source_relid, 'DML')) < 3
                  OR NOT EXISTS (SELECT 1 FROM pgtrickle._capture_triggers(d.source_relid, 'TRUNCATE'))
                THEN 'trigger_missing: run SELECT pgtrickle.rebuild_cdc_triggers();'
                WHEN EXISTS (SELECT 1 FROM pgtrickle._capture_triggers(d.source_relid, 'DML') g WHERE NOT g.enabled)
                THEN 'trigger_disabled: changes are not being captured' END,
           false
      FROM pgtrickle.pgt_dependencies d
     WHERE d.source_type = 'TABLE'
     GROUP BY d.source_relid
     ORDER BY d.source_relid
$$;

CREATE OR REPLACE FUNCTION pgtrickle.change_buffer_sizes()
RETURNS TABLE(stream_table TEXT, source_table TEXT, source_oid bigint, cdc_mode TEXT, pending_rows bigint, buffer_bytes bigint)
LANGUAGE sql STABLE AS $$
    SELECT pgtrickle._qualified(s), pgtrickle._relation_name(d.source_relid), d.source_relid::bigint, d.cdc_mode,
           COALESCE(u.n_live_tup, 0), COALESCE(pg_catalog.pg_total_relation_size(b.oid), 0)
      FROM pgtrickle.pgt_dependencies d
      JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = d.pgt_id
      LEFT JOIN pg_catalog.pg_class b
             ON b.relname = 'changes_' || d.source_relid
            AND b.relnamespace = 'pgtrickle_changes'::regnamespace
      LEFT JOIN pg_catalog.pg_stat_all_tables u ON u.relid = b.oid
     ORDER BY s.pgt_schema, s.pgt_name, d.source_relid
$$;

CREATE OR REPLACE FUNCTION pgtrickle.list_sources(name TEXT)
RETURNS TABLE(source_table TEXT, source_oid bigint, source_type TEXT, cdc_mode TEXT, columns_used TEXT)
LANGUAGE sql STABLE STRICT AS $$
    SELECT pgtrickle._relation_name(d.source_relid), d.source_relid::bigint, d.source_type, d.cdc_mode, d.columns_used::text
      FROM pgtrickle.pgt_dependencies d
     WHERE d.pgt_id = (pgtrickle._find_stream_table(name)).pgt_id
     ORDER BY 1
$$;

-- Two rows per captured source. The DML row accepts pg_trickle's row-level
-- trigger name or pgtrickle's three statement triggers (present = all of
-- one kind exist); trigger_name lists the names found (expected, if none).
CREATE OR REPLACE FUNCTION pgtrickle.trigger_inventory()
RETURNS TABLE(source_table TEXT, source_oid bigint, trigger_name TEXT, trigger_type TEXT, present bool, enabled bool)
LANGUAGE sql STABLE AS $$
    SELECT pgtrickle._relation_name(t.source_relid), t.source_relid::bigint,
           COALESCE(g.names, CASE k.kind WHEN 'DML' THEN format('pg_trickle_cdc_ins_%1$s, pg_trickle_cdc_upd_%1$s, pg_trickle_cdc_del_%1$s', t.source_relid)
                                         ELSE 'pg_trickle_cdc_truncate_' || t.source_relid END),
           k.kind,
           COALESCE(CASE k.kind WHEN 'DML' THEN g.n >= 3 OR g.names = 'pg_trickle_cdc_' || t.source_relid
                                ELSE g.n = 1 END, false),
           COALESCE(g.all_enabled, false)
      FROM pgtrickle.pgt_change_tracking t
     CROSS JOIN (VALUES ('DML'), ('TRUNCATE')) AS k(kind)
      LEFT JOIN LATERAL (SELECT string_agg(c.trigger_name, ', ') AS names, count(*) AS n, bool_and(c.enabled) AS all_enabled
                           FROM pgtrickle._capture_triggers(t.source_relid, k.kind) c HAVING count(*) > 0) g ON true
     WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.source_relid)
     ORDER BY t.source_relid, k.kind
$$;

-- Every relation a relation reads, transitively through stream tables, itself included.
CREATE OR REPLACE FUNCTION pgtrickle._lineage(relid oid) RETURNS oid[]
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up(r) AS (
        SELECT relid
        UNION
        SELECT d.source_relid FROM up JOIN pgtrickle.pgt_stream_tables s ON s.pgt_relid = up.r
          JOIN pgtrickle.pgt_dependencies d ON d.pgt_id = s.pgt_id
    )
    SELECT array_agg(r) FROM up
$$;

-- Diamonds as the scheduler sees them (src/coordinator/dag.ts atomicGroups):
-- D converges when two relations it reads share an ancestor and one of them
-- is a stream table; its group is D and every stream table upstream of it.
-- Overlapping groups are merged (they must share one snapshot). epoch: the
-- coordinator keeps no group epoch counter, so 0.
CREATE OR REPLACE FUNCTION pgtrickle.diamond_groups()
RETURNS TABLE(group_id INT, member_name TEXT, member_schema TEXT, is_convergence bool, epoch bigint, schedule_policy TEXT)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    conv record;
    members bigint[];
    merged boolean;
    g jsonb := '[]';      -- [{"members": [...], "convergence": [...]}]
    i int;
    item jsonb;
BEGIN
    FOR conv IN
        SELECT s.pgt_id, s.pgt_relid FROM pgtrickle.pgt_stream_tables s
         WHERE EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies a JOIN pgtrickle.pgt_dependencies b
                              ON b.pgt_id = a.pgt_id AND b.source_relid > a.source_relid
                        WHERE a.pgt_id = s.pgt_id
                          AND (a.source_type = 'STREAM_TABLE' OR b.source_type = 'STREAM_TABLE')
                          AND pgtrickle._lineage(a.source_relid) && pgtrickle._lineage(b.source_relid))
         ORDER BY s.pgt_schema, s.pgt_name
    LOOP
        SELECT array_agg(DISTINCT s.pgt_id) INTO members
          FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_relid = ANY (pgtrickle._lineage(conv.pgt_relid));
        merged := false;
        FOR i IN 0 .. jsonb_array_length(g) - 1 LOOP
            IF ARRAY(SELECT jsonb_array_elements_text(g -> i -> 'members')::bigint) && members THEN
                g := jsonb_set(g, ARRAY[i::text], jsonb_build_object(
                    'members', (SELECT jsonb_agg(DISTINCT m) FROM (SELECT jsonb_array_elements(g -> i -> 'members') AS m
                                                                   UNION SELECT to_jsonb(x) FROM unnest(members) x) u),
                    'convergence', (g -> i -> 'convergence') || to_jsonb(conv.pgt_id)));
                merged := true;
                EXIT;
            END IF;
        END LOOP;
        IF NOT merged THEN
            g := g || jsonb_build_array(jsonb_build_object('members', to_jsonb(members), 'convergence', jsonb_build_array(conv.pgt_id)));
        END IF;
    END LOOP;
    i := 0;
    FOR item IN SELECT * FROM jsonb_array_elements(g) LOOP
        i := i + 1;
        RETURN QUERY
            SELECT i, s.pgt_name, s.pgt_schema, (item -> 'convergence') @> to_jsonb(s.pgt_id), 0::bigint,
                   (SELECT CASE WHEN bool_or(c.diamond_schedule_policy = 'slowest') THEN 'slowest' ELSE 'fastest' END
                      FROM pgtrickle.pgt_stream_tables c
                     WHERE (item -> 'convergence') @> to_jsonb(c.pgt_id))
              FROM pgtrickle.pgt_stream_tables s
             WHERE (item -> 'members') @> to_jsonb(s.pgt_id)
             ORDER BY s.pgt_schema, s.pgt_name;
    END LOOP;
END $$;

-- Cycles are rejected at creation, so no stream table has an scc_id and this is empty.
CREATE OR REPLACE FUNCTION pgtrickle.pgt_scc_status()
RETURNS TABLE(scc_id INT, member_count INT, members TEXT[], last_iterations INT, last_converged_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT s.scc_id, count(*)::int, array_agg(pgtrickle._qualified(s) ORDER BY s.pgt_schema, s.pgt_name),
           max(s.last_fixpoint_iterations), max(s.last_refresh_at)
      FROM pgtrickle.pgt_stream_tables s WHERE s.scc_id IS NOT NULL
     GROUP BY s.scc_id ORDER BY s.scc_id
$$;

CREATE OR REPLACE FUNCTION pgtrickle.fuse_status()
RETURNS TABLE(stream_table TEXT, fuse_mode TEXT, fuse_state TEXT, fuse_ceiling bigint, effective_ceiling bigint,
              fuse_sensitivity INT, blown_at timestamptz, blow_reason TEXT)
LANGUAGE sql STABLE AS $$
    SELECT pgtrickle._qualified(s), s.fuse_mode, s.fuse_state, s.fuse_ceiling,
           CASE WHEN s.fuse_mode = 'off' THEN NULL
                ELSE COALESCE(s.fuse_ceiling,
                              NULLIF(GREATEST(COALESCE(NULLIF(current_setting('pg_trickle.fuse_default_ceiling', true), '')::bigint, 0), 0), 0)) END,
           s.fuse_sensitivity, s.blown_at, s.blow_reason
      FROM pgtrickle.pgt_stream_tables s ORDER BY s.pgt_schema, s.pgt_name
$$;

-- safe_frontier_lsn: pgtrickle's frontiers are snapshots, not LSNs (DESIGN
-- D5); this is the oldest consumer's frontier snapshot for the source.
CREATE OR REPLACE FUNCTION pgtrickle.shared_buffer_stats()
RETURNS TABLE(source_oid bigint, source_table TEXT, consumer_count INT, consumers TEXT, columns_tracked INT,
              safe_frontier_lsn TEXT, buffer_rows bigint, is_partitioned bool)
LANGUAGE sql STABLE AS $$
    SELECT t.source_relid::bigint, pgtrickle._relation_name(t.source_relid),
           COALESCE(cardinality(t.tracked_by_pgt_ids), 0),
           (SELECT string_agg(pgtrickle._qualified(s), ', ' ORDER BY s.pgt_schema, s.pgt_name)
              FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = ANY (t.tracked_by_pgt_ids)),
           (SELECT count(*)::int FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = to_regclass(format('pgtrickle_changes.%I', 'changes_' || t.source_relid))
               AND a.attname LIKE 'new\_%' AND NOT a.attisdropped),
           (SELECT f.frontier::text FROM pgtrickle.pgt_coord_frontiers f
             WHERE f.source_relid = t.source_relid AND f.pgt_id = ANY (t.tracked_by_pgt_ids) AND f.frontier IS NOT NULL
             ORDER BY pg_catalog.pg_snapshot_xmin(f.frontier)::text::numeric LIMIT 1),
           pgtrickle._buffer_row_count(t.source_relid),
           false
      FROM pgtrickle.pgt_change_tracking t ORDER BY t.source_relid
$$;

-- Counters of the live coordinator nodes (since each node started).
CREATE OR REPLACE FUNCTION pgtrickle.dedup_stats()
RETURNS TABLE(total_diff_refreshes bigint, dedup_needed bigint, dedup_ratio_pct double precision)
LANGUAGE sql STABLE AS $$
    SELECT t.total, t.needed, CASE WHEN t.total > 0 THEN 100.0 * t.needed / t.total ELSE 0 END::double precision
      FROM (SELECT COALESCE(sum((n.counters ->> 'diff_refreshes')::bigint), 0)::bigint AS total,
                   COALESCE(sum((n.counters ->> 'dedup_needed')::bigint), 0)::bigint AS needed
              FROM pgtrickle._live_nodes() n) t
$$;

-- One row. No coordinator: 0 workers of 0, parallel_mode 'off'.
CREATE OR REPLACE FUNCTION pgtrickle.worker_pool_status()
RETURNS TABLE(active_workers INT, max_workers INT, per_db_cap INT, parallel_mode TEXT)
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(sum(jsonb_array_length(n.running_jobs)), 0)::int,
           COALESCE(sum(n.max_workers), 0)::int,
           COALESCE(max(n.max_workers), 0)::int,
           CASE WHEN count(*) > 0 THEN 'on' ELSE 'off' END
      FROM pgtrickle._live_nodes() n
$$;

-- Running jobs as the live nodes publish them, then finished scheduled
-- refreshes from the history (visible to their owners) within the window.
-- Running jobs' ids are the node's own counter; finished ones' are refresh_ids.
CREATE OR REPLACE FUNCTION pgtrickle.parallel_job_status(max_age_seconds INT DEFAULT 300)
RETURNS TABLE(job_id bigint, unit_key TEXT, unit_kind TEXT, status TEXT, member_count INT, attempt_no INT,
              scheduler_pid INT, worker_pid INT, enqueued_at timestamptz, started_at timestamptz,
              finished_at timestamptz, duration_ms double precision)
LANGUAGE sql STABLE STRICT AS $$
    SELECT * FROM (
        SELECT (j ->> 'job_id')::bigint, j ->> 'unit_key', j ->> 'unit_kind', 'RUNNING'::text,
               (j ->> 'member_count')::int, COALESCE((j ->> 'attempt_no')::int, 1), n.backend_pid,
               (j ->> 'worker_pid')::int, (j ->> 'started_at')::timestamptz, (j ->> 'started_at')::timestamptz,
               NULL::timestamptz, NULL::double precision
          FROM pgtrickle._live_nodes() n, jsonb_array_elements(n.running_jobs) j
        UNION ALL
        SELECT h.refresh_id, 's:' || h.pgt_id, 'singleton',
               CASE WHEN h.status = 'COMPLETED' OR h.status = 'SKIPPED' THEN 'SUCCEEDED'
                    WHEN pgtrickle._is_retryable(substring(h.error_message FROM '\(SQLSTATE (\w{5})\)$')) THEN 'RETRYABLE_FAILED'
                    ELSE 'PERMANENT_FAILED' END,
               1, 1, NULL::int, NULL::int, h.start_time, h.start_time, h.end_time,
               (extract(epoch FROM h.end_time - h.start_time) * 1000)::double precision
          FROM pgtrickle.pgt_refresh_history h
         WHERE h.initiated_by = 'SCHEDULER' AND h.end_time IS NOT NULL
           AND h.end_time >= now() - make_interval(secs => GREATEST(max_age_seconds, 0))
    ) jobs
    ORDER BY 9 DESC NULLS LAST, 1 DESC
$$;

CREATE OR REPLACE VIEW pgtrickle.pgt_cdc_status AS
SELECT s.pgt_schema, s.pgt_name, d.source_relid, c.relname::text AS source_name, n.nspname::text AS source_schema,
       d.cdc_mode, d.slot_name, d.decoder_confirmed_lsn, d.transition_started_at
  FROM pgtrickle.pgt_dependencies d
  JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = d.pgt_id
  LEFT JOIN pg_catalog.pg_class c ON c.oid = d.source_relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE d.source_type = 'TABLE';
GRANT SELECT ON pgtrickle.pgt_cdc_status TO pgtrickle_user;
