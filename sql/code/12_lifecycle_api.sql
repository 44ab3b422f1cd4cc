-- The lifecycle API (spec/sql-api.md §1): create, alter, create_or_replace, drop, resume, refresh.
--
-- Everything happens in the caller's transaction (DESIGN D1): an error anywhere
-- leaves nothing behind.

CREATE OR REPLACE FUNCTION pgtrickle._create_stream_table(
    name text, query text, schedule text, refresh_mode text, initialize boolean,
    diamond_consistency text, diamond_schedule_policy text, cdc_mode text, append_only boolean,
    pooler_compatibility_mode boolean, partition_by text, max_differential_joins int,
    max_delta_fraction double precision, if_not_exists boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    target_name record;
    v_schedule  text;
    v_mode      text;
    v_diamond   text;
    v_policy    text;
    v_cdc       text;
    analysis    jsonb;
    storage     regclass;
    new_id      bigint;
BEGIN
    target_name := pgtrickle._resolve_name(name);
    IF EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s
                WHERE s.pgt_schema = target_name.schema_name AND s.pgt_name = target_name.table_name) THEN
        IF if_not_exists THEN
            RAISE INFO 'Stream table % already exists — skipping creation.', format('%I.%I', target_name.schema_name, target_name.table_name);
            RETURN;
        END IF;
        RAISE EXCEPTION 'stream table already exists: %', format('%I.%I', target_name.schema_name, target_name.table_name)
            USING ERRCODE = '42P07', HINT = 'Use create_or_replace_stream_table to change it, or drop_stream_table first.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target_name.schema_name) THEN
        RAISE EXCEPTION 'invalid argument: schema "%" does not exist', target_name.schema_name
            USING ERRCODE = '3F000', HINT = 'Create the schema first, or use another schema.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = target_name.schema_name AND c.relname = target_name.table_name) THEN
        RAISE EXCEPTION 'invalid argument: relation %.% already exists and is not a stream table',
            quote_ident(target_name.schema_name), quote_ident(target_name.table_name)
            USING ERRCODE = '42P07', HINT = 'Choose another name for the stream table.';
    END IF;

    v_mode := pgtrickle._normalize_mode(refresh_mode);
    v_schedule := pgtrickle._normalize_schedule(schedule);
    v_diamond := COALESCE(pgtrickle._validate_choice(diamond_consistency, ARRAY['none', 'atomic'], 'diamond_consistency'), 'atomic');
    v_policy := COALESCE(pgtrickle._validate_choice(diamond_schedule_policy, ARRAY['fastest', 'slowest'], 'diamond_schedule_policy'), 'fastest');
    IF v_policy = 'slowest' AND v_diamond = 'none' THEN
        RAISE EXCEPTION 'invalid argument: diamond_schedule_policy ''slowest'' requires diamond_consistency ''atomic'''
            USING ERRCODE = '22023', HINT = 'Use diamond_consistency => ''atomic'', or diamond_schedule_policy => ''fastest''.';
    END IF;
    v_cdc := pgtrickle._validate_choice(cdc_mode, ARRAY['auto', 'trigger', 'wal'], 'cdc_mode');
    IF v_cdc = 'wal' THEN
        RAISE EXCEPTION 'invalid argument: cdc_mode = ''wal'' is not supported by pgtrickle; changes are captured by statement triggers'
            USING ERRCODE = '0A000', HINT = 'Omit cdc_mode or use ''trigger''.';
    END IF;
    IF append_only THEN
        RAISE EXCEPTION 'invalid argument: append_only is not supported by this pgtrickle version'
            USING ERRCODE = '0A000', HINT = 'Omit append_only; DIFFERENTIAL refreshes of insert-only sources are already proportional to the inserts.';
    END IF;
    IF partition_by IS NOT NULL THEN
        RAISE EXCEPTION 'invalid argument: partition_by is not supported by this pgtrickle version'
            USING ERRCODE = '0A000', HINT = 'Omit partition_by.';
    END IF;
    IF max_differential_joins < 0 OR max_delta_fraction < 0 THEN
        RAISE EXCEPTION 'invalid argument: max_differential_joins and max_delta_fraction must not be negative'
            USING ERRCODE = '22023', HINT = 'Use 0 for no limit.';
    END IF;

    analysis := pgtrickle._analyze_query(query);
    PERFORM pgtrickle._check_no_temporary_sources(analysis);
    IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(analysis -> 'sources') e
                    WHERE e ->> 'source_type' IN ('TABLE', 'STREAM_TABLE', 'MATVIEW', 'FOREIGN_TABLE')) THEN
        RAISE EXCEPTION 'invalid argument: the defining query must read at least one table'
            USING ERRCODE = '22023', HINT = 'A stream table follows changes to tables; a query without a FROM clause never changes.';
    END IF;
    IF analysis ->> 'volatility' = 'v' AND v_mode IN ('AUTO', 'DIFFERENTIAL', 'IMMEDIATE') THEN
        RAISE EXCEPTION 'unsupported operator for DIFFERENTIAL mode: Defining query contains volatile expressions (e.g., random(), clock_timestamp(), or custom volatile functions)'
            USING ERRCODE = '0A000', DETAIL = 'A volatile function gives a different answer on every call, so changes cannot be maintained incrementally.',
                  HINT = 'Use refresh_mode => ''FULL''.';
    END IF;

    storage := pgtrickle._create_storage(target_name.schema_name, target_name.table_name, analysis);

    INSERT INTO pgtrickle.pgt_stream_tables
        (pgt_relid, pgt_name, pgt_schema, defining_query, original_query, schedule, refresh_mode,
         diamond_consistency, diamond_schedule_policy, requested_cdc_mode, pooler_compatibility_mode,
         max_differential_joins, max_delta_fraction)
    VALUES (storage, target_name.table_name, target_name.schema_name, analysis ->> 'defining_query', query,
            CASE WHEN v_mode = 'IMMEDIATE' THEN NULL ELSE v_schedule END,  -- IMMEDIATE tables are never scheduled
            CASE WHEN v_mode = 'AUTO' THEN 'DIFFERENTIAL' ELSE v_mode END,
            v_diamond, v_policy, v_cdc, COALESCE(pooler_compatibility_mode, false),
            NULLIF(max_differential_joins, 0), NULLIF(max_delta_fraction, 0))
    RETURNING pgt_id INTO new_id;

    PERFORM pgtrickle._create_dependency_view(new_id);
    PERFORM pgtrickle._attach_sources(new_id, analysis);
    PERFORM pgtrickle._reset_plan(new_id, v_mode);
    PERFORM pgtrickle._sync_ivm_triggers(new_id);

    IF COALESCE(initialize, true) THEN
        PERFORM pgtrickle._refresh(new_id, 'INITIAL');
    END IF;
    PERFORM pgtrickle._signal_coordinator('create', new_id);
    RAISE INFO 'Stream table % created (pgt_id=%, mode=%, initialized=%)', format('%I.%I', target_name.schema_name, target_name.table_name),
        new_id, CASE WHEN v_mode = 'AUTO' THEN 'DIFFERENTIAL' ELSE v_mode END, COALESCE(initialize, true);
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.create_stream_table(
    name                      TEXT,
    query                     TEXT,
    schedule                  TEXT             DEFAULT 'calculated',
    refresh_mode              TEXT             DEFAULT 'AUTO',
    initialize                bool             DEFAULT true,
    diamond_consistency       TEXT             DEFAULT NULL,
    diamond_schedule_policy   TEXT             DEFAULT NULL,
    cdc_mode                  TEXT             DEFAULT NULL,
    append_only               bool             DEFAULT false,
    pooler_compatibility_mode bool             DEFAULT false,
    partition_by              TEXT             DEFAULT NULL,
    max_differential_joins    INT              DEFAULT NULL,
    max_delta_fraction        double precision DEFAULT NULL
) RETURNS void
LANGUAGE sql AS $$
    SELECT pgtrickle._create_stream_table(name, query, schedule, refresh_mode, initialize, diamond_consistency,
        diamond_schedule_policy, cdc_mode, append_only, pooler_compatibility_mode, partition_by,
        max_differential_joins, max_delta_fraction, false)
