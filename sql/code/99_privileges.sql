-- Function and view privileges (DESIGN D13, docs/SECURITY.md), re-applied on
-- every install, last of all modules (99) so every function defined before it
-- keeps the same rules.
--
-- PUBLIC may execute nothing. pgtrickle_user members execute the API and the
-- internals it calls: SECURITY INVOKER ones run with the caller's own rights
-- (row-level security lets her write only her own stream tables' rows);
-- SECURITY DEFINER ones (capture, IMMEDIATE triggers, dependency views, buffer
-- cleanup, runners) take no instruction from their caller and only bring
-- derived objects in line with the catalog. A few internals only the catalog
-- owner calls are not granted at all. Trigger and event-trigger functions
-- need no EXECUTE grant to fire (but creating a trigger does: owners create
-- their storage tables' guard triggers themselves).

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pgtrickle FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgtrickle TO pgtrickle_user;
REVOKE EXECUTE ON FUNCTION
    pgtrickle._regenerate(),
    pgtrickle._periodic_alerts(),
    pgtrickle._write_capture_functions(oid),
    pgtrickle._create_capture_triggers(oid),
    pgtrickle._drop_ivm_triggers(bigint),
    pgtrickle._resync_source(oid),
    pgtrickle._fail_downstream(bigint, text),
    pgtrickle._on_ddl_end(),
    pgtrickle._on_sql_drop(),
    pgtrickle._ivm_lock(),
    pgtrickle._ivm_refresh()
  FROM pgtrickle_user;

GRANT SELECT ON pgtrickle.stream_tables_info, pgtrickle.pg_stat_stream_tables, pgtrickle.quick_health TO pgtrickle_user;
