-- Migration 0005: source gates, watermarks, watermark groups and refresh
-- groups (spec/sql-api.md §2, §8.6, verbatim), and the fuse's private state
-- (issue 15, items 1–2; sql/code/22_fuse.sql, 23_gates_watermarks.sql,
-- 24_refresh_groups.sql).
--
-- Who may write (row-level security, as migration 0003; SELECT is open):
-- * a gate or a watermark: the owner of the source table (or a member of that
--   role), or a role that may INSERT into it — whoever feeds a source may say
--   when its data is complete;
-- * a watermark group: the same, for every source of the group;
-- * a refresh group: the owner of every member stream table;
-- * pgt_coord_fuse: the owner of the stream table, like the pgt_id-keyed tables.

CREATE TABLE pgtrickle.pgt_source_gates (
    source_relid OID PRIMARY KEY,
    gated        BOOLEAN NOT NULL DEFAULT true,
    gated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    ungated_at   TIMESTAMPTZ,
    gated_by     TEXT
);

CREATE TABLE pgtrickle.pgt_watermarks (
    source_relid       OID PRIMARY KEY,
    watermark          TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    advanced_by        TEXT,
    wal_lsn_at_advance TEXT
);

CREATE TABLE pgtrickle.pgt_watermark_groups (
    group_id       SERIAL PRIMARY KEY,
    group_name     TEXT UNIQUE NOT NULL,
    source_relids  OID[] NOT NULL,
    tolerance_secs DOUBLE PRECISION NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE pgtrickle.pgt_refresh_groups (
    group_id    SERIAL PRIMARY KEY,
    group_name  TEXT NOT NULL UNIQUE,
    member_oids OID[] NOT NULL,
    isolation   TEXT NOT NULL DEFAULT 'read_committed' CHECK (isolation IN ('read_committed', 'repeatable_read')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The fuse's coordinator-private state: reset_fuse(…, 'apply') lets the next
-- scheduler refresh consume the changes that blew the fuse without blowing
-- it again (the flag is cleared by that refresh).
CREATE TABLE pgtrickle.pgt_coord_fuse (
    pgt_id     BIGINT PRIMARY KEY REFERENCES pgtrickle.pgt_stream_tables (pgt_id) ON DELETE CASCADE,
    apply_once BOOLEAN NOT NULL DEFAULT false
);

GRANT SELECT, INSERT, UPDATE, DELETE ON pgtrickle.pgt_source_gates, pgtrickle.pgt_watermarks,
    pgtrickle.pgt_watermark_groups, pgtrickle.pgt_refresh_groups, pgtrickle.pgt_coord_fuse TO pgtrickle_user;
GRANT USAGE ON SEQUENCE pgtrickle.pgt_watermark_groups_group_id_seq, pgtrickle.pgt_refresh_groups_group_id_seq
   TO pgtrickle_user;

DO $$
DECLARE
    t text;
    -- may the current user control source `r`?
    may_control constant text := $c$(pg_catalog.pg_has_role(current_user,
            (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = %1$s), 'MEMBER')
         OR pg_catalog.has_table_privilege(current_user, %1$s, 'INSERT'))$c$;
BEGIN
    FOREACH t IN ARRAY ARRAY['pgt_source_gates', 'pgt_watermarks'] LOOP
        EXECUTE format('ALTER TABLE pgtrickle.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY pgt_read ON pgtrickle.%I FOR SELECT USING (true)', t);
        EXECUTE format('CREATE POLICY pgt_source_writes ON pgtrickle.%I FOR ALL USING %s WITH CHECK %s',
                       t, format(may_control, 'source_relid'), format(may_control, 'source_relid'));
    END LOOP;

    ALTER TABLE pgtrickle.pgt_watermark_groups ENABLE ROW LEVEL SECURITY;
    CREATE POLICY pgt_read ON pgtrickle.pgt_watermark_groups FOR SELECT USING (true);
    EXECUTE format('CREATE POLICY pgt_source_writes ON pgtrickle.pgt_watermark_groups FOR ALL
        USING (NOT EXISTS (SELECT 1 FROM unnest(source_relids) AS r(relid) WHERE NOT %1$s))
        WITH CHECK (NOT EXISTS (SELECT 1 FROM unnest(source_relids) AS r(relid) WHERE NOT %1$s))',
        format(may_control, 'r.relid'));

    ALTER TABLE pgtrickle.pgt_refresh_groups ENABLE ROW LEVEL SECURITY;
    CREATE POLICY pgt_read ON pgtrickle.pgt_refresh_groups FOR SELECT USING (true);
    CREATE POLICY pgt_owner_writes ON pgtrickle.pgt_refresh_groups FOR ALL
        USING (NOT EXISTS (SELECT 1 FROM unnest(member_oids) AS m(relid)
                            WHERE NOT pg_catalog.pg_has_role(current_user,
                                (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = m.relid), 'MEMBER')))
        WITH CHECK (NOT EXISTS (SELECT 1 FROM unnest(member_oids) AS m(relid)
                                 WHERE NOT pg_catalog.pg_has_role(current_user,
                                     (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = m.relid), 'MEMBER')));

    ALTER TABLE pgtrickle.pgt_coord_fuse ENABLE ROW LEVEL SECURITY;
    CREATE POLICY pgt_read ON pgtrickle.pgt_coord_fuse FOR SELECT USING (true);
    CREATE POLICY pgt_owner_writes ON pgtrickle.pgt_coord_fuse FOR ALL
        USING (EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s JOIN pg_catalog.pg_class c ON c.oid = s.pgt_relid
                        WHERE s.pgt_id = pgt_coord_fuse.pgt_id AND pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')))
        WITH CHECK (EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s JOIN pg_catalog.pg_class c ON c.oid = s.pgt_relid
                             WHERE s.pgt_id = pgt_coord_fuse.pgt_id AND pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')));
END $$;
