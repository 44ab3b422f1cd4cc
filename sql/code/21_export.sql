-- Export and maintenance (spec/sql-api.md §6): export_definition,
-- rebuild_cdc_triggers, restore_stream_tables.

-- A psql script that recreates the stream table with the same options: drop
-- it if it exists, create it with every non-default option, then the
-- alter-only settings (tier, fuse). pg_trickle's first line, DROP STREAM
-- TABLE IF EXISTS, is not SQL; ours is a SELECT that drops only if present.
-- refresh_mode is the one asked for (AUTO stays AUTO, so a fallback to FULL
-- happens again by itself); initialize => false when the table was never
-- populated.
CREATE OR REPLACE FUNCTION pgtrickle.export_definition(st_name TEXT) RETURNS TEXT
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
    st   pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(st_name);
    q    text := pgtrickle._qualified(st);
    mode text;
    tag  text := '$pgt$';
    i    int := 0;
    args text[];
    alter_args text[] := '{}';
BEGIN
    SELECT COALESCE(p.requested_mode, st.refresh_mode) INTO mode FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = st.pgt_id;
    mode := COALESCE(mode, st.refresh_mode);
    WHILE position(tag IN st.defining_query) > 0 LOOP
        i := i + 1;
        tag := '$pgt' || i || '$';
    END LOOP;
    args := ARRAY[format('    name => %L', q), format('    query => %s%s%s', tag, st.defining_query, tag)];
    IF st.schedule IS NOT NULL THEN args := args || format('    schedule => %L', st.schedule); END IF;
    args := args || format('    refresh_mode => %L', mode);
    IF NOT st.is_populated THEN args := args || '    initialize => false'::text; END IF;
    IF st.diamond_consistency <> 'atomic' THEN args := args || format('    diamond_consistency => %L', st.diamond_consistency); END IF;
    IF st.diamond_schedule_policy <> 'fastest' THEN args := args || format('    diamond_schedule_policy => %L', st.diamond_schedule_policy); END IF;
    IF st.requested_cdc_mode IS NOT NULL THEN args := args || format('    cdc_mode => %L', st.requested_cdc_mode); END IF;
    IF st.is_append_only THEN args := args || '    append_only => true'::text; END IF;
    IF st.pooler_compatibility_mode THEN args := args || '    pooler_compatibility_mode => true'::text; END IF;
    IF st.st_partition_key IS NOT NULL THEN args := args || format('    partition_by => %L', st.st_partition_key); END IF;
    IF st.max_differential_joins IS NOT NULL THEN args := args || format('    max_differential_joins => %s', st.max_differential_joins); END IF;
    IF st.max_delta_fraction IS NOT NULL THEN args := args || format('    max_delta_fraction => %s', st.max_delta_fraction); END IF;

    IF st.refresh_tier <> 'hot' THEN alter_args := alter_args || format('tier => %L', st.refresh_tier); END IF;
    IF st.fuse_mode <> 'off' THEN alter_args := alter_args || format('fuse => %L', st.fuse_mode); END IF;
    IF st.fuse_ceiling IS NOT NULL THEN alter_args := alter_args || format('fuse_ceiling => %s', st.fuse_ceiling); END IF;
    IF st.fuse_sensitivity IS NOT NULL THEN alter_args := alter_args || format('fuse_sensitivity => %s', st.fuse_sensitivity); END IF;

    RETURN format('SELECT pgtrickle.drop_stream_table(name) FROM pgtrickle.pgt_status() WHERE name = %L;', q) || E'\n'
        || E'SELECT pgtrickle.create_stream_table(\n' || array_to_string(args, E',\n') || E'\n);'
        || CASE WHEN cardinality(alter_args) > 0
                THEN E'\n' || format('SELECT pgtrickle.alter_stream_table(%L, %s);', q, array_to_string(alter_args, ', '))
                ELSE '' END
        || E'\n';
END $$;

-- Rewrites the capture functions and recreates the capture triggers of every
-- captured source (a WARNING per source that fails; the rest go on).
-- SECURITY DEFINER like _ensure_capture: it takes no instruction from its
-- caller, it only brings capture in line with the catalog.
CREATE OR REPLACE FUNCTION pgtrickle.rebuild_cdc_triggers() RETURNS TEXT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    relid oid;
BEGIN
    FOR relid IN SELECT t.source_relid FROM pgtrickle.pgt_change_tracking t
                  WHERE EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.source_relid) ORDER BY 1 LOOP
        BEGIN
            PERFORM pgtrickle._write_capture_functions(relid);
            PERFORM pgtrickle._create_capture_triggers(relid);
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'rebuilding capture triggers of % failed: %', relid::regclass, SQLERRM;
        END;
    END LOOP;
    RETURN 'done';
END $$;

-- Re-creates what the catalog says should exist and does not: change
-- buffers, capture triggers and consumers of every table source (e.g. after
-- a buffer was dropped by hand or the pgtrickle_changes schema restored
-- without it). Stream tables whose sources are gone are left to the DDL
-- handling (they are in ERROR). INFO per repaired source.
CREATE OR REPLACE FUNCTION pgtrickle.restore_stream_tables() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    dep record;
    repaired int := 0;
BEGIN
    FOR dep IN SELECT d.pgt_id, d.source_relid FROM pgtrickle.pgt_dependencies d
                WHERE d.source_type IN ('TABLE', 'STREAM_TABLE')
                  AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = d.source_relid)
                ORDER BY d.source_relid, d.pgt_id LOOP
        IF to_regclass(format('pgtrickle_changes.%I', 'changes_' || dep.source_relid)) IS NULL THEN
            -- the tracking row without its buffer is stale: start over from the
            -- catalog; changes made meanwhile are lost, so every consumer
            -- recomputes (needs_reinit: its next refresh is FULL)
            DELETE FROM pgtrickle.pgt_change_tracking WHERE source_relid = dep.source_relid;
            RAISE INFO 'restoring the change buffer of %', dep.source_relid::regclass;
            repaired := repaired + 1;
            PERFORM pgtrickle._ensure_capture(dep.source_relid::regclass, d.pgt_id)
               FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = dep.source_relid;
            PERFORM pgtrickle._transition(d.pgt_id, 'needs_reinit')
               FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = dep.source_relid;
        END IF;
        PERFORM pgtrickle._ensure_capture(dep.source_relid::regclass, dep.pgt_id);
    END LOOP;
    PERFORM pgtrickle.rebuild_cdc_triggers();
    RAISE INFO 'restore_stream_tables: % change buffer(s) restored, capture triggers checked', repaired;
END $$;
