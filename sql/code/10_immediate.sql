-- IMMEDIATE mode (spec/dvm.md §13): refreshed by the writing statement itself.
--
-- The stream table is refreshed inside the writer's transaction, with the same
-- executor and plan as every other refresh. The writer's own changes are in
-- the change buffer (capture triggers fire first: pg_trickle_cdc_* sorts
-- before pgt_ivm_*) and count as visible to its own refresh, so the writer
-- reads its own write; a rollback takes the refresh with it.

-- The IMMEDIATE trigger functions are SECURITY DEFINER, so they run only from
-- the triggers _sync_ivm_triggers installed: named for the stream table, on
-- one of its sources.
CREATE OR REPLACE FUNCTION pgtrickle._check_ivm_trigger(trigger_name name, fired_on oid, stream_table text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF trigger_name NOT IN ('pgt_ivm_before_' || stream_table, 'pgt_ivm_after_' || stream_table,
                            'pgt_ivm_before_trunc_' || stream_table, 'pgt_ivm_after_trunc_' || stream_table)
       OR NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d
                       WHERE d.pgt_id OPERATOR(pg_catalog.=) stream_table::bigint AND d.source_relid OPERATOR(pg_catalog.=) fired_on) THEN
        RAISE EXCEPTION 'pgtrickle IMMEDIATE trigger function fired by a trigger pgtrickle did not install' USING ERRCODE = '42501';
    END IF;
END $$;

-- BEFORE each writing statement: queue behind other writers of this stream
-- table now, before touching rows, so two writers cannot deadlock on row locks
-- while each waits for the other's refresh.
CREATE OR REPLACE FUNCTION pgtrickle._ivm_lock() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
BEGIN
    PERFORM pgtrickle._check_ivm_trigger(TG_NAME, TG_RELID, TG_ARGV[0]);
    PERFORM pg_advisory_xact_lock(pgtrickle._refresh_lock_key(), TG_ARGV[0]::int);
    RETURN NULL;
END $$;

-- AFTER each writing statement (and TRUNCATE): refresh the stream table.
-- A MERGE fires its DELETE, UPDATE and INSERT statement triggers one after
-- the other, each seeing the table's final state but only part of the
-- captured changes: a refresh between them would be wrong. Refused with a
-- clear error instead (found by the IMMEDIATE oracle).
CREATE OR REPLACE FUNCTION pgtrickle._ivm_refresh() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
BEGIN
    PERFORM pgtrickle._check_ivm_trigger(TG_NAME, TG_RELID, TG_ARGV[0]);
    IF current_query() ~* '^\s*(with\s.*\s)?merge\s' THEN
        RAISE EXCEPTION 'MERGE into % is not supported while an IMMEDIATE stream table reads it', format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME)
            USING ERRCODE = '0A000',
                  HINT = 'Use INSERT … ON CONFLICT, UPDATE and DELETE statements, or switch the stream table to DIFFERENTIAL.';
    END IF;
    PERFORM pgtrickle._refresh(TG_ARGV[0]::bigint, 'IMMEDIATE');
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle._drop_ivm_triggers(pgt_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tg.tgname, tg.tgrelid::regclass AS rel FROM pg_trigger tg
              WHERE tg.tgname IN ('pgt_ivm_before_' || pgt_id, 'pgt_ivm_after_' || pgt_id,
                                  'pgt_ivm_before_trunc_' || pgt_id, 'pgt_ivm_after_trunc_' || pgt_id) LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
    END LOOP;
END $$;

-- Makes the IMMEDIATE triggers match the stream table's mode and sources (none
-- when it is gone or not IMMEDIATE). SECURITY DEFINER: the triggers go on
-- source tables the owner may read but not alter. It takes no instruction
-- from its caller, only the catalog's rows, which only the owner can change,
-- and installs triggers only on sources the owner may read.
CREATE OR REPLACE FUNCTION pgtrickle._sync_ivm_triggers(pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    relid oid;
BEGIN
    PERFORM pgtrickle._drop_ivm_triggers(pgt_id);
    IF COALESCE((SELECT s.refresh_mode FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _sync_ivm_triggers.pgt_id), '') <> 'IMMEDIATE' THEN
        RETURN;
    END IF;
    -- Base tables only: a stream table that reads another stream table is
    -- refreshed by that table's refresh, once its whole MERGE has been
    -- captured (see _refresh), not by per-event triggers on its storage.
    FOR relid IN SELECT d.source_relid FROM pgtrickle.pgt_dependencies d
                   JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = d.pgt_id JOIN pg_class st ON st.oid = s.pgt_relid
                   JOIN pg_class src ON src.oid = d.source_relid
                  WHERE d.pgt_id = _sync_ivm_triggers.pgt_id AND d.source_type = 'TABLE'
                    AND has_table_privilege(st.relowner, src.oid, 'SELECT') LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._ivm_lock(%L)',
                       'pgt_ivm_before_' || pgt_id, relid::regclass, pgt_id);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._ivm_lock(%L)',
                       'pgt_ivm_before_trunc_' || pgt_id, relid::regclass, pgt_id);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._ivm_refresh(%L)',
                       'pgt_ivm_after_' || pgt_id, relid::regclass, pgt_id);
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._ivm_refresh(%L)',
                       'pgt_ivm_after_trunc_' || pgt_id, relid::regclass, pgt_id);
    END LOOP;
END $$;

-- One lock order for an IMMEDIATE stream table: its source tables (in oid
-- order), then its advisory lock, then its catalog row, then its storage. A
-- writer takes its source first (the statement's own lock) and then the
-- advisory lock (_ivm_lock); an API call that drops or creates IMMEDIATE
-- triggers holding the advisory lock first and then waiting for the source
-- deadlocked with it (40P01, seen switching IMMEDIATE -> DIFFERENTIAL while
-- writers ran). Scheduled refreshes never run IMMEDIATE tables, so nothing
-- takes the advisory lock first and a source after it, except a manual
-- refresh, which locks the sources first too (ACCESS SHARE, as it reads them).
-- SECURITY DEFINER (a strong lock on a table needs more than SELECT); only a
-- session whose user may act as the owner may take one.
CREATE OR REPLACE FUNCTION pgtrickle._lock_ivm_sources(pgt_id bigint, lock_mode text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    relid oid;
    owner oid;
BEGIN
    IF lock_mode NOT IN ('ACCESS SHARE', 'ACCESS EXCLUSIVE') THEN
        RAISE EXCEPTION 'internal error: lock mode %', lock_mode USING ERRCODE = 'XX000';
    END IF;
    SELECT c.relowner INTO owner FROM pgtrickle.pgt_stream_tables s JOIN pg_class c ON c.oid = s.pgt_relid
     WHERE s.pgt_id = _lock_ivm_sources.pgt_id AND s.refresh_mode = 'IMMEDIATE';
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF lock_mode = 'ACCESS EXCLUSIVE' AND NOT pg_has_role(session_user, owner, 'MEMBER') THEN
        RAISE EXCEPTION 'must be owner of stream table %', pgt_id USING ERRCODE = '42501';
    END IF;
    FOR relid IN SELECT d.source_relid FROM pgtrickle.pgt_dependencies d JOIN pg_class c ON c.oid = d.source_relid
                  WHERE d.pgt_id = _lock_ivm_sources.pgt_id AND d.source_type = 'TABLE' ORDER BY d.source_relid LOOP
        EXECUTE format('LOCK TABLE %s IN %s MODE', relid::regclass, lock_mode);
    END LOOP;
END $$;
