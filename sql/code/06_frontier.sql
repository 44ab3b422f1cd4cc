-- Frontiers (DESIGN D5): the refresh snapshot, change windows, pending changes, buffer cleanup.
--
-- A change is in a stream table's window when it is visible in the refresh
-- snapshot and not in the frontier snapshot of the last refresh.

-- The snapshot a refresh statement reads with, as a value: the statement's own
-- snapshot, except that the refreshing transaction's own writes count as
-- visible (they are visible to the statement itself). Without this a refresh
-- inside a writer's transaction would consume the writer's rows twice.
-- xids between the snapshot's xmax and our own xid were running when the
-- snapshot was taken, so they are listed as in progress.
CREATE OR REPLACE FUNCTION pgtrickle.refresh_snapshot() RETURNS pg_snapshot
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
CREATE OR REPLACE FUNCTION pgtrickle._captured_sources(pgt_id bigint) RETURNS SETOF oid
LANGUAGE sql STABLE AS $$
    SELECT d.source_relid FROM pgtrickle.pgt_dependencies d
     WHERE d.pgt_id = _captured_sources.pgt_id AND d.source_type IN ('TABLE', 'STREAM_TABLE')
     ORDER BY d.source_relid
$$;

-- The change window of one source for one stream table (DESIGN D5), as SQL over
-- buffer alias c; the stream table is given as SQL (a literal or a parameter
-- reference such as $1). Mirrors changeWindowPredicate() in src/refresh/statements.ts.
CREATE OR REPLACE FUNCTION pgtrickle._window_predicate_for(pgt_id_sql text, relid oid, alias text DEFAULT 'c') RETURNS text
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
CREATE OR REPLACE FUNCTION pgtrickle._frontier_assignments() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'frontier = (SELECT pgtrickle.refresh_snapshot()),
         self_xid = pg_catalog.pg_current_xact_id_if_assigned(),
         self_change_id = (SELECT __pgt_seq.last_value FROM pgtrickle_changes.change_seq AS __pgt_seq)'
$$;

-- Pending (visible, unconsumed) change rows of every captured source, and
-- whether a TRUNCATE is among them.
CREATE OR REPLACE FUNCTION pgtrickle._pending_changes(pgt_id bigint, OUT pending bigint, OUT has_truncate boolean,
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
CREATE OR REPLACE FUNCTION pgtrickle._has_pending_changes(pgt_id bigint) RETURNS boolean
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

-- The scheduler asks every 'calculated' stream table at once; one that cannot
-- answer (a broken source, a lock it may not wait for) must not stop the
-- others: it reads as pending, so its own refresh runs and records the error
-- on that table alone. Read-only, so the exception block's subtransaction
-- takes no transaction id.
CREATE OR REPLACE FUNCTION pgtrickle._scheduler_pending(pgt_id bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN pgtrickle._has_pending_changes(pgt_id);
EXCEPTION WHEN OTHERS THEN
    RETURN true;
END $$;

-- Advances the frontier to the current statement's snapshot only if no change
-- is visible in the window at that same snapshot (a NO_DATA refresh), in one
-- statement so no change can slip in between the check and the advance.
-- Generated here so the SET list is _frontier_assignments() and the UPDATE is
-- static SQL (its plan is cached).
DO $generate$
BEGIN
    EXECUTE format($function$
CREATE OR REPLACE FUNCTION pgtrickle._advance_idle_frontier(pgt_id bigint) RETURNS boolean
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
-- SECURITY DEFINER (buffers are shared; no user may delete from them); it
-- deletes only what every consumer's frontier covers, whoever calls it.
CREATE OR REPLACE FUNCTION pgtrickle._cleanup_buffers(pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
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

CREATE OR REPLACE FUNCTION pgtrickle._frontier_json(pgt_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('sources', COALESCE(jsonb_object_agg(f.source_relid::text,
               jsonb_build_object('snapshot', f.frontier::text)), '{}'::jsonb))
      FROM pgtrickle.pgt_coord_frontiers f WHERE f.pgt_id = _frontier_json.pgt_id
$$;
