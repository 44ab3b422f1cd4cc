-- Change capture (DESIGN D4): change buffers, trigger functions, per-source probes.
--
-- _write_capture_functions generates the per-source functions in
-- pgtrickle_changes; the regenerate step (16_regenerate.sql) rewrites them for
-- every tracked source on each install and upgrade.

-- Storage tables refuse direct writes; the refresh executor sets
-- pg_trickle.internal_refresh for its own statements only (the owner's runner).
-- Statement-level, so a refresh of a million rows pays for it once.
CREATE OR REPLACE FUNCTION pgtrickle._guard_stream_table_dml() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF COALESCE(current_setting('pg_trickle.internal_refresh', true), '') <> 'true' THEN
        RAISE EXCEPTION 'Direct DML on stream table % is not allowed', format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME)
            USING HINT = 'Stream tables are maintained by pgtrickle; change the source tables, or use pgtrickle.refresh_stream_table / alter_stream_table.',
                  ERRCODE = '42501';
    END IF;
    RETURN NULL;
END $$;

-- The columns of a source as capture sees them: attnum order, name, type, and
-- whether the primary key includes them. Compared with the stored copy in
-- pgt_coord_buffers to tell what an ALTER TABLE changed.
CREATE OR REPLACE FUNCTION pgtrickle._source_columns(relid oid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(jsonb_agg(jsonb_build_object(
               'attnum', a.attnum, 'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
               'pk', EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = relid AND i.indisprimary AND a.attnum = ANY (i.indkey)))
             ORDER BY a.attnum), '[]')
      FROM pg_attribute a WHERE a.attrelid = relid AND a.attnum > 0 AND NOT a.attisdropped
$$;

