-- A stream table's parts: storage table, sources and the generic plan.
--
-- Used by the lifecycle API (12_lifecycle_api.sql) and DDL handling.

-- The statement-level guards that refuse direct writes to a storage table
-- (CREATE OR REPLACE: also how the regenerate step restores them).
CREATE OR REPLACE FUNCTION pgtrickle._create_storage_guards(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE OR REPLACE TRIGGER pgt_dml_guard BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._guard_stream_table_dml()', target);
    EXECUTE format('CREATE OR REPLACE TRIGGER pgt_truncate_guard BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._guard_stream_table_dml()', target);
END $$;

-- Creates the storage table for the analysed query: __pgt_row_id first, then
-- the query's output columns with their types and collations, a unique index on
-- the row id, and the statement-level DML guard.
CREATE OR REPLACE FUNCTION pgtrickle._create_storage(schema_name text, table_name text, analysis jsonb) RETURNS regclass
LANGUAGE plpgsql AS $$
DECLARE
    col jsonb;
    defs text := '__pgt_row_id bigint NOT NULL';
    target regclass;
    position int := 0;
BEGIN
    FOR col IN SELECT * FROM jsonb_array_elements(analysis -> 'columns') LOOP
        position := position + 1;
        IF col ->> 'name' LIKE '\_\_pgt\_%' THEN
            RAISE EXCEPTION 'invalid argument: output column "%" uses the reserved prefix __pgt_', col ->> 'name'
                USING ERRCODE = '22023', HINT = 'Rename the column with an alias.';
        END IF;
        IF col ->> 'name' = '?column?' THEN
            RAISE EXCEPTION 'invalid argument: output column % of the defining query has no name', position
                USING ERRCODE = '22023', HINT = 'Give every computed column an alias, e.g. SELECT a + b AS total.';
        END IF;
        defs := defs || format(', %I %s%s', col ->> 'name', col ->> 'type',
                               COALESCE(' COLLATE ' || (col ->> 'collation'), ''));
    END LOOP;
    EXECUTE format('CREATE TABLE %I.%I (%s)', schema_name, table_name, defs);
    target := format('%I.%I', schema_name, table_name)::regclass;
    EXECUTE format('CREATE UNIQUE INDEX ON %s (__pgt_row_id)', target);
    PERFORM pgtrickle._create_storage_guards(target);
    RETURN target;
END $$;

-- Stream tables are maintained by other sessions, which cannot see a
-- session's temporary tables. Checked before anything is created (the
-- dependency view would otherwise fail first with a less helpful 42P16).
CREATE OR REPLACE FUNCTION pgtrickle._check_no_temporary_sources(analysis jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    src jsonb;
BEGIN
    FOR src IN SELECT * FROM jsonb_array_elements(analysis -> 'sources') LOOP
        IF src ->> 'persistence' = 't' THEN
            RAISE EXCEPTION 'invalid argument: the defining query reads temporary table %', src ->> 'name'
                USING ERRCODE = '22023', HINT = 'Stream tables are maintained by other sessions and cannot read temporary tables.';
        END IF;
    END LOOP;
END $$;

-- Records the query's sources, sets up capture for tables and stream tables,
-- and creates an empty frontier per captured source.
CREATE OR REPLACE FUNCTION pgtrickle._attach_sources(pgt_id bigint, analysis jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    src jsonb;
    kind text;
BEGIN
    FOR src IN SELECT * FROM jsonb_array_elements(analysis -> 'sources') LOOP
        kind := src ->> 'source_type';
        IF kind = 'OTHER' THEN
            CONTINUE;
        END IF;
        INSERT INTO pgtrickle.pgt_dependencies (pgt_id, source_relid, source_type, columns_used, column_snapshot, schema_fingerprint)
        SELECT _attach_sources.pgt_id, (src ->> 'relid')::oid, kind,
               CASE WHEN src -> 'columns_used' = 'null'::jsonb THEN NULL
                    ELSE ARRAY(SELECT jsonb_array_elements_text(src -> 'columns_used')) END,
               snap, md5(snap::text)
          FROM (SELECT jsonb_agg(jsonb_build_object('name', attname, 'type', format_type(atttypid, atttypmod),
                                                   'attnum', attnum, 'not_null', attnotnull) ORDER BY attnum) AS snap
                  FROM pg_attribute WHERE attrelid = (src ->> 'relid')::oid AND attnum > 0 AND NOT attisdropped) s;
        IF kind IN ('TABLE', 'STREAM_TABLE') THEN
            PERFORM pgtrickle._ensure_capture((src ->> 'relid')::oid::regclass, pgt_id);
            INSERT INTO pgtrickle.pgt_coord_frontiers (pgt_id, source_relid) VALUES (pgt_id, (src ->> 'relid')::oid);
        END IF;
    END LOOP;
    UPDATE pgtrickle.pgt_stream_tables s
       SET has_keyless_source = EXISTS (SELECT 1 FROM jsonb_array_elements(analysis -> 'sources') e
                                         WHERE e ->> 'source_type' IN ('TABLE', 'MATVIEW', 'FOREIGN_TABLE')
                                           AND NOT (e ->> 'has_pk')::boolean),
           functions_used = ARRAY(SELECT jsonb_array_elements_text(analysis -> 'functions'))
     WHERE s.pgt_id = _attach_sources.pgt_id;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle._detach_sources(pgt_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    relid oid;
    captured oid[] := ARRAY(SELECT pgtrickle._captured_sources(_detach_sources.pgt_id));
BEGIN
    -- The catalog first: capture is released for consumers the catalog no longer lists.
    DELETE FROM pgtrickle.pgt_coord_frontiers f WHERE f.pgt_id = _detach_sources.pgt_id;
    DELETE FROM pgtrickle.pgt_dependencies d WHERE d.pgt_id = _detach_sources.pgt_id;
    FOREACH relid IN ARRAY captured LOOP
        PERFORM pgtrickle._release_capture(relid, pgt_id);
    END LOOP;
END $$;

-- Drops the hidden columns a compiled plan added (all __pgt_ columns but the row id).
CREATE OR REPLACE FUNCTION pgtrickle._drop_hidden_columns(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    col text;
BEGIN
    FOR col IN SELECT attname FROM pg_attribute
                WHERE attrelid = target AND attnum > 0 AND NOT attisdropped
                  AND attname LIKE '\_\_pgt\_%' AND attname <> '__pgt_row_id' LOOP
        EXECUTE format('ALTER TABLE %s DROP COLUMN %I', target, col);
    END LOOP;
END $$;

-- Writes the plan-less FULL plan; DIFFERENTIAL tables also ask the
-- coordinator for a compiled plan (DESIGN D2). Until it arrives refreshes are FULL.
CREATE OR REPLACE FUNCTION pgtrickle._reset_plan(pgt_id bigint, requested_mode text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    st pgtrickle.pgt_stream_tables;
    previous_mode text;
BEGIN
    SELECT * INTO st FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _reset_plan.pgt_id;
    SELECT p.requested_mode INTO previous_mode FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = _reset_plan.pgt_id;
    DELETE FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = _reset_plan.pgt_id;
    INSERT INTO pgtrickle.pgt_coord_plans (pgt_id, plan_kind, requested_mode, full_sql)
    VALUES (pgt_id, 'GENERIC_FULL', COALESCE(requested_mode, previous_mode, st.refresh_mode),
            pgtrickle._generic_full_sql(pgt_id, st.pgt_relid::regclass, st.defining_query));
    IF st.refresh_mode IN ('DIFFERENTIAL', 'IMMEDIATE') THEN
        PERFORM pgtrickle._transition(pgt_id, 'plan_requested');
    END IF;
    -- Hidden columns of an earlier compiled plan are not written by the generic plan.
    PERFORM pgtrickle._drop_hidden_columns(st.pgt_relid::regclass);
END $$;
