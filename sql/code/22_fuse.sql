-- The fuse (circuit breaker; spec/sql-api.md §1.8, configuration.md §2.7,
-- FUSE-1…6): a stream table with fuse_mode 'on' or 'auto' whose pending
-- changes exceed its effective ceiling is not refreshed by the scheduler but
-- SUSPENDED, until its owner decides with reset_fuse() what to do with them.
--
-- * Effective ceiling: fuse_ceiling, else pg_trickle.fuse_default_ceiling
--   (0 = none: the fuse is inert). 'auto' behaves as 'on' (as in v0.14).
-- * Checked by the executor before every scheduler refresh (_fuse_check, from
--   _refresh in 09_executor.sql); manual refreshes are not checked. A refresh
--   that must be FULL anyway (needs_reinit) is not checked: the volume of
--   changes does not matter to it.
-- * Blowing: _transition 'fuse_blow' (SUSPENDED, fuse_state 'blown',
--   blown_at, blow_reason), WARNING, NOTIFY pgtrickle_alert
--   {"event":"fuse_blown","stream_table","pending","ceiling"} (the legacy
--   channel, never suppressed), the same event on pg_trickle_alert (so the
--   coordinator republishes it on the bus), a SKIP history row with the
--   reason, and a fuse_blown_reminder alert about once a minute while blown
--   (_fuse_reminders, from _periodic_alerts).
-- * fuse_sensitivity is stored but, as in v0.14, the fuse blows at the first
--   observation.
-- * reset_fuse: 'apply' lets the next scheduler refresh consume the changes
--   (pgt_coord_fuse.apply_once), 'reinitialize' makes it a FULL refresh,
--   'skip_changes' moves the stream table's frontiers past every change
--   pending now, so they are never applied to it. pg_trickle TRUNCATEs the
--   shared buffers instead, which also drops the changes other stream tables
--   have not consumed yet; moving only this table's frontiers skips the same
--   changes for it and leaves the others correct.

-- The effective ceiling, or NULL when the fuse is off or inert.
CREATE OR REPLACE FUNCTION pgtrickle._fuse_ceiling(st pgtrickle.pgt_stream_tables) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    default_ceiling bigint;
BEGIN
    IF st.fuse_mode = 'off' THEN
        RETURN NULL;
    END IF;
    IF st.fuse_ceiling IS NOT NULL THEN
        RETURN st.fuse_ceiling;
    END IF;
    BEGIN
        default_ceiling := pgtrickle._setting('fuse_default_ceiling')::bigint;
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        default_ceiling := NULL;
    END;
    IF default_ceiling IS NULL OR default_ceiling < 0 OR default_ceiling > 2000000000 THEN
        RAISE WARNING 'pg_trickle.fuse_default_ceiling = % is out of range (0 – 2000000000); using 0 (no default ceiling)',
            quote_literal(pgtrickle._setting('fuse_default_ceiling'));
        RETURN NULL;
    END IF;
    RETURN NULLIF(default_ceiling, 0);
END $$;