-- (Re)writes the three row-capture functions and the TRUNCATE function of a
-- source from its current columns and primary key. CREATE OR REPLACE: the
-- triggers keep pointing at them.
CREATE OR REPLACE FUNCTION pgtrickle._write_capture_functions(relid oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    buffer   text := format('pgtrickle_changes.%I', 'changes_' || relid);
    new_cols text;
    old_cols text;
    n_values text;
    o_values text;
    nulls    text;
    pk_join  text;
    upd_body text;
    op       text;
    fn_attrs text := 'LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle_changes';
    -- SECURITY DEFINER (they write a buffer users cannot), so they refuse to run
    -- from any trigger but the one installed on their own source: attached to
    -- another table they would forge rows into this source's buffer.
    own_trigger text := 'IF TG_RELID OPERATOR(pg_catalog.<>) ' || relid || '::oid THEN
        RAISE EXCEPTION ''pgtrickle capture function fired by a trigger pgtrickle did not install'' USING ERRCODE = ''42501'';
    END IF;';
BEGIN
    SELECT string_agg(format('%I', 'new_' || attname), ', ' ORDER BY attnum),
           string_agg(format('%I', 'old_' || attname), ', ' ORDER BY attnum),
           string_agg(format('n.%I', attname), ', ' ORDER BY attnum),
           string_agg(format('o.%I', attname), ', ' ORDER BY attnum),
           string_agg('NULL', ', ')
      INTO new_cols, old_cols, n_values, o_values, nulls
      FROM pg_attribute
     WHERE attrelid = relid AND attnum > 0 AND NOT attisdropped;

    -- Primary-key join for UPDATE pairing (keyed tables only).
    SELECT string_agg(format('n.%I OPERATOR(pg_catalog.=) o.%I', a.attname, a.attname), ' AND ')
      INTO pk_join
      FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = relid AND i.indisprimary;

    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I() RETURNS trigger %s AS $f$
BEGIN
    ' || own_trigger || '
    INSERT INTO %s (action, %s) SELECT ''I'', %s FROM __pgt_new n;
    RETURN NULL;
END $f$', 'pg_trickle_cdc_ins_fn_' || relid, fn_attrs, buffer, new_cols, n_values);

    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I() RETURNS trigger %s AS $f$
BEGIN
    ' || own_trigger || '
    INSERT INTO %s (action, %s) SELECT ''D'', %s FROM __pgt_old o;
    RETURN NULL;
END $f$', 'pg_trickle_cdc_del_fn_' || relid, fn_attrs, buffer, old_cols, o_values);

    IF pk_join IS NOT NULL THEN
        -- One U row per key present before and after; D/I for keys that changed.
        upd_body := format('INSERT INTO %1$s (action, %2$s, %3$s)
        SELECT ''U'', %4$s, %5$s FROM __pgt_new n JOIN __pgt_old o ON %6$s
        UNION ALL
        SELECT ''D'', %7$s, %5$s FROM __pgt_old o WHERE NOT EXISTS (SELECT 1 FROM __pgt_new n WHERE %6$s)
        UNION ALL
        SELECT ''I'', %4$s, %7$s FROM __pgt_new n WHERE NOT EXISTS (SELECT 1 FROM __pgt_old o WHERE %6$s);',
            buffer, new_cols, old_cols, n_values, o_values, pk_join, nulls);
    ELSE
        -- Keyless: an update is a delete of the old image and an insert of the new.
        upd_body := format('INSERT INTO %1$s (action, %2$s) SELECT ''D'', %3$s FROM __pgt_old o;
    INSERT INTO %1$s (action, %4$s) SELECT ''I'', %5$s FROM __pgt_new n;',
            buffer, old_cols, o_values, new_cols, n_values);
    END IF;

    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I() RETURNS trigger %s AS $f$
BEGIN
    ' || own_trigger || '
    %s
    RETURN NULL;
END $f$', 'pg_trickle_cdc_upd_fn_' || relid, fn_attrs, upd_body);

    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I() RETURNS trigger %s AS $f$
BEGIN
    ' || own_trigger || '
    INSERT INTO %s (action) VALUES (''T'');
    RETURN NULL;
END $f$', 'pg_trickle_cdc_truncate_fn_' || relid, fn_attrs, buffer);

    -- The buffer statements of every refresh (window probe, cleanup, pending
    -- count, TRUNCATE re-check), as static SQL so plpgsql caches their plans
    -- (as dynamic SQL they were parsed and planned on every refresh: half the
    -- cost of a no-change refresh). The probes are STABLE: they see the
    -- snapshot of the statement that calls them, which is what lets
    -- _advance_idle_frontier check and advance in one statement.
    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I(pgt_id bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $f$
BEGIN
    RETURN EXISTS (SELECT 1 FROM %s AS c WHERE %s);
END $f$', 'pgt_window_' || relid, buffer, pgtrickle._window_predicate_for('$1', relid));
    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I(horizon xid8) RETURNS void
LANGUAGE plpgsql AS $f$
BEGIN
    DELETE FROM %s WHERE xid OPERATOR(pg_catalog.<) $1;
END $f$', 'pgt_cleanup_' || relid, buffer);
    -- Rows in the window, and whether a TRUNCATE is among them.
    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I(pgt_id bigint, OUT pending bigint, OUT has_truncate boolean)
LANGUAGE plpgsql STABLE AS $f$
BEGIN
    SELECT pg_catalog.count(*), COALESCE(pg_catalog.bool_or(c.action OPERATOR(pg_catalog.=) ''T''), false)
      INTO pending, has_truncate
      FROM %s AS c WHERE %s;
END $f$', 'pgt_pending_' || relid, buffer, pgtrickle._window_predicate_for('$1', relid));
    -- After a DIFFERENTIAL statement: did it consume a TRUNCATE, i.e. one
    -- visible to the frontier it stored ($1's) but not to the one before ($2)?
    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I(pgt_id bigint, previous pg_snapshot) RETURNS boolean
LANGUAGE plpgsql STABLE AS $f$
BEGIN
    RETURN EXISTS (SELECT 1 FROM %s AS c, pgtrickle.pgt_coord_frontiers AS f
                    WHERE f.pgt_id OPERATOR(pg_catalog.=) $1 AND f.source_relid OPERATOR(pg_catalog.=) %s::oid
                      AND c.action OPERATOR(pg_catalog.=) ''T''
                      AND c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin($2)
                      AND pg_catalog.pg_visible_in_snapshot(c.xid, f.frontier)
                      AND NOT pg_catalog.pg_visible_in_snapshot(c.xid, $2));
END $f$', 'pgt_truncate_consumed_' || relid, buffer, relid);

    -- Trigger functions need no EXECUTE grant to fire; the probes are called by
    -- refreshes, which run as the stream table's owner; cleanup only by the catalog owner.
    FOREACH op IN ARRAY ARRAY['ins', 'upd', 'del', 'truncate'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION pgtrickle_changes.%I() FROM PUBLIC', 'pg_trickle_cdc_' || op || '_fn_' || relid);
    END LOOP;
    EXECUTE format('REVOKE ALL ON FUNCTION pgtrickle_changes.%I(xid8) FROM PUBLIC', 'pgt_cleanup_' || relid);
    EXECUTE format('REVOKE ALL ON FUNCTION pgtrickle_changes.%I(bigint) FROM PUBLIC', 'pgt_window_' || relid);
    EXECUTE format('REVOKE ALL ON FUNCTION pgtrickle_changes.%I(bigint) FROM PUBLIC', 'pgt_pending_' || relid);
    EXECUTE format('REVOKE ALL ON FUNCTION pgtrickle_changes.%I(bigint, pg_snapshot) FROM PUBLIC', 'pgt_truncate_consumed_' || relid);
    EXECUTE format('GRANT EXECUTE ON FUNCTION pgtrickle_changes.%I(bigint), pgtrickle_changes.%I(bigint), pgtrickle_changes.%I(bigint, pg_snapshot) TO pgtrickle_user',
                   'pgt_window_' || relid, 'pgt_pending_' || relid, 'pgt_truncate_consumed_' || relid);

    INSERT INTO pgtrickle.pgt_coord_buffers (source_relid, columns) VALUES (relid, pgtrickle._source_columns(relid))
    ON CONFLICT (source_relid) DO UPDATE SET columns = EXCLUDED.columns;
END $$;

-- The four statement-level capture triggers of a source, pointing at its
-- generated functions (CREATE OR REPLACE: also how the regenerate step
-- restores them).
CREATE OR REPLACE FUNCTION pgtrickle._create_capture_triggers(relid oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    source regclass := relid::regclass;
BEGIN
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS __pgt_new FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle_changes.%I()',
                   'pg_trickle_cdc_ins_' || relid, source, 'pg_trickle_cdc_ins_fn_' || relid);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON %s REFERENCING NEW TABLE AS __pgt_new OLD TABLE AS __pgt_old FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle_changes.%I()',
                   'pg_trickle_cdc_upd_' || relid, source, 'pg_trickle_cdc_upd_fn_' || relid);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS __pgt_old FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle_changes.%I()',
                   'pg_trickle_cdc_del_' || relid, source, 'pg_trickle_cdc_del_fn_' || relid);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle_changes.%I()',
                   'pg_trickle_cdc_truncate_' || relid, source, 'pg_trickle_cdc_truncate_fn_' || relid);
END $$;

-- Who may read a change buffer: the owners of its consumers who may read its
-- source (DESIGN D13: a buffer is as readable as its source); nobody else.
CREATE OR REPLACE FUNCTION pgtrickle._sync_buffer_grants(relid oid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    buffer  text := format('pgtrickle_changes.%I', 'changes_' || relid);
    grantee oid;
BEGIN
    IF to_regclass(buffer) IS NULL THEN
        RETURN;
    END IF;
    FOR grantee IN SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a
                    WHERE c.oid = to_regclass(buffer) AND a.grantee <> c.relowner LOOP
        EXECUTE format('REVOKE ALL ON %s FROM %s', buffer, CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(grantee::regrole::text) END);
    END LOOP;
    FOR grantee IN SELECT DISTINCT c.relowner FROM pgtrickle.pgt_dependencies d
                     JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = d.pgt_id JOIN pg_class c ON c.oid = s.pgt_relid
                    WHERE d.source_relid = relid AND pg_catalog.has_table_privilege(c.relowner, relid, 'SELECT') LOOP
        EXECUTE format('GRANT SELECT ON %s TO %s', buffer, quote_ident(grantee::regrole::text));
    END LOOP;
END $$;

-- Creates (once per source) the change buffer, the trigger functions and the
-- statement-level triggers, and registers pgt_id as a consumer.
-- SECURITY DEFINER: a user may create a stream table over a table she can
-- read but not put triggers on. It takes no instruction from its caller: the
-- consumer must already depend on the source in the catalog (rows only their
-- owner can write) and its owner must be allowed to read the source.
CREATE OR REPLACE FUNCTION pgtrickle._ensure_capture(source regclass, consumer bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    relid    oid := source::oid;
    buffer   text := format('pgtrickle_changes.%I', 'changes_' || relid);
    col_defs text;
    owner    oid;
BEGIN
    SELECT c.relowner INTO owner FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = d.pgt_id
      JOIN pg_class c ON c.oid = s.pgt_relid
     WHERE d.pgt_id = consumer AND d.source_relid = relid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'internal error: stream table % does not depend on %', consumer, source USING ERRCODE = 'XX000';
    END IF;
    IF NOT has_table_privilege(owner, relid, 'SELECT') THEN
        RAISE EXCEPTION 'permission denied for table %', source
            USING ERRCODE = '42501', HINT = 'A stream table''s owner needs SELECT on every table it reads through a change buffer.';
    END IF;
    IF EXISTS (SELECT 1 FROM pgtrickle.pgt_change_tracking WHERE source_relid = relid) THEN
        UPDATE pgtrickle.pgt_change_tracking
           SET tracked_by_pgt_ids = array_append(array_remove(tracked_by_pgt_ids, consumer), consumer)
         WHERE source_relid = relid;
        PERFORM pgtrickle._sync_buffer_grants(relid);
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = relid AND attnum > 0 AND NOT attisdropped
                                            AND octet_length('new_' || attname) > 63) THEN
        RAISE EXCEPTION 'invalid argument: source table % has a column name longer than 59 bytes, which cannot be captured', source
            USING ERRCODE = '22023', HINT = 'Rename the column or read it through a view with a shorter alias.';
    END IF;
    SELECT string_agg(format('%I %s, %I %s', 'new_' || attname, format_type(atttypid, atttypmod),
                                             'old_' || attname, format_type(atttypid, atttypmod)), ', ' ORDER BY attnum)
      INTO col_defs
      FROM pg_attribute WHERE attrelid = relid AND attnum > 0 AND NOT attisdropped;
    -- Refreshes delete consumed rows constantly; vacuum buffers early so window
    -- probes do not walk dead index entries (bench/refresh, finding 3).
    EXECUTE format('CREATE TABLE %s (change_id bigint NOT NULL DEFAULT nextval(''pgtrickle_changes.change_seq''), '
                   'xid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(), action char(1) NOT NULL, %s) '
                   'WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)',
                   buffer, col_defs);
    EXECUTE format('CREATE INDEX ON %s (xid)', buffer);
    -- TRUNCATE markers are rare; the re-check after every DIFFERENTIAL
    -- statement looks for one and should not walk the whole window to do so.
    EXECUTE format('CREATE INDEX ON %s (xid) WHERE action = ''T''', buffer);
    PERFORM pgtrickle._write_capture_functions(relid);

    PERFORM pgtrickle._create_capture_triggers(relid);

    INSERT INTO pgtrickle.pgt_change_tracking (source_relid, slot_name, tracked_by_pgt_ids)
    VALUES (relid, 'pg_trickle_cdc_ins_' || relid, ARRAY[consumer]);
    PERFORM pgtrickle._sync_buffer_grants(relid);
END $$;

-- Unregisters a consumer; the last one out removes triggers, functions and buffer.
-- SECURITY DEFINER, and like _ensure_capture it follows the catalog: it only
-- unregisters a consumer that no longer depends on the source, and a NULL
-- consumer (everyone) only when the source itself is gone.
CREATE OR REPLACE FUNCTION pgtrickle._release_capture(relid oid, consumer bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgtrickle AS $$
DECLARE
    remaining bigint[];
    source_exists boolean := EXISTS (SELECT 1 FROM pg_class WHERE oid = relid);
    op text;
BEGIN
    IF (consumer IS NULL AND source_exists)
       OR EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.pgt_id = consumer AND d.source_relid = relid) THEN
        RAISE EXCEPTION 'internal error: capture of % is still needed', relid USING ERRCODE = 'XX000';
    END IF;
    UPDATE pgtrickle.pgt_change_tracking
       SET tracked_by_pgt_ids = array_remove(tracked_by_pgt_ids, consumer)
     WHERE source_relid = relid
    RETURNING tracked_by_pgt_ids INTO remaining;
    IF NOT FOUND OR COALESCE(array_length(remaining, 1), 0) > 0 THEN
        PERFORM pgtrickle._sync_buffer_grants(relid);
        RETURN;
    END IF;
    FOREACH op IN ARRAY ARRAY['ins', 'upd', 'del', 'truncate'] LOOP
        IF source_exists THEN
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', 'pg_trickle_cdc_' || op || '_' || relid, relid::regclass);
        END IF;
        EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I()', 'pg_trickle_cdc_' || op || '_fn_' || relid);
    END LOOP;
    EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I(bigint)', 'pgt_window_' || relid);
    EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I(xid8)', 'pgt_cleanup_' || relid);
    EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I(bigint)', 'pgt_pending_' || relid);
    EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I(bigint, pg_snapshot)', 'pgt_truncate_consumed_' || relid);
    EXECUTE format('DROP TABLE IF EXISTS pgtrickle_changes.%I', 'changes_' || relid);
    DELETE FROM pgtrickle.pgt_change_tracking WHERE source_relid = relid;
    DELETE FROM pgtrickle.pgt_coord_buffers WHERE source_relid = relid;
END $$;
