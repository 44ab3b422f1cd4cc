-- Basics: the version, row-identity hashes and settings.
--
-- Re-applied on every install and upgrade (CREATE OR REPLACE), like every file
-- in sql/code/; schema changes belong in sql/migrations/.

CREATE OR REPLACE FUNCTION pgtrickle.version() RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT '0.14.0' $$;

-- Row identity hashes. pg_trickle uses XXH64, which plpgsql cannot compute
-- cheaply; hashtextextended is PostgreSQL's own 64-bit hash. Every path (FULL,
-- DIFFERENTIAL, capture) uses these two functions, so ids always agree.
CREATE OR REPLACE FUNCTION pgtrickle.pg_trickle_hash(input text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT pg_catalog.hashtextextended(input, 5871781006564002453) $$;

-- NULL-safe: the array's text form distinguishes NULL from 'NULL' and quotes
-- separators, so different key tuples never share an encoding.
-- STABLE, not IMMUTABLE: text[] output (array_out) is STABLE, and PostgreSQL
-- only inlines a SQL function whose body is no more volatile than declared;
-- inlined, a row id costs ~2 µs instead of ~9 µs (bench/refresh, 100k rows).
-- Refreshes pin the settings array_out depends on.
CREATE OR REPLACE FUNCTION pgtrickle.pg_trickle_hash_multi(inputs text[]) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.hashtextextended(COALESCE(inputs::text, ''), 5871781006564002453) $$;

-- A pg_trickle.* setting as the catalog reads it: ALTER DATABASE … SET
-- pg_trickle.x = … (or a session SET) is honoured, else the default below —
-- the one place the SQL side writes these defaults (configuration.md). An
-- unknown name is a bug and raises.
CREATE OR REPLACE FUNCTION pgtrickle._setting(name text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    value text := NULLIF(pg_catalog.current_setting('pg_trickle.' || name, true), '');
BEGIN
    IF value IS NOT NULL THEN
        RETURN value;
    END IF;
    value := CASE name
        WHEN 'min_schedule_seconds'          THEN '1'
        WHEN 'max_consecutive_errors'        THEN '3'
        WHEN 'differential_max_change_ratio' THEN '0.15'
        WHEN 'alert_repeat_seconds'          THEN '300'
        WHEN 'buffer_alert_threshold'        THEN '1000000'
        WHEN 'fuse_default_ceiling'          THEN '0'
    END;
    IF value IS NULL THEN
        RAISE EXCEPTION 'internal error: pg_trickle.% has no default in pgtrickle._setting', name USING ERRCODE = 'XX000';
    END IF;
    RETURN value;
END $$;

-- The pgtrickle release that installed this catalog (package.json's version,
-- recorded by the installer). version() keeps answering pg_trickle's 0.14.0
-- for scripts written against pg_trickle.
CREATE OR REPLACE FUNCTION pgtrickle.product_version() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT c.product_version FROM pgtrickle.pgt_coord_catalog c $$;