-- Pending change rows of the stream table's TABLE sources (the rows a
-- refresh would consume from their buffers).
CREATE OR REPLACE FUNCTION pgtrickle._fuse_pending(pgt_id bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    relid oid;
    n bigint;
    t boolean;
    total bigint := 0;
BEGIN
    FOR relid IN
        SELECT d.source_relid FROM pgtrickle.pgt_dependencies d
         WHERE d.pgt_id = _fuse_pending.pgt_id AND d.source_type IN ('TABLE', 'FOREIGN_TABLE')
           AND to_regprocedure(format('pgtrickle_changes.%I(bigint)', 'pgt_pending_' || d.source_relid)) IS NOT NULL
    LOOP
        EXECUTE format('SELECT * FROM pgtrickle_changes.%I($1)', 'pgt_pending_' || relid) INTO n, t USING pgt_id;
        total := total + COALESCE(n, 0);
    END LOOP;
    RETURN total;
END $$;

-- Before a scheduler refresh: true when the fuse blew (the caller then skips
-- the refresh; the blow is recorded here).
CREATE OR REPLACE FUNCTION pgtrickle._fuse_check(st pgtrickle.pgt_stream_tables) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    ceiling bigint := pgtrickle._fuse_ceiling(st);
    pending bigint;
    reason text;
    started timestamptz := clock_timestamp();
BEGIN
    IF ceiling IS NULL OR st.fuse_state <> 'armed' OR st.needs_reinit OR NOT st.is_populated THEN
        RETURN false;
    END IF;
    -- reset_fuse(…, 'apply'): this refresh consumes what blew the fuse.
    DELETE FROM pgtrickle.pgt_coord_fuse f WHERE f.pgt_id = st.pgt_id AND f.apply_once;
    IF FOUND THEN
        RETURN false;
    END IF;
    pending := pgtrickle._fuse_pending(st.pgt_id);
    IF pending <= ceiling THEN
        RETURN false;
    END IF;
    reason := format('%s pending changes exceed the fuse ceiling of %s', pending, ceiling);
    st := pgtrickle._transition(st.pgt_id, 'fuse_blow', jsonb_build_object('reason', reason));
    RAISE WARNING 'fuse blown for stream table %: %', pgtrickle._qualified(st), reason
        USING HINT = format('Decide what to do with the changes: SELECT pgtrickle.reset_fuse(%L, action => ''apply'' | ''reinitialize'' | ''skip_changes'');',
                            pgtrickle._qualified(st));
    INSERT INTO pgtrickle.pgt_refresh_history
        (pgt_id, data_timestamp, start_time, end_time, action, delta_row_count, status, error_message, initiated_by)
    VALUES (st.pgt_id, COALESCE(st.data_timestamp, started), started, clock_timestamp(), 'SKIP', pending, 'SKIPPED',
            'fuse blown: ' || reason, 'SCHEDULER');
    PERFORM pg_catalog.pg_notify('pgtrickle_alert', jsonb_build_object('event', 'fuse_blown',
        'stream_table', pgtrickle._qualified(st), 'pending', pending, 'ceiling', ceiling)::text);
    PERFORM pgtrickle._alert('fuse_blown', st, jsonb_build_object('pending', pending, 'ceiling', ceiling, 'reason', reason));
    -- The first reminder is due a minute from now.
    INSERT INTO pgtrickle.pgt_coord_alert_state VALUES ('fuse:' || st.pgt_id, now())
    ON CONFLICT (alert_key) DO UPDATE SET last_sent = now();
    RETURN true;
END $$;

-- fuse_blown_reminder about once per 60 s per blown stream table (from
-- _periodic_alerts, on the scheduling node).
CREATE OR REPLACE FUNCTION pgtrickle._fuse_reminders() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    st pgtrickle.pgt_stream_tables;
    sent int := 0;
BEGIN
    FOR st IN SELECT * FROM pgtrickle.pgt_stream_tables s WHERE s.fuse_state = 'blown' ORDER BY s.pgt_id LOOP
        INSERT INTO pgtrickle.pgt_coord_alert_state VALUES ('fuse:' || st.pgt_id, now())
        ON CONFLICT (alert_key) DO UPDATE SET last_sent = now()
         WHERE pgt_coord_alert_state.last_sent < now() - interval '60 seconds';
        IF FOUND THEN
            PERFORM pgtrickle._alert('fuse_blown_reminder', st, jsonb_build_object(
                'blown_seconds', round(extract(epoch FROM now() - COALESCE(st.blown_at, now()))::numeric, 0),
                'reason', st.blow_reason));
            sent := sent + 1;
        END IF;
    END LOOP;
    RETURN sent;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.reset_fuse(name text, action text DEFAULT 'apply') RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
    st pgtrickle.pgt_stream_tables := pgtrickle._find_owned_stream_table(name);
    act text := lower(btrim(action));
BEGIN
    IF act NOT IN ('apply', 'reinitialize', 'skip_changes') THEN
        RAISE EXCEPTION 'invalid argument: invalid reset_fuse action: % (expected ''apply'', ''reinitialize'', or ''skip_changes'')',
            quote_literal(action)
            USING ERRCODE = '22023',
                  HINT = '''apply'' refreshes with the pending changes, ''reinitialize'' recomputes the table, ''skip_changes'' drops them for this table.';
    END IF;
    IF st.fuse_state <> 'blown' THEN
        RAISE EXCEPTION 'fuse is not blown for % (current state: %)', pgtrickle._qualified(st), st.fuse_state
            USING ERRCODE = '55000', HINT = 'reset_fuse only re-arms a blown fuse; see SELECT * FROM pgtrickle.fuse_status();';
    END IF;
    PERFORM pgtrickle._transition(st.pgt_id, 'fuse_reset', jsonb_build_object('needs_reinit', act = 'reinitialize'));
    IF act = 'apply' THEN
        INSERT INTO pgtrickle.pgt_coord_fuse (pgt_id, apply_once) VALUES (st.pgt_id, true)
        ON CONFLICT (pgt_id) DO UPDATE SET apply_once = true;
    ELSIF act = 'skip_changes' THEN
        EXECUTE format('UPDATE pgtrickle.pgt_coord_frontiers f SET %s
                         WHERE f.pgt_id = $1 AND f.frontier IS NOT NULL
                           AND f.source_relid IN (SELECT d.source_relid FROM pgtrickle.pgt_dependencies d
                                                   WHERE d.pgt_id = $1 AND d.source_type IN (''TABLE'', ''FOREIGN_TABLE''))',
                       pgtrickle._frontier_assignments())
          USING st.pgt_id;
    END IF;
    PERFORM pgtrickle._signal_coordinator('fuse_reset', st.pgt_id);
END $$;
