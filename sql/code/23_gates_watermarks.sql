-- Source gates and watermarks (spec/sql-api.md §2, §8.6), and the scheduler's
-- pre-refresh checks (_scheduler_skip, called by _refresh in 09_executor.sql
-- for scheduler refreshes only; manual refreshes are never held back).
--
-- * A gated source holds back every stream table that reads it directly: a
--   SKIP history row with reason 'source gated'. A bulk load behind a gate
--   does not blow a fuse either: gates are checked first.
-- * A watermark group holds back a stream table reading ≥ 2 of its sources,
--   all with a watermark, whose watermarks are further apart than the
--   group's tolerance: SKIP row "watermark group 'g' misaligned: lag X.Xs
--   exceeds tolerance Y.Ys".
-- * A skip sets last_refresh_at (a visit of the scheduler, like NO_DATA):
--   the next attempt comes one schedule interval later.
-- * A run of identical skips of one stream table leaves one history row (the
--   scheduler asks every tick; one row per second would drown the real ones).
-- * Who may gate a source or advance its watermark: its owner, or a role that
--   may INSERT into it (row-level security of migration 0005; checked here
--   first for a clear message). NOTIFY pgtrickle_source_gate '<oid>' and
--   pgtrickle_watermark 'wm:<oid>' wake the coordinator, which republishes
--   them on the bus.

-- The source's oid, if the caller may control it (gate, watermark).
CREATE OR REPLACE FUNCTION pgtrickle._controlled_source(source text) RETURNS oid
LANGUAGE plpgsql STABLE AS $$
DECLARE
    relid oid := source::regclass::oid;
BEGIN
    IF NOT (pg_catalog.pg_has_role(current_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = relid), 'MEMBER')
            OR pg_catalog.has_table_privilege(current_user, relid, 'INSERT')) THEN
        RAISE EXCEPTION 'must be owner of table % or allowed to insert into it', relid::regclass
            USING ERRCODE = '42501', HINT = 'Gates and watermarks of a source are set by whoever loads it: its owner, or a role with INSERT on it.';
    END IF;
    RETURN relid;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.gate_source(source text) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
    relid oid := pgtrickle._controlled_source(source);
BEGIN
    INSERT INTO pgtrickle.pgt_source_gates AS g (source_relid, gated, gated_at, ungated_at, gated_by)
    VALUES (relid, true, now(), NULL, 'gate_source')
    ON CONFLICT (source_relid) DO UPDATE SET gated = true, gated_at = now(), ungated_at = NULL, gated_by = 'gate_source';
    PERFORM pg_catalog.pg_notify('pgtrickle_source_gate', relid::text);
    RAISE INFO 'source % (oid=%) is now gated', relid::regclass, relid;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.ungate_source(source text) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
    relid oid := pgtrickle._controlled_source(source);
BEGIN
    UPDATE pgtrickle.pgt_source_gates g SET gated = false, ungated_at = now() WHERE g.source_relid = relid;
    PERFORM pg_catalog.pg_notify('pgtrickle_source_gate', relid::text);
    RAISE INFO 'source % (oid=%) is now ungated', relid::regclass, relid;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.source_gates()
RETURNS TABLE(source_table TEXT, schema_name TEXT, gated bool, gated_at timestamptz, ungated_at timestamptz, gated_by TEXT)
LANGUAGE sql STABLE AS $$
    SELECT c.relname::text, n.nspname::text, g.gated, g.gated_at, g.ungated_at, g.gated_by
      FROM pgtrickle.pgt_source_gates g
      JOIN pg_catalog.pg_class c ON c.oid = g.source_relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     ORDER BY n.nspname, c.relname
$$;

CREATE OR REPLACE FUNCTION pgtrickle.bootstrap_gate_status()
RETURNS TABLE(source_table TEXT, schema_name TEXT, gated bool, gated_at timestamptz, ungated_at timestamptz,
              gated_by TEXT, gate_duration interval, affected_stream_tables TEXT)
LANGUAGE sql STABLE AS $$
    SELECT c.relname::text, n.nspname::text, g.gated, g.gated_at, g.ungated_at, g.gated_by,
           CASE WHEN g.gated THEN now() - g.gated_at ELSE g.ungated_at - g.gated_at END,
           (SELECT string_agg(pgtrickle._qualified(s), ', ' ORDER BY s.pgt_schema, s.pgt_name)
              FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = d.pgt_id
             WHERE d.source_relid = g.source_relid)
      FROM pgtrickle.pgt_source_gates g
      JOIN pg_catalog.pg_class c ON c.oid = g.source_relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     ORDER BY g.gated DESC, n.nspname, c.relname
