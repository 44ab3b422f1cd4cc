-- Migration 0003 (pgtrickle 0.2.0): the privilege model (DESIGN D13, docs/SECURITY.md).
--
-- Users get the API through one role, pgtrickle_user: `GRANT pgtrickle_user TO
-- alice` lets alice create and manage her own stream tables over tables she
-- can read. A stream table's owner is the owner of its storage table. Catalog
-- rows are readable by every pgtrickle_user member (status is open) and
-- writable only for stream tables the writer owns (row-level security); the
-- refresh history, whose error messages may quote row values, is readable only
-- by the owner. The coordinator's role owns the catalog (and superusers
-- bypass row-level security), so none of this costs the scheduler anything.
-- Function privileges are set by sql/code/99_privileges.sql on every install.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pgtrickle_user') THEN
        CREATE ROLE pgtrickle_user NOLOGIN;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'pgtrickle needs the role pgtrickle_user, and role % may not create roles', current_user
        USING ERRCODE = '42501',
              HINT = 'Run CREATE ROLE pgtrickle_user NOLOGIN once on this server as a superuser, or give the coordinator''s role CREATEROLE; then start pgtrickle again.';
END $$;

GRANT USAGE ON SCHEMA pgtrickle, pgtrickle_changes TO pgtrickle_user;
GRANT SELECT ON pgtrickle.pgt_stream_tables, pgtrickle.pgt_dependencies, pgtrickle.pgt_refresh_history,
                pgtrickle.pgt_change_tracking, pgtrickle.pgt_coord_frontiers, pgtrickle.pgt_coord_plans,
                pgtrickle.pgt_coord_buffers, pgtrickle.pgt_coord_refresh_stats, pgtrickle.pgt_coord_schema_version,
                pgtrickle.pgt_coord_catalog
   TO pgtrickle_user;
GRANT INSERT, UPDATE, DELETE ON pgtrickle.pgt_stream_tables, pgtrickle.pgt_dependencies, pgtrickle.pgt_coord_frontiers,
                                pgtrickle.pgt_coord_plans, pgtrickle.pgt_coord_refresh_stats
   TO pgtrickle_user;
GRANT INSERT ON pgtrickle.pgt_refresh_history TO pgtrickle_user;
GRANT USAGE ON SEQUENCE pgtrickle.pgt_stream_tables_pgt_id_seq, pgtrickle.pgt_refresh_history_refresh_id_seq TO pgtrickle_user;
-- The frontier advance reads the change sequence's position.
GRANT SELECT ON SEQUENCE pgtrickle_changes.change_seq TO pgtrickle_user;

ALTER TABLE pgtrickle.pgt_stream_tables ENABLE ROW LEVEL SECURITY;
CREATE POLICY pgt_read ON pgtrickle.pgt_stream_tables FOR SELECT USING (true);
CREATE POLICY pgt_owner_writes ON pgtrickle.pgt_stream_tables FOR ALL
    USING (pg_catalog.pg_has_role(current_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = pgt_relid), 'MEMBER'))
    WITH CHECK (pg_catalog.pg_has_role(current_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = pgt_relid), 'MEMBER'));

-- The tables keyed by pgt_id: open to read, written only for stream tables one owns.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pgt_dependencies', 'pgt_coord_frontiers', 'pgt_coord_plans', 'pgt_coord_refresh_stats'] LOOP
        EXECUTE format('ALTER TABLE pgtrickle.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY pgt_read ON pgtrickle.%I FOR SELECT USING (true)', t);
        EXECUTE format($p$CREATE POLICY pgt_owner_writes ON pgtrickle.%1$I FOR ALL
            USING (EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s JOIN pg_catalog.pg_class c ON c.oid = s.pgt_relid
                            WHERE s.pgt_id = %1$I.pgt_id AND pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')))
            WITH CHECK (EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s JOIN pg_catalog.pg_class c ON c.oid = s.pgt_relid
                                 WHERE s.pgt_id = %1$I.pgt_id AND pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')))$p$, t);
    END LOOP;
END $$;

-- History: error messages may quote row values, so only the owner reads them.
ALTER TABLE pgtrickle.pgt_refresh_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY pgt_owner_reads_and_writes ON pgtrickle.pgt_refresh_history FOR ALL
    USING (EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s JOIN pg_catalog.pg_class c ON c.oid = s.pgt_relid
                    WHERE s.pgt_id = pgt_refresh_history.pgt_id AND pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')))
    WITH CHECK (EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s JOIN pg_catalog.pg_class c ON c.oid = s.pgt_relid
                         WHERE s.pgt_id = pgt_refresh_history.pgt_id AND pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')));
