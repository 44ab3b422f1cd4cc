-- Refresh groups (spec/sql-api.md §2, §8.6): stream tables the scheduler
-- refreshes together, in one transaction at the group's isolation level
-- (read_committed or repeatable_read — one snapshot for every member), in
-- dependency order. The coordinator reads the groups each tick
-- (_refresh_group_work) and dispatches a group as one unit of work, also in a
-- cluster (one job for the group; src/coordinator/database-session.ts).
-- Members are stored as storage OIDs, as pg_trickle does; a dropped member
-- is simply no longer found. Creating or dropping a group needs ownership of
-- every member (row-level security of migration 0005; checked here first).

CREATE OR REPLACE FUNCTION pgtrickle.create_refresh_group(group_name text, members text[], isolation text DEFAULT 'read_committed')
RETURNS int
LANGUAGE plpgsql STRICT AS $$
DECLARE
    name text := btrim(group_name);
    iso text := lower(btrim(isolation));
    member text;
    st pgtrickle.pgt_stream_tables;
    other text;
    oids oid[] := '{}';
    id int;
BEGIN
    IF name = '' THEN
        RAISE EXCEPTION 'invalid argument: refresh group name must not be empty'
            USING ERRCODE = '22023', HINT = 'Pass a name such as ''orders_snapshot''.';
    END IF;
    IF iso NOT IN ('read_committed', 'repeatable_read') THEN
        RAISE EXCEPTION 'invalid argument: invalid isolation level: % (expected ''read_committed'' or ''repeatable_read'')', quote_literal(isolation)
            USING ERRCODE = '22023', HINT = 'repeatable_read gives every member the same snapshot.';
    END IF;
    IF EXISTS (SELECT 1 FROM pgtrickle.pgt_refresh_groups g WHERE g.group_name = name) THEN
        RAISE EXCEPTION 'refresh group % already exists', quote_literal(name)
            USING ERRCODE = '42P07', HINT = 'Drop it first with pgtrickle.drop_refresh_group(), or choose another name.';
    END IF;
    FOREACH member IN ARRAY members LOOP
        SELECT s.* INTO st FROM pgtrickle._resolve_name(member) r
          JOIN pgtrickle.pgt_stream_tables s ON s.pgt_schema = r.schema_name AND s.pgt_name = r.table_name;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'stream table % does not exist', quote_literal(member)
                USING ERRCODE = '42704', HINT = 'List stream tables with: SELECT * FROM pgtrickle.pgt_status();';
        END IF;
        st := pgtrickle._find_owned_stream_table(member);
        SELECT g.group_name INTO other FROM pgtrickle.pgt_refresh_groups g WHERE st.pgt_relid = ANY (g.member_oids);
        IF FOUND THEN
            RAISE EXCEPTION 'invalid argument: stream table % is already a member of refresh group %',
                quote_literal(pgtrickle._qualified(st)), quote_literal(other)
                USING ERRCODE = '22023', HINT = 'A stream table belongs to at most one refresh group; drop the other group first.';
        END IF;
        IF NOT st.pgt_relid = ANY (oids) THEN
            oids := oids || st.pgt_relid;
        END IF;
    END LOOP;
    IF cardinality(oids) < 2 THEN
        RAISE EXCEPTION 'invalid argument: refresh group requires at least 2 members'
            USING ERRCODE = '22023', HINT = 'A group refreshes two or more different stream tables together.';
    END IF;
    INSERT INTO pgtrickle.pgt_refresh_groups (group_name, member_oids, isolation)
    VALUES (name, oids, iso) RETURNING pgt_refresh_groups.group_id INTO id;
    PERFORM pgtrickle._signal_coordinator('dag', NULL);
    RETURN id;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.drop_refresh_group(group_name text) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
    g pgtrickle.pgt_refresh_groups;
    st pgtrickle.pgt_stream_tables;
BEGIN
    SELECT * INTO g FROM pgtrickle.pgt_refresh_groups r WHERE r.group_name = btrim(drop_refresh_group.group_name);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'refresh group % does not exist', quote_literal(group_name)
            USING ERRCODE = '42704', HINT = 'List refresh groups with: SELECT * FROM pgtrickle.refresh_groups();';
    END IF;
    FOR st IN SELECT s.* FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_relid = ANY (g.member_oids) LOOP
        PERFORM pgtrickle._find_owned_stream_table(pgtrickle._qualified(st));
    END LOOP;
    DELETE FROM pgtrickle.pgt_refresh_groups r WHERE r.group_id = g.group_id;
    PERFORM pgtrickle._signal_coordinator('dag', NULL);
END $$;

CREATE OR REPLACE FUNCTION pgtrickle.refresh_groups()
RETURNS TABLE(group_id INT, group_name TEXT, member_count INT, isolation TEXT, created_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT g.group_id, g.group_name, cardinality(g.member_oids), g.isolation, g.created_at
      FROM pgtrickle.pgt_refresh_groups g ORDER BY g.group_id
$$;

-- For the coordinator: each group's existing members (pgt_ids) and isolation.
CREATE OR REPLACE FUNCTION pgtrickle._refresh_group_work()
RETURNS TABLE(group_name TEXT, isolation TEXT, pgt_ids TEXT[])
LANGUAGE sql STABLE AS $$
    SELECT g.group_name, g.isolation,
           ARRAY(SELECT s.pgt_id::text FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_relid = ANY (g.member_oids) ORDER BY s.pgt_id)
      FROM pgtrickle.pgt_refresh_groups g ORDER BY g.group_id
$$;