$$;

CREATE OR REPLACE FUNCTION pgtrickle.advance_watermark(source text, watermark timestamptz) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
    relid oid := pgtrickle._controlled_source(source);
    current_mark timestamptz;
BEGIN
    SELECT w.watermark INTO current_mark FROM pgtrickle.pgt_watermarks w WHERE w.source_relid = relid FOR UPDATE;
    IF current_mark > advance_watermark.watermark THEN
        RAISE EXCEPTION 'watermark moved backward: % is at %, % is older', relid::regclass, current_mark, advance_watermark.watermark
            USING ERRCODE = '22023', HINT = 'Watermarks only move forward; pass a time at or after the current one (SELECT * FROM pgtrickle.watermarks();).';
    END IF;
    IF current_mark IS DISTINCT FROM advance_watermark.watermark THEN
        INSERT INTO pgtrickle.pgt_watermarks AS w (source_relid, watermark, updated_at, advanced_by, wal_lsn_at_advance)
        VALUES (relid, advance_watermark.watermark, now(), current_user, pg_catalog.pg_current_wal_insert_lsn()::text)
        ON CONFLICT (source_relid) DO UPDATE
           SET watermark = EXCLUDED.watermark, updated_at = now(), advanced_by = current_user,
               wal_lsn_at_advance = EXCLUDED.wal_lsn_at_advance;
    END IF;
    PERFORM pg_catalog.pg_notify('pgtrickle_watermark', 'wm:' || relid);
    RAISE INFO 'watermark of source % (oid=%) is %', relid::regclass, relid, advance_watermark.watermark;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.create_watermark_group(group_name text, sources text[], tolerance_secs double precision DEFAULT 0.0)
RETURNS int
LANGUAGE plpgsql STRICT AS $$
DECLARE
    relids oid[];
    id int;
BEGIN
    SELECT array_agg(DISTINCT pgtrickle._controlled_source(s)) INTO relids FROM unnest(sources) AS s;
    IF COALESCE(cardinality(relids), 0) < 2 THEN
        RAISE EXCEPTION 'invalid argument: watermark group requires at least 2 sources'
            USING ERRCODE = '22023', HINT = 'A group aligns the watermarks of two or more different source tables.';
    END IF;
    IF tolerance_secs < 0 OR tolerance_secs = 'NaN'::float8 THEN
        RAISE EXCEPTION 'invalid argument: tolerance_secs must be non-negative'
            USING ERRCODE = '22023', HINT = 'Pass 0 for exact alignment, or the largest lag in seconds to accept.';
    END IF;
    IF EXISTS (SELECT 1 FROM pgtrickle.pgt_watermark_groups g WHERE g.group_name = create_watermark_group.group_name) THEN
        RAISE EXCEPTION 'watermark group already exists: %', group_name
            USING ERRCODE = '42P07', HINT = 'Drop it first with pgtrickle.drop_watermark_group(), or choose another name.';
    END IF;
    INSERT INTO pgtrickle.pgt_watermark_groups (group_name, source_relids, tolerance_secs)
    VALUES (group_name, relids, tolerance_secs) RETURNING pgt_watermark_groups.group_id INTO id;
    RETURN id;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.drop_watermark_group(group_name text) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
    relids oid[];
BEGIN
    SELECT g.source_relids INTO relids FROM pgtrickle.pgt_watermark_groups g WHERE g.group_name = drop_watermark_group.group_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'watermark group not found: %', group_name
            USING ERRCODE = '42704', HINT = 'List groups with: SELECT * FROM pgtrickle.watermark_groups();';
    END IF;
    PERFORM pgtrickle._controlled_source(r::regclass::text) FROM unnest(relids) AS r WHERE to_regclass(r::regclass::text) IS NOT NULL;
    DELETE FROM pgtrickle.pgt_watermark_groups g WHERE g.group_name = drop_watermark_group.group_name;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.watermarks()
RETURNS TABLE(source_table TEXT, schema_name TEXT, watermark timestamptz, updated_at timestamptz, advanced_by TEXT, wal_lsn TEXT)
LANGUAGE sql STABLE AS $$
    SELECT c.relname::text, n.nspname::text, w.watermark, w.updated_at, w.advanced_by, w.wal_lsn_at_advance
      FROM pgtrickle.pgt_watermarks w
      JOIN pg_catalog.pg_class c ON c.oid = w.source_relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     ORDER BY n.nspname, c.relname
