-- scheduler_falling_behind (spec/sql-api.md §11.1, configuration.md
-- pg_trickle.auto_backoff): a scheduler refresh of a duration-scheduled stream
-- table that took more than 80 % of its interval raises the alert
-- {"event":"scheduler_falling_behind", …, "elapsed_ms", "schedule_ms", "ratio"}
-- (called by _refresh in 09_executor.sql after a completed scheduler
-- refresh). The back-off itself (doubling the interval at ≥ 95 %) is not
-- implemented yet (issue 15 item 5).

CREATE OR REPLACE FUNCTION pgtrickle._falling_behind_check(st pgtrickle.pgt_stream_tables, elapsed_ms double precision) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    schedule_ms double precision := pgtrickle.parse_duration_seconds(st.schedule) * 1000.0;
BEGIN
    IF schedule_ms IS NULL OR schedule_ms <= 0 OR elapsed_ms <= 0.8 * schedule_ms THEN
        RETURN false;
    END IF;
    PERFORM pgtrickle._alert('scheduler_falling_behind', st, jsonb_build_object(
        'elapsed_ms', round(elapsed_ms::numeric, 3), 'schedule_ms', schedule_ms::bigint,
        'ratio', round((elapsed_ms / schedule_ms)::numeric, 2)));
    RETURN true;
END $$;
