-- Source DDL (spec/architecture.md §8): dependency views and event triggers.
--
-- Each stream table owns a view pgtrickle.pgt_dep_<pgt_id> over its defining
-- query. PostgreSQL then tracks the dependencies itself, by OID: dropping a
-- source table or a column the query uses, or changing that column's type, is
-- refused (pg_trickle's default block_source_ddl = on) unless CASCADE is given,
-- and renames are followed. Event triggers react to what PostgreSQL allows:
-- capture and stored query are brought up to date and the next refresh is a
-- full one, or — when CASCADE removed what the query needs — the stream table
-- goes to ERROR with the reason and an alert.

CREATE OR REPLACE FUNCTION pgtrickle._dependency_view_name(pgt_id bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT 'pgt_dep_' || pgt_id $$;

-- (Re)creates the dependency view from the stored query. SECURITY DEFINER (the
-- view lives in pgtrickle) and, like every such function here, it follows the
-- catalog, not its caller: the stored query can only be written by the stream
-- table's owner. The view is owned by the catalog owner and readable by nobody
-- else; it exists for pg_depend, and is never queried.
CREATE OR REPLACE FUNCTION pgtrickle._create_dependency_view(pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    view_name text := format('pgtrickle.%I', pgtrickle._dependency_view_name(pgt_id));
    query text := (SELECT s.defining_query FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _create_dependency_view.pgt_id);
BEGIN
    -- Dropped first: a replaced query may have other output columns.
    IF to_regclass(view_name) IS NOT NULL THEN
        PERFORM pgtrickle._internal_ddl(format('DROP VIEW %s', view_name));
    END IF;
    IF query IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE VIEW %s AS %s', view_name, query);
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', view_name);
    EXECUTE format('COMMENT ON VIEW %s IS %L', view_name,
                   'Holds the dependencies of pgtrickle stream table ' || pgt_id || ' on its sources; do not drop.');
END $$;

-- Runs DDL of pgtrickle's own that the drop event trigger must not read as a
-- user dropping something a stream table needs.
CREATE OR REPLACE FUNCTION pgtrickle._internal_ddl(statement text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    previous text := COALESCE(current_setting('pgtrickle.internal_ddl', true), '');
BEGIN
    PERFORM set_config('pgtrickle.internal_ddl', 'on', true);
    EXECUTE statement;
    PERFORM set_config('pgtrickle.internal_ddl', previous, true);
END $$;

-- Drops the dependency view of a stream table that is gone from the catalog.
CREATE OR REPLACE FUNCTION pgtrickle._drop_dependency_view(pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _drop_dependency_view.pgt_id) THEN
        RAISE EXCEPTION 'internal error: stream table % still exists; its dependency view stays', pgt_id USING ERRCODE = 'XX000';
    END IF;
    PERFORM pgtrickle._internal_ddl(format('DROP VIEW IF EXISTS pgtrickle.%I', pgtrickle._dependency_view_name(pgt_id)));
END $$;

-- The stored query as PostgreSQL now sees it (renames followed), schema-qualified.
CREATE OR REPLACE FUNCTION pgtrickle._current_definition(pgt_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    view_oid oid := to_regclass(format('pgtrickle.%I', pgtrickle._dependency_view_name(pgt_id)));
    saved_path text := current_setting('search_path');
    result text;
BEGIN
    IF view_oid IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('search_path', 'pg_catalog', true);
    result := rtrim(btrim(pg_get_viewdef(view_oid, true)), ';');
    PERFORM set_config('search_path', saved_path, true);
    RETURN result;
END $$;

-- Puts a stream table and everything downstream of it in ERROR with a reason.
CREATE OR REPLACE FUNCTION pgtrickle._fail_downstream(pgt_id bigint, reason text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    st pgtrickle.pgt_stream_tables;
BEGIN
    FOR st IN
        WITH RECURSIVE affected(id) AS (
            SELECT _fail_downstream.pgt_id
            UNION
            SELECT d.pgt_id FROM affected
              JOIN pgtrickle.pgt_stream_tables u ON u.pgt_id = affected.id
              JOIN pgtrickle.pgt_dependencies d ON d.source_relid = u.pgt_relid)
        SELECT s.* FROM pgtrickle.pgt_stream_tables s JOIN affected ON affected.id = s.pgt_id
    LOOP
        st := pgtrickle._transition(st.pgt_id, 'fail', jsonb_build_object('needs_reinit', true,
            'message', CASE WHEN st.pgt_id = _fail_downstream.pgt_id THEN reason
                            ELSE 'an upstream stream table failed: ' || reason END));
        PERFORM pgtrickle._alert('reinitialize_needed', st, jsonb_build_object('reason', st.last_error_message));
        PERFORM pgtrickle._signal_coordinator('alter', st.pgt_id);
    END LOOP;
END $$;

-- Brings capture of a source in line with its columns after ALTER TABLE
-- (buffer columns matched by attnum: added, dropped, renamed, retyped), and
-- re-derives the stored query and plan of every stream table reading it.
CREATE OR REPLACE FUNCTION pgtrickle._resync_source(relid oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    before jsonb := (SELECT b.columns FROM pgtrickle.pgt_coord_buffers b WHERE b.source_relid = relid);
    after  jsonb := pgtrickle._source_columns(relid);
    buffer text := format('pgtrickle_changes.%I', 'changes_' || relid);
    col record;
    st pgtrickle.pgt_stream_tables;
    definition text;
    columns_changed boolean := before IS NOT NULL AND before IS DISTINCT FROM after;
    -- A replaced view changes what its readers compute even when its name and columns stay.
    is_view boolean := (SELECT c.relkind = 'v' FROM pg_class c WHERE c.oid = relid);
BEGIN
    IF columns_changed THEN
        FOR col IN
            SELECT o.value AS old, n.value AS new
              FROM jsonb_array_elements(before) o FULL JOIN jsonb_array_elements(after) n
                ON (o.value ->> 'attnum') = (n.value ->> 'attnum')
        LOOP
            IF col.new IS NULL THEN
                EXECUTE format('ALTER TABLE %s DROP COLUMN %I, DROP COLUMN %I', buffer, 'new_' || (col.old ->> 'name'), 'old_' || (col.old ->> 'name'));
            ELSIF col.old IS NULL THEN
                EXECUTE format('ALTER TABLE %s ADD COLUMN %I %s, ADD COLUMN %I %s', buffer,
                               'new_' || (col.new ->> 'name'), col.new ->> 'type', 'old_' || (col.new ->> 'name'), col.new ->> 'type');
            ELSE
                IF col.old ->> 'name' <> col.new ->> 'name' THEN
                    EXECUTE format('ALTER TABLE %s RENAME COLUMN %I TO %I', buffer, 'new_' || (col.old ->> 'name'), 'new_' || (col.new ->> 'name'));
                    EXECUTE format('ALTER TABLE %s RENAME COLUMN %I TO %I', buffer, 'old_' || (col.old ->> 'name'), 'old_' || (col.new ->> 'name'));
                END IF;
                IF col.old ->> 'type' <> col.new ->> 'type' THEN
                    -- Only a column no stream table reads can change type (the dependency
                    -- view blocks the others), so its old images are not needed.
                    EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE %s USING NULL, ALTER COLUMN %I TYPE %s USING NULL', buffer,
                                   'new_' || (col.new ->> 'name'), col.new ->> 'type', 'old_' || (col.new ->> 'name'), col.new ->> 'type');
                END IF;
            END IF;
        END LOOP;
        PERFORM pgtrickle._write_capture_functions(relid);
    END IF;

    FOR st IN SELECT s.* FROM pgtrickle.pgt_stream_tables s JOIN pgtrickle.pgt_dependencies d USING (pgt_id)
               WHERE d.source_relid = relid LOOP
        definition := pgtrickle._current_definition(st.pgt_id);
        IF definition IS NULL OR (definition = st.defining_query AND NOT columns_changed AND NOT is_view) THEN
            CONTINUE;
        END IF;
        UPDATE pgtrickle.pgt_stream_tables s SET defining_query = definition WHERE s.pgt_id = st.pgt_id;
        st := pgtrickle._transition(st.pgt_id, 'needs_reinit');
        UPDATE pgtrickle.pgt_dependencies d
           SET column_snapshot = after, schema_fingerprint = md5(after::text)
         WHERE d.pgt_id = st.pgt_id AND d.source_relid = relid;
        -- The plan is re-derived from the query; the next refresh is a full one.
        PERFORM pgtrickle._reset_plan(st.pgt_id);
        PERFORM pgtrickle._alert('reinitialize_needed', st, jsonb_build_object(
            'reason', format('source %s changed (ALTER TABLE)', relid::regclass)));
        PERFORM pgtrickle._signal_coordinator('alter', st.pgt_id);
    END LOOP;
END $$;

-- The event triggers run for every role's DDL, also roles with no pgtrickle
-- grants (whose CREATE TABLE must not fail because they cannot read the
-- catalog): SECURITY DEFINER, as the catalog owner, with a pinned search_path.
-- They act only on catalog rows and on what pg_class says.
CREATE OR REPLACE FUNCTION pgtrickle._on_ddl_end() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    relid oid;
    st pgtrickle.pgt_stream_tables;
BEGIN
    IF current_setting('pgtrickle.internal_ddl', true) = 'on' THEN
        RETURN;  -- pgtrickle's own DDL (replaced storage, dependency views) needs no follow-up
    END IF;
    -- A storage table (or its schema) renamed: the stream table follows it. Its
    -- plans name the storage table, so they are re-derived (the next refresh is FULL).
    FOR st IN
        WITH renamed AS (
            UPDATE pgtrickle.pgt_stream_tables s
               SET pgt_name = c.relname, pgt_schema = n.nspname, updated_at = now()
              FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = s.pgt_relid AND (c.relname <> s.pgt_name OR n.nspname <> s.pgt_schema)
            RETURNING s.*)
        SELECT * FROM renamed
    LOOP
        PERFORM pgtrickle._reset_plan(st.pgt_id);
        PERFORM pgtrickle._signal_coordinator('alter', st.pgt_id);
    END LOOP;
    -- A schema renamed: the stored queries of stream tables reading its tables follow.
    FOR relid IN
        SELECT DISTINCT d.source_relid FROM pg_event_trigger_ddl_commands() c
          JOIN pg_catalog.pg_class r ON r.relnamespace = c.objid
          JOIN pgtrickle.pgt_dependencies d ON d.source_relid = r.oid
         WHERE c.classid = 'pg_namespace'::regclass
    LOOP
        PERFORM pgtrickle._resync_source(relid);
    END LOOP;
    FOR relid IN
        SELECT DISTINCT c.objid FROM pg_event_trigger_ddl_commands() c
         WHERE c.classid = 'pg_class'::regclass AND c.command_tag IN ('ALTER TABLE', 'ALTER VIEW', 'CREATE VIEW')
           AND EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = c.objid)
    LOOP
        PERFORM pgtrickle._resync_source(relid);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle._on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    obj record;
    st pgtrickle.pgt_stream_tables;
BEGIN
    IF current_setting('pgtrickle.internal_ddl', true) = 'on' THEN
        RETURN;  -- pgtrickle's own drops (replaced storage, dependency views) are not user DDL
    END IF;
    FOR obj IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
        IF obj.classid <> 'pg_class'::regclass THEN
            CONTINUE;
        END IF;
        -- A stream table's storage dropped directly: forget the stream table.
        FOR st IN SELECT s.* FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_relid = obj.objid AND obj.objsubid = 0 LOOP
            PERFORM pgtrickle._detach_sources(st.pgt_id);
            DELETE FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = st.pgt_id;
            PERFORM pgtrickle._sync_ivm_triggers(st.pgt_id);
            PERFORM pgtrickle._drop_dependency_view(st.pgt_id);
            PERFORM pgtrickle._signal_coordinator('drop', st.pgt_id);
        END LOOP;
        -- A source dropped (DROP … CASCADE): its readers cannot be refreshed any more.
        IF obj.objsubid = 0 AND EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = obj.objid) THEN
            FOR st IN SELECT s.* FROM pgtrickle.pgt_stream_tables s JOIN pgtrickle.pgt_dependencies d USING (pgt_id)
                       WHERE d.source_relid = obj.objid LOOP
                PERFORM pgtrickle._fail_downstream(st.pgt_id, format('upstream table dropped: %s', obj.object_identity));
            END LOOP;
            UPDATE pgtrickle.pgt_change_tracking SET tracked_by_pgt_ids = '{}' WHERE source_relid = obj.objid;
            PERFORM pgtrickle._release_capture(obj.objid, NULL);
            DELETE FROM pgtrickle.pgt_coord_frontiers f WHERE f.source_relid = obj.objid;
        END IF;
        -- A column the query used dropped (… CASCADE), or the dependency view itself.
        IF obj.object_type = 'view' AND obj.schema_name = 'pgtrickle' AND obj.object_name ~ '^pgt_dep_[0-9]+$' THEN
            SELECT s.* INTO st FROM pgtrickle.pgt_stream_tables s
             WHERE s.pgt_id = substring(obj.object_name FROM '[0-9]+$')::bigint AND s.status <> 'ERROR';
            IF FOUND THEN
                PERFORM pgtrickle._fail_downstream(st.pgt_id,
                    'upstream table schema changed: a column or relation the defining query reads was dropped (CASCADE)');
            END IF;
        END IF;
    END LOOP;
END $$;

DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        DROP EVENT TRIGGER IF EXISTS pg_trickle_ddl_tracker;
        DROP EVENT TRIGGER IF EXISTS pg_trickle_drop_tracker;
        CREATE EVENT TRIGGER pg_trickle_ddl_tracker ON ddl_command_end EXECUTE FUNCTION pgtrickle._on_ddl_end();
        CREATE EVENT TRIGGER pg_trickle_drop_tracker ON sql_drop EXECUTE FUNCTION pgtrickle._on_sql_drop();
    ELSE
        RAISE WARNING 'pgtrickle: % is not a superuser, so changes to source tables are not tracked (event triggers need a superuser)', current_user;
    END IF;
END $$;