$$;

CREATE OR REPLACE FUNCTION pgtrickle.watermark_groups()
RETURNS TABLE(group_name TEXT, source_count INT, tolerance_secs double precision, created_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT g.group_name, cardinality(g.source_relids), g.tolerance_secs, g.created_at
      FROM pgtrickle.pgt_watermark_groups g ORDER BY g.group_name
$$;

CREATE OR REPLACE FUNCTION pgtrickle.watermark_status()
RETURNS TABLE(group_name TEXT, min_watermark timestamptz, max_watermark timestamptz, lag_secs double precision,
              aligned bool, sources_with_watermark INT, sources_total INT)
LANGUAGE sql STABLE AS $$
    SELECT g.group_name, m.lo, m.hi,
           CASE WHEN m.n < 2 THEN 0 ELSE extract(epoch FROM m.hi - m.lo)::float8 END,
           m.n < 2 OR extract(epoch FROM m.hi - m.lo)::float8 <= g.tolerance_secs,
           m.n::int, cardinality(g.source_relids)
      FROM pgtrickle.pgt_watermark_groups g
     CROSS JOIN LATERAL (SELECT min(w.watermark) AS lo, max(w.watermark) AS hi, count(w.watermark) AS n
                           FROM unnest(g.source_relids) AS r(relid)
                           LEFT JOIN pgtrickle.pgt_watermarks w ON w.source_relid = r.relid) m
     ORDER BY g.group_name
$$;

-- Why the scheduler must not refresh `st` now (a gate or a watermark group),
-- or NULL.
CREATE OR REPLACE FUNCTION pgtrickle._hold_reason(st pgtrickle.pgt_stream_tables) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    g record;
BEGIN
    IF EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_source_gates sg ON sg.source_relid = d.source_relid
                WHERE d.pgt_id = st.pgt_id AND sg.gated) THEN
        RETURN 'source gated';
    END IF;
    FOR g IN
        SELECT wg.group_name, wg.tolerance_secs, extract(epoch FROM max(w.watermark) - min(w.watermark))::float8 AS lag
          FROM pgtrickle.pgt_watermark_groups wg
          JOIN pgtrickle.pgt_dependencies d ON d.pgt_id = st.pgt_id AND d.source_relid = ANY (wg.source_relids)
          LEFT JOIN pgtrickle.pgt_watermarks w ON w.source_relid = d.source_relid
         GROUP BY wg.group_id, wg.group_name, wg.tolerance_secs
        HAVING count(*) >= 2 AND count(w.watermark) = count(*)
         ORDER BY wg.group_name
    LOOP
        IF g.lag > g.tolerance_secs THEN
            RETURN format('watermark group %L misaligned: lag %ss exceeds tolerance %ss', g.group_name,
                          to_char(g.lag, 'FM999999999990.0'), to_char(g.tolerance_secs, 'FM999999999990.0'));
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- A scheduler refresh that must not run now: records why (one SKIP history
-- row per run of identical reasons) and returns true. The fuse last (22_fuse.sql).
CREATE OR REPLACE FUNCTION pgtrickle._scheduler_skip(st pgtrickle.pgt_stream_tables) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    reason text := pgtrickle._hold_reason(st);
    started timestamptz := clock_timestamp();
BEGIN
    IF reason IS NULL AND NOT pgtrickle._fuse_check(st) THEN
        RETURN false;
    END IF;
    -- A visit of the scheduler: the schedule counts from here (and the
    -- coordinator sees the dispatched work done).
    UPDATE pgtrickle.pgt_stream_tables s SET last_refresh_at = started WHERE s.pgt_id = st.pgt_id;
    IF reason IS NULL THEN
        RETURN true;   -- the fuse blew and recorded why
    END IF;
    IF NOT EXISTS (SELECT 1 FROM (SELECT h.status, h.error_message FROM pgtrickle.pgt_refresh_history h
                                   WHERE h.pgt_id = st.pgt_id ORDER BY h.data_timestamp DESC, h.refresh_id DESC LIMIT 1) last
                    WHERE last.status = 'SKIPPED' AND last.error_message = reason) THEN
        INSERT INTO pgtrickle.pgt_refresh_history
            (pgt_id, data_timestamp, start_time, end_time, action, status, error_message, initiated_by)
        VALUES (st.pgt_id, COALESCE(st.data_timestamp, started), started, clock_timestamp(), 'SKIP', 'SKIPPED', reason, 'SCHEDULER');
    END IF;
    RETURN true;
END $$;
