-- Query analysis: the single-statement check and the probe of a defining query.
--
--

-- plpgsql EXECUTE runs every statement in a string, so the defining query is
-- lexed first: it must be exactly one statement. Returns the query without
-- trailing semicolons. Understands '…', E'…', "…", $tag$…$tag$, -- and /* */.
CREATE OR REPLACE FUNCTION pgtrickle._single_statement(query text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    i       int := 1;
    n       int := length(query);
    ch      text;
    depth   int;
    tag     text;
    close_at int;
    first_semicolon int := 0;
BEGIN
    WHILE i <= n LOOP
        ch := substr(query, i, 1);
        -- After the first top-level semicolon only whitespace, comments and more semicolons may follow.
        IF first_semicolon > 0 AND ch !~ '\s' AND ch <> ';'
           AND substr(query, i, 2) NOT IN ('--', '/*') THEN
            RAISE EXCEPTION 'query parse error: the defining query must be a single SELECT statement (found more than one statement)'
                USING ERRCODE = '42601', HINT = 'Remove everything after the first semicolon.';
        END IF;
        IF ch = '''' THEN
            -- E'…' strings also honour backslash escapes
            IF i > 1 AND upper(substr(query, i - 1, 1)) = 'E' AND (i = 2 OR substr(query, i - 2, 1) !~ '[A-Za-z0-9_]') THEN
                i := i + 1;
                LOOP
                    EXIT WHEN i > n;
                    IF substr(query, i, 1) = '\' THEN
                        i := i + 1;
                    ELSIF substr(query, i, 1) = '''' THEN
                        EXIT WHEN substr(query, i + 1, 1) <> '''';
                        i := i + 1;
                    END IF;
                    i := i + 1;
                END LOOP;
            ELSE
                i := i + 1;
                LOOP
                    EXIT WHEN i > n;
                    IF substr(query, i, 1) = '''' THEN
                        EXIT WHEN substr(query, i + 1, 1) <> '''';
                        i := i + 1;
                    END IF;
                    i := i + 1;
                END LOOP;
            END IF;
        ELSIF ch = '"' THEN
            i := i + 1;
            LOOP
                EXIT WHEN i > n;
                IF substr(query, i, 1) = '"' THEN
                    EXIT WHEN substr(query, i + 1, 1) <> '"';
                    i := i + 1;
                END IF;
                i := i + 1;
            END LOOP;
        ELSIF ch = '-' AND substr(query, i + 1, 1) = '-' THEN
            close_at := strpos(substr(query, i), E'\n');
            i := CASE WHEN close_at = 0 THEN n ELSE i + close_at - 1 END;
        ELSIF ch = '/' AND substr(query, i + 1, 1) = '*' THEN
            depth := 1;
            i := i + 2;
            WHILE i <= n AND depth > 0 LOOP
                IF substr(query, i, 2) = '/*' THEN depth := depth + 1; i := i + 1;
                ELSIF substr(query, i, 2) = '*/' THEN depth := depth - 1; i := i + 1;
                END IF;
                i := i + 1;
            END LOOP;
            i := i - 1;
        ELSIF ch = '$' AND (i = 1 OR substr(query, i - 1, 1) !~ '[A-Za-z0-9_]')
              AND substr(query, i) ~ '^\$([A-Za-z_][A-Za-z0-9_]*)?\$' THEN
            tag := substring(substr(query, i) FROM '^(\$([A-Za-z_][A-Za-z0-9_]*)?\$)');
            close_at := strpos(substr(query, i + length(tag)), tag);
            i := CASE WHEN close_at = 0 THEN n ELSE i + length(tag) + close_at + length(tag) - 2 END;
        ELSIF ch = ';' AND first_semicolon = 0 THEN
            first_semicolon := i;
        END IF;
        i := i + 1;
    END LOOP;
    -- Only the text before the first top-level semicolon is ever executed.
    RETURN rtrim(CASE WHEN first_semicolon > 0 THEN substr(query, 1, first_semicolon - 1) ELSE query END);
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
    body        text;
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
    body := pgtrickle._single_statement(query);
    BEGIN
        EXECUTE format('CREATE TEMP VIEW %I AS %s', probe, body);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
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
        'volatility', COALESCE((SELECT max(provolatile::text) FROM func_deps), 'i'),
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
