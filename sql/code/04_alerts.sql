-- Alerts and coordinator wake-ups: NOTIFY pg_trickle_alert / pgtrickle_coordinator.
--
-- Alerts are delivered on commit; the coordinator republishes them on its bus.
-- Periodic alerts are raised by the scheduling node each tick.

-- Alerts (spec/sql-api.md §11.1). Delivered on commit; the coordinator also
-- republishes them on its bus.
CREATE OR REPLACE FUNCTION pgtrickle._alert(event text, st pgtrickle.pgt_stream_tables, extra jsonb DEFAULT '{}') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF st.pooler_compatibility_mode THEN
        RETURN;
    END IF;
    PERFORM pg_catalog.pg_notify('pg_trickle_alert', left((
        jsonb_build_object('event', event, 'pgt_schema', st.pgt_schema, 'pgt_name', st.pgt_name,
                           'st', pgtrickle._qualified(st)) || extra)::text, 7900));
END $$;

-- Wakes the coordinator after a catalog change (create/alter/drop/compile request).
CREATE OR REPLACE FUNCTION pgtrickle._signal_coordinator(op text, pgt_id bigint) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_catalog.pg_notify('pgtrickle_coordinator', json_build_object('op', op, 'pgt_id', pgt_id)::text)
$$;

-- Periodic alerts (spec/sql-api.md §11.1), raised by the scheduling node each
-- tick, each at most once per pg_trickle.alert_repeat_seconds (300) per subject.

CREATE OR REPLACE FUNCTION pgtrickle._periodic_alerts() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    repeat_after interval := make_interval(secs => pgtrickle._setting('alert_repeat_seconds')::int);
    buffer_threshold bigint := pgtrickle._setting('buffer_alert_threshold')::bigint;
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
    -- fuse_blown_reminder (22_fuse.sql).
    sent := sent + pgtrickle._fuse_reminders();
    RETURN sent;
END $$;
