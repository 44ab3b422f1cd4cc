-- Query analysis: the single-statement check and the probe of a defining query.
--
--

-- plpgsql EXECUTE runs every statement in a string, so the defining query must
-- be proved to be exactly one statement before it is embedded in any other
-- SQL. The server's own parser decides: a cursor can only be opened over a
-- single query that returns rows (SQLSTATE 42P11 otherwise). Parsing and
-- opening execute nothing (the executor starts, no row is fetched), and the
-- executor start checks the caller's SELECT privileges on everything the
-- query reads — run as the caller, this is the privilege check of creation
-- (a view's own privileges apply to what it reads). It replaces a hand-written
-- lexer that two quoting tricks got past (test/security.test.ts).
CREATE OR REPLACE FUNCTION pgtrickle._check_single_select(query text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    probe refcursor;
    state text;
    msg   text;
BEGIN
    BEGIN
        OPEN probe FOR EXECUTE query;
        CLOSE probe;
    EXCEPTION WHEN SQLSTATE '42P11' THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        RAISE EXCEPTION 'query parse error: the defining query must be a single SELECT statement (%)', msg
            USING ERRCODE = '42601', HINT = 'Remove everything after the first statement; a stream table is defined by one SELECT.';
    END;
END $$;

-- Probes a defining query through a temporary view: checks it, reads its output
-- columns and the relations, columns and functions it depends on (pg_depend),
-- and deparses it with every name schema-qualified, so refreshes do not depend
-- on the caller's search_path. Leaves nothing behind.
CREATE OR REPLACE FUNCTION pgtrickle._analyze_query(query text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    probe       text := '__pgt_probe_' || pg_backend_pid();
    probe_oid   oid;
    state       text;
    msg         text;
    detail      text;
    hint        text;
    saved_path  text := current_setting('search_path');
    result      jsonb;
BEGIN
    IF query IS NULL OR btrim(query) = '' THEN
        RAISE EXCEPTION 'query parse error: the defining query is empty' USING ERRCODE = '42601';
    END IF;
    BEGIN
        PERFORM pgtrickle._check_single_select(query);
        -- one statement, so the prefix cannot make it two
        EXECUTE format('CREATE TEMP VIEW %I AS %s', probe, query);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
        IF state = '42501' THEN
            RAISE EXCEPTION '%', msg
                USING ERRCODE = state,
                      HINT = 'A stream table reads its sources with its owner''s privileges: get SELECT on them, or read them through a view you may read.';
        END IF;
        RAISE EXCEPTION 'query parse error: %', msg
            USING ERRCODE = state, DETAIL = COALESCE(NULLIF(detail, ''), 'The defining query must be a single SELECT that runs as written in psql.'),
                  HINT = COALESCE(NULLIF(hint, ''), 'Run the query on its own in psql to see the problem.');
    END;
    probe_oid := format('pg_temp.%I', probe)::regclass::oid;

    WITH RECURSIVE rules(rule_oid) AS (
        SELECT oid FROM pg_rewrite WHERE ev_class = probe_oid
        UNION
        SELECT r.oid
          FROM rules
          JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rules.rule_oid
                          AND d.refclassid = 'pg_class'::regclass
          JOIN pg_class c ON c.oid = d.refobjid AND c.relkind = 'v'
          JOIN pg_rewrite r ON r.ev_class = c.oid
    ),
    rel_deps AS (
        SELECT d.refobjid AS relid,
               bool_or(d.refobjsubid = 0) AS whole_row,
               array_agg(DISTINCT a.attname::text) FILTER (WHERE d.refobjsubid > 0) AS cols,
               bool_or(r.ev_class = probe_oid) AS direct
          FROM rules
          JOIN pg_rewrite r ON r.oid = rules.rule_oid
          JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rules.rule_oid
                          AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
          LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         GROUP BY d.refobjid
    ),
    -- Built-in functions are pinned and absent from pg_depend, so read the
    -- function ids straight from the rules' node trees.
    func_deps AS (
        SELECT DISTINCT p.oid, p.proname, p.provolatile, p.prokind, p.pronamespace
          FROM rules
          JOIN pg_rewrite r ON r.oid = rules.rule_oid
          CROSS JOIN LATERAL regexp_matches(r.ev_action::text, ':(?:funcid|opfuncid|aggfnoid|winfnoid) (\d+)', 'g') AS m(ids)
          JOIN pg_proc p ON p.oid = m.ids[1]::oid
    )
    SELECT jsonb_build_object(
        'columns', (SELECT jsonb_agg(jsonb_build_object(
                        'name', attname, 'type', format_type(atttypid, atttypmod),
                        'collation', CASE WHEN attcollation <> 0 AND attcollation <> t.typcollation
                                          THEN (SELECT format('%I.%I', n.nspname, co.collname) FROM pg_collation co
                                                  JOIN pg_namespace n ON n.oid = co.collnamespace WHERE co.oid = attcollation) END)
                        ORDER BY attnum)
                      FROM pg_attribute JOIN pg_type t ON t.oid = atttypid
                     WHERE attrelid = probe_oid AND attnum > 0 AND NOT attisdropped),
        'sources', COALESCE((SELECT jsonb_agg(jsonb_build_object(
                        'relid', c.oid::bigint, 'relkind', c.relkind, 'persistence', c.relpersistence,
                        'name', format('%I.%I', n.nspname, c.relname),
                        'direct', rd.direct,
                        'source_type', CASE
                            WHEN EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_relid = c.oid) THEN 'STREAM_TABLE'
                            WHEN c.relkind IN ('r', 'p') THEN 'TABLE'
                            WHEN c.relkind = 'v' THEN 'VIEW'
                            WHEN c.relkind = 'm' THEN 'MATVIEW'
                            WHEN c.relkind = 'f' THEN 'FOREIGN_TABLE'
                            ELSE 'OTHER' END,
                        'columns_used', CASE WHEN rd.whole_row THEN NULL ELSE to_jsonb(rd.cols) END,
                        'has_pk', EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
                        ORDER BY c.oid)
                      FROM rel_deps rd JOIN pg_class c ON c.oid = rd.relid
                      JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')), '[]'::jsonb),
        -- Volatility as DIFFERENTIAL and IMMEDIATE must judge it: PostgreSQL's
        -- own functions as declared; any other function counts as volatile
        -- unless declared IMMUTABLE, because a STABLE one may read tables whose
        -- changes are not captured, or call a volatile function (a STABLE
        -- wrapper around random() passed this check).
        'volatility', COALESCE((SELECT max(CASE WHEN provolatile = 's' AND pronamespace <> 'pg_catalog'::regnamespace
                                                THEN 'v' ELSE provolatile::text END) FROM func_deps), 'i'),
        'functions', COALESCE((SELECT jsonb_agg(DISTINCT proname) FROM func_deps), '[]'::jsonb),
        -- aggregates the compiler cannot know by name (it only knows PostgreSQL's own)
        'user_aggregates', COALESCE((SELECT jsonb_agg(DISTINCT proname) FROM func_deps
                                      WHERE prokind = 'a' AND pronamespace <> 'pg_catalog'::regnamespace), '[]'::jsonb))
      INTO result;

    -- Deparse with only pg_catalog on the path: every other name comes out qualified.
    PERFORM set_config('search_path', 'pg_catalog', true);
    result := result || jsonb_build_object('defining_query', rtrim(btrim(pg_get_viewdef(probe_oid, true)), ';'));
    PERFORM set_config('search_path', saved_path, true);

    EXECUTE format('DROP VIEW pg_temp.%I', probe);
    RETURN result;
END $$;