$$;

CREATE OR REPLACE FUNCTION pgtrickle.create_stream_table_if_not_exists(
    name                      TEXT,
    query                     TEXT,
    schedule                  TEXT             DEFAULT 'calculated',
    refresh_mode              TEXT             DEFAULT 'AUTO',
    initialize                bool             DEFAULT true,
    diamond_consistency       TEXT             DEFAULT NULL,
    diamond_schedule_policy   TEXT             DEFAULT NULL,
    cdc_mode                  TEXT             DEFAULT NULL,
    append_only               bool             DEFAULT false,
    pooler_compatibility_mode bool             DEFAULT false,
    partition_by              TEXT             DEFAULT NULL,
    max_differential_joins    INT              DEFAULT NULL,
    max_delta_fraction        double precision DEFAULT NULL
) RETURNS void
LANGUAGE sql AS $$
    SELECT pgtrickle._create_stream_table(name, query, schedule, refresh_mode, initialize, diamond_consistency,
        diamond_schedule_policy, cdc_mode, append_only, pooler_compatibility_mode, partition_by,
        max_differential_joins, max_delta_fraction, true)
$$;

-- Replaces the defining query: new storage when the output columns differ,
-- otherwise the same table; sources re-attached; FULL refresh; one transaction.
CREATE OR REPLACE FUNCTION pgtrickle._replace_query(st pgtrickle.pgt_stream_tables, query text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    analysis jsonb := pgtrickle._analyze_query(query);
    same_columns boolean;
    storage regclass;
BEGIN
    IF analysis ->> 'volatility' = 'v' AND st.refresh_mode IN ('DIFFERENTIAL', 'IMMEDIATE') THEN
        RAISE EXCEPTION 'unsupported operator for DIFFERENTIAL mode: Defining query contains volatile expressions'
            USING ERRCODE = '0A000', HINT = 'Use refresh_mode => ''FULL''.';
    END IF;
    SELECT COALESCE(jsonb_agg(jsonb_build_object('name', attname, 'type', format_type(atttypid, atttypmod)) ORDER BY attnum), '[]')
           = (SELECT jsonb_agg(jsonb_build_object('name', c ->> 'name', 'type', c ->> 'type'))
                FROM jsonb_array_elements(analysis -> 'columns') c)
      INTO same_columns
      FROM pg_attribute
     WHERE attrelid = st.pgt_relid AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\_\_pgt\_%';

    PERFORM pgtrickle._check_no_temporary_sources(analysis);
    PERFORM pgtrickle._check_cycle(st.pgt_id, ARRAY(SELECT (e ->> 'relid')::oid FROM jsonb_array_elements(analysis -> 'sources') e));
    PERFORM pgtrickle._detach_sources(st.pgt_id);
    IF NOT same_columns AND EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = st.pgt_relid) THEN
        RAISE EXCEPTION 'invalid argument: the new query of % changes its output columns, and other stream tables read it', pgtrickle._qualified(st)
            USING ERRCODE = '55006', HINT = 'Keep the output columns (names and types), or drop the stream tables that read this one first.';
    END IF;
    IF same_columns THEN
        storage := st.pgt_relid::regclass;
    ELSE
        -- The new storage exists before the row points at it and the old one
        -- goes only after: the row's owner is its storage's owner at every step.
        storage := pgtrickle._create_storage(st.pgt_schema, '__pgt_replacing_' || st.pgt_id, analysis);
        RAISE WARNING 'stream table %: the output columns changed, so the storage table was recreated', pgtrickle._qualified(st);
    END IF;
    UPDATE pgtrickle.pgt_stream_tables s
       SET pgt_relid = storage, defining_query = analysis ->> 'defining_query', original_query = query,
           is_populated = false, updated_at = now()
     WHERE s.pgt_id = st.pgt_id;
    IF NOT same_columns THEN
        PERFORM pgtrickle._internal_ddl(format('DROP TABLE %s', st.pgt_relid::regclass));
        PERFORM pgtrickle._internal_ddl(format('ALTER TABLE %s RENAME TO %I', storage, st.pgt_name));
    END IF;
    PERFORM pgtrickle._create_dependency_view(st.pgt_id);
    PERFORM pgtrickle._attach_sources(st.pgt_id, analysis);
    PERFORM pgtrickle._reset_plan(st.pgt_id);
    PERFORM pgtrickle._sync_ivm_triggers(st.pgt_id);
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.alter_stream_table(
    name TEXT,
    query TEXT DEFAULT NULL, schedule TEXT DEFAULT NULL, refresh_mode TEXT DEFAULT NULL,
    status TEXT DEFAULT NULL, diamond_consistency TEXT DEFAULT NULL,
    diamond_schedule_policy TEXT DEFAULT NULL, cdc_mode TEXT DEFAULT NULL,
    append_only bool DEFAULT NULL, pooler_compatibility_mode bool DEFAULT NULL,
    tier TEXT DEFAULT NULL, fuse TEXT DEFAULT NULL, fuse_ceiling bigint DEFAULT NULL,
    fuse_sensitivity INT DEFAULT NULL, partition_by TEXT DEFAULT NULL,
    max_differential_joins INT DEFAULT NULL, max_delta_fraction double precision DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    st pgtrickle.pgt_stream_tables := pgtrickle._find_owned_stream_table(name);
    v_mode text;
    v_requested text;
    v_status text;
    v_tier text;
    v_fuse text;
    v_diamond text;
    v_policy text;
    v_cdc text;
    was_error boolean;
BEGIN
    -- The lock order of _lock_ivm_sources: sources of an IMMEDIATE table first;
    -- then wait for an in-flight refresh, and hold the table for the rest of the transaction.
    PERFORM pgtrickle._lock_ivm_sources(st.pgt_id, 'ACCESS EXCLUSIVE');
    PERFORM pg_advisory_xact_lock(pgtrickle._refresh_lock_key(), st.pgt_id::int);
    SELECT * INTO st FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = st.pgt_id FOR UPDATE;
    was_error := st.status = 'ERROR';

    -- Validate every argument before changing anything.
    IF refresh_mode IS NOT NULL THEN
        v_requested := pgtrickle._normalize_mode(refresh_mode);
        v_mode := CASE WHEN v_requested = 'AUTO' THEN 'DIFFERENTIAL' ELSE v_requested END;
    END IF;
    IF status IS NOT NULL THEN
        v_status := upper(pgtrickle._validate_choice(status, ARRAY['active', 'suspended', 'error', 'initializing'], 'status'));
    END IF;
    v_tier := pgtrickle._validate_choice(tier, ARRAY['hot', 'warm', 'cold', 'frozen'], 'tier');
    v_fuse := pgtrickle._validate_choice(fuse, ARRAY['off', 'on', 'auto'], 'fuse');
    IF fuse_ceiling IS NOT NULL AND fuse_ceiling <= 0 THEN
        RAISE EXCEPTION 'invalid argument: fuse_ceiling must be a positive integer'
            USING ERRCODE = '22023';
    END IF;
    IF fuse_sensitivity IS NOT NULL AND fuse_sensitivity <= 0 THEN
        RAISE EXCEPTION 'invalid argument: fuse_sensitivity must be a positive integer'
            USING ERRCODE = '22023';
    END IF;
    v_diamond := pgtrickle._validate_choice(diamond_consistency, ARRAY['none', 'atomic'], 'diamond_consistency');
    v_policy := pgtrickle._validate_choice(diamond_schedule_policy, ARRAY['fastest', 'slowest'], 'diamond_schedule_policy');
    IF COALESCE(v_policy, st.diamond_schedule_policy) = 'slowest' AND COALESCE(v_diamond, st.diamond_consistency) = 'none' THEN
        RAISE EXCEPTION 'invalid argument: diamond_schedule_policy ''slowest'' requires diamond_consistency ''atomic'''
            USING ERRCODE = '22023', HINT = 'Use diamond_consistency => ''atomic'', or diamond_schedule_policy => ''fastest''.';
    END IF;
    v_cdc := pgtrickle._validate_choice(cdc_mode, ARRAY['auto', 'trigger', 'wal'], 'cdc_mode');
    IF v_cdc = 'wal' THEN
        RAISE EXCEPTION 'invalid argument: cdc_mode = ''wal'' is not supported by pgtrickle; changes are captured by statement triggers'
            USING ERRCODE = '0A000', HINT = 'Omit cdc_mode or use ''trigger''.';
    END IF;
    IF append_only THEN
        RAISE EXCEPTION 'invalid argument: append_only is not supported by this pgtrickle version'
            USING ERRCODE = '0A000', HINT = 'Omit append_only.';
    END IF;
    IF partition_by IS NOT NULL AND partition_by <> '' THEN
        RAISE EXCEPTION 'invalid argument: partition_by is not supported by this pgtrickle version'
            USING ERRCODE = '0A000', HINT = 'Omit partition_by.';
    END IF;
    IF max_differential_joins < 0 OR max_delta_fraction < 0 THEN
        RAISE EXCEPTION 'invalid argument: max_differential_joins and max_delta_fraction must not be negative'
            USING ERRCODE = '22023', HINT = 'Use 0 for no limit.';
    END IF;
    IF v_mode IN ('DIFFERENTIAL', 'IMMEDIATE') AND query IS NULL AND st.functions_used IS NOT NULL
       AND EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.pgt_id = st.pgt_id)
       AND (pgtrickle._analyze_query(st.defining_query) ->> 'volatility') = 'v' THEN
        RAISE EXCEPTION 'unsupported operator for DIFFERENTIAL mode: Defining query contains volatile expressions'
            USING ERRCODE = '0A000', HINT = 'Keep refresh_mode => ''FULL''.';
    END IF;

    IF schedule IS NOT NULL THEN
        UPDATE pgtrickle.pgt_stream_tables s SET schedule = pgtrickle._normalize_schedule(alter_stream_table.schedule)
         WHERE s.pgt_id = st.pgt_id;
    END IF;
    IF v_mode IS NOT NULL AND v_mode <> st.refresh_mode THEN
        UPDATE pgtrickle.pgt_stream_tables s
           SET refresh_mode = v_mode,
               schedule = CASE WHEN v_mode = 'IMMEDIATE' THEN NULL ELSE s.schedule END
         WHERE s.pgt_id = st.pgt_id;
    END IF;
    IF query IS NOT NULL THEN
        SELECT * INTO st FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = st.pgt_id;
        PERFORM pgtrickle._replace_query(st, query);
        IF v_requested IS NOT NULL THEN
            UPDATE pgtrickle.pgt_coord_plans p SET requested_mode = v_requested WHERE p.pgt_id = st.pgt_id;
        END IF;
    ELSIF v_mode IS NOT NULL AND (v_mode <> st.refresh_mode
            OR v_requested IS DISTINCT FROM (SELECT p.requested_mode FROM pgtrickle.pgt_coord_plans p WHERE p.pgt_id = st.pgt_id)) THEN
        -- Storage keeps its rows; the next refresh is FULL under the new plan.
        PERFORM pgtrickle._reset_plan(st.pgt_id, v_requested);
        UPDATE pgtrickle.pgt_coord_plans p SET storage_matches_plan = true WHERE p.pgt_id = st.pgt_id;
        RAISE NOTICE 'stream table %: refresh mode changed from % to %', pgtrickle._qualified(st), st.refresh_mode, v_mode;
    END IF;
    IF v_tier IS NOT NULL AND v_tier <> st.refresh_tier THEN
        IF v_tier IN ('cold', 'frozen') THEN
            RAISE NOTICE '%', format('stream table %s.%s demoted from %s to %s%s', st.pgt_schema, st.pgt_name, st.refresh_tier, v_tier,
                CASE v_tier WHEN 'cold' THEN ' — effective refresh interval is now 10× the configured schedule'
                            ELSE ' — refresh is suspended until the tier is changed back' END);
        END IF;
    END IF;

    -- Any change to a table in ERROR clears the error (pg_trickle's rule); an
    -- explicit status goes through the state machine like every other change.
    v_status := COALESCE(v_status, CASE WHEN was_error THEN 'ACTIVE' END);
    IF v_status IS NOT NULL AND v_status <> st.status THEN
        PERFORM pgtrickle._transition(st.pgt_id, CASE v_status WHEN 'ACTIVE' THEN 'resume' WHEN 'SUSPENDED' THEN 'suspend'
                                                             WHEN 'INITIALIZING' THEN 'reinitialize' ELSE 'fail' END,
                                      jsonb_build_object('message', 'set to ERROR by alter_stream_table'));
    ELSIF v_status = 'ACTIVE' AND st.consecutive_errors > 0 THEN
        PERFORM pgtrickle._transition(st.pgt_id, 'clear_errors');
    END IF;

    UPDATE pgtrickle.pgt_stream_tables s
       SET refresh_tier = COALESCE(v_tier, s.refresh_tier),
           fuse_mode = COALESCE(v_fuse, s.fuse_mode),
           fuse_ceiling = COALESCE(alter_stream_table.fuse_ceiling, s.fuse_ceiling),
           fuse_sensitivity = COALESCE(alter_stream_table.fuse_sensitivity, s.fuse_sensitivity),
           diamond_consistency = COALESCE(v_diamond, s.diamond_consistency),
           diamond_schedule_policy = COALESCE(v_policy, s.diamond_schedule_policy),
           requested_cdc_mode = COALESCE(v_cdc, s.requested_cdc_mode),
           pooler_compatibility_mode = COALESCE(alter_stream_table.pooler_compatibility_mode, s.pooler_compatibility_mode),
           max_differential_joins = CASE WHEN alter_stream_table.max_differential_joins IS NULL THEN s.max_differential_joins
                                         ELSE NULLIF(alter_stream_table.max_differential_joins, 0) END,
           max_delta_fraction = CASE WHEN alter_stream_table.max_delta_fraction IS NULL THEN s.max_delta_fraction
                                     ELSE NULLIF(alter_stream_table.max_delta_fraction, 0) END,
           updated_at = now()
     WHERE s.pgt_id = st.pgt_id;

    PERFORM pgtrickle._sync_ivm_triggers(st.pgt_id);
    IF query IS NOT NULL THEN
        PERFORM pgtrickle._refresh(st.pgt_id, 'MANUAL');
    END IF;
    PERFORM pgtrickle._signal_coordinator('alter', st.pgt_id);
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.create_or_replace_stream_table(
    name                      TEXT,
    query                     TEXT,
    schedule                  TEXT             DEFAULT 'calculated',
    refresh_mode              TEXT             DEFAULT 'AUTO',
    initialize                bool             DEFAULT true,
    diamond_consistency       TEXT             DEFAULT NULL,
    diamond_schedule_policy   TEXT             DEFAULT NULL,
    cdc_mode                  TEXT             DEFAULT NULL,
    append_only               bool             DEFAULT false,
    pooler_compatibility_mode bool             DEFAULT false,
    partition_by              TEXT             DEFAULT NULL,
    max_differential_joins    INT              DEFAULT NULL,
    max_delta_fraction        double precision DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    target_name record := pgtrickle._resolve_name(name);
    st pgtrickle.pgt_stream_tables;
    new_query text;
    new_schedule text;
    new_mode text;
    query_changed boolean;
    config_changed boolean;
BEGIN
    SELECT * INTO st FROM pgtrickle.pgt_stream_tables s
     WHERE s.pgt_schema = target_name.schema_name AND s.pgt_name = target_name.table_name;
    IF NOT FOUND THEN
        PERFORM pgtrickle._create_stream_table(name, query, schedule, refresh_mode, initialize, diamond_consistency,
            diamond_schedule_policy, cdc_mode, append_only, pooler_compatibility_mode, partition_by,
            max_differential_joins, max_delta_fraction, false);
        RETURN;
    END IF;
    st := pgtrickle._find_owned_stream_table(name);  -- only its owner may replace it
    new_query := pgtrickle._analyze_query(query) ->> 'defining_query';
    new_schedule := pgtrickle._normalize_schedule(schedule);
    new_mode := pgtrickle._normalize_mode(refresh_mode);
    IF new_mode = 'AUTO' THEN new_mode := 'DIFFERENTIAL'; END IF;
    query_changed := regexp_replace(new_query, '\s+', ' ', 'g') IS DISTINCT FROM regexp_replace(st.defining_query, '\s+', ' ', 'g');
    config_changed := new_schedule IS DISTINCT FROM st.schedule OR new_mode <> st.refresh_mode
        OR COALESCE(lower(diamond_consistency), 'atomic') <> st.diamond_consistency
        OR COALESCE(lower(diamond_schedule_policy), 'fastest') <> st.diamond_schedule_policy
        OR lower(cdc_mode) IS DISTINCT FROM st.requested_cdc_mode
        OR COALESCE(pooler_compatibility_mode, false) <> st.pooler_compatibility_mode;
    IF NOT query_changed AND NOT config_changed THEN
        RAISE INFO 'Stream table % already exists with identical definition — no changes made.', pgtrickle._qualified(st);
        RETURN;
    END IF;
    PERFORM pgtrickle.alter_stream_table(name,
        query => CASE WHEN query_changed THEN query END,
        schedule => COALESCE(new_schedule, 'calculated'),
        refresh_mode => new_mode,
        diamond_consistency => diamond_consistency,
        diamond_schedule_policy => diamond_schedule_policy,
        cdc_mode => cdc_mode,
        pooler_compatibility_mode => pooler_compatibility_mode,
        max_differential_joins => max_differential_joins,
        max_delta_fraction => max_delta_fraction);
    RAISE INFO 'Stream table % replaced (query_changed=%, config_changed=%)', pgtrickle._qualified(st), query_changed, config_changed;
END $$;

-- Drops the stream table and, first, every stream table that reads it.
CREATE OR REPLACE FUNCTION pgtrickle.drop_stream_table(name TEXT) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
    st pgtrickle.pgt_stream_tables := pgtrickle._find_owned_stream_table(name);
    dependent pgtrickle.pgt_stream_tables;
BEGIN
    PERFORM pgtrickle._lock_ivm_sources(st.pgt_id, 'ACCESS EXCLUSIVE');
    PERFORM pg_advisory_xact_lock(pgtrickle._refresh_lock_key(), st.pgt_id::int);
    FOR dependent IN
        SELECT s.* FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = d.pgt_id
         WHERE d.source_relid = st.pgt_relid AND s.pgt_id <> st.pgt_id
    LOOP
        RAISE NOTICE 'dropping stream table %, which reads %', pgtrickle._qualified(dependent), pgtrickle._qualified(st);
        PERFORM pgtrickle.drop_stream_table(pgtrickle._qualified(dependent));
    END LOOP;
    PERFORM pgtrickle._detach_sources(st.pgt_id);
    DELETE FROM pgtrickle.pgt_coord_refresh_stats s WHERE s.pgt_id = st.pgt_id;
    -- The catalog row goes first, so the drop event trigger has nothing left to
    -- do, and the derived objects follow the catalog (none for a missing row).
    DELETE FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = st.pgt_id;
    PERFORM pgtrickle._sync_ivm_triggers(st.pgt_id);
    PERFORM pgtrickle._drop_dependency_view(st.pgt_id);
    EXECUTE format('DROP TABLE %I.%I', st.pgt_schema, st.pgt_name);
    PERFORM pgtrickle._signal_coordinator('drop', st.pgt_id);
    RAISE INFO 'Stream table % dropped (pgt_id=%)', pgtrickle._qualified(st), st.pgt_id;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.resume_stream_table(name TEXT) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
    st pgtrickle.pgt_stream_tables := pgtrickle._find_owned_stream_table(name);
    previous text := st.status;
BEGIN
    IF st.status NOT IN ('SUSPENDED', 'ERROR') THEN
        RAISE EXCEPTION 'invalid argument: stream table % is not suspended or in error state (current status: %)',
            pgtrickle._qualified(st), st.status
            USING ERRCODE = '55000', HINT = 'Only a SUSPENDED or ERROR stream table can be resumed; suspend one with alter_stream_table(name, status => ''SUSPENDED'').';
    END IF;
    st := pgtrickle._transition(st.pgt_id, 'resume');
    PERFORM pgtrickle._alert('resumed', st, jsonb_build_object('previous_status', previous));
    PERFORM pgtrickle._signal_coordinator('alter', st.pgt_id);
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.refresh_stream_table(name TEXT) RETURNS void
LANGUAGE plpgsql STRICT AS $$
BEGIN
    PERFORM pgtrickle._refresh((pgtrickle._find_owned_stream_table(name)).pgt_id, 'MANUAL');
END $$;
