-- The DAG of stream tables (spec/architecture.md §9.4): cycle check and dependency_tree().
--
--

-- Raises CycleDetected when a stream table would read (transitively) itself.
-- new_sources: the relations the changed query reads.
CREATE OR REPLACE FUNCTION pgtrickle._check_cycle(pgt_id bigint, new_sources oid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cycle text;
BEGIN
    WITH RECURSIVE downstream(pgt_id, relid, path) AS (
        SELECT s.pgt_id, s.pgt_relid, ARRAY[s.pgt_id]
          FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _check_cycle.pgt_id
        UNION ALL
        SELECT c.pgt_id, c.pgt_relid, downstream.path || c.pgt_id
          FROM downstream
          JOIN pgtrickle.pgt_dependencies d ON d.source_relid = downstream.relid
          JOIN pgtrickle.pgt_stream_tables c ON c.pgt_id = d.pgt_id
         WHERE NOT c.pgt_id = ANY (downstream.path)
    )
    SELECT (SELECT string_agg(pgtrickle._qualified(s), ' -> ' ORDER BY p.ord)
              FROM unnest(downstream.path || downstream.path[1]) WITH ORDINALITY AS p(id, ord)
              JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = p.id)
      INTO cycle
      FROM downstream
     WHERE downstream.relid = ANY (new_sources)
     LIMIT 1;
    IF cycle IS NOT NULL THEN
        RAISE EXCEPTION 'cycle detected in dependency graph: %', cycle
            USING ERRCODE = '42P15', DETAIL = 'A stream table cannot read itself, directly or through other stream tables.',
                  HINT = 'Read the upstream sources directly instead of a stream table that is downstream of this one.';
    END IF;
END $$;

-- The graph as an ASCII tree (spec/tui-cli.md §5.10): roots are stream tables
-- that read no other stream table; under each node come the stream tables that
-- read it, then the plain tables it reads, tagged [src].
CREATE OR REPLACE FUNCTION pgtrickle.dependency_tree()
RETURNS TABLE(tree_line TEXT, node TEXT, node_type TEXT, depth INT, status TEXT, refresh_mode TEXT)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    roots pgtrickle.pgt_stream_tables[];
    root pgtrickle.pgt_stream_tables;
    i int := 0;
    n int;
BEGIN
    SELECT array_agg(s ORDER BY s.pgt_schema, s.pgt_name) INTO roots
      FROM pgtrickle.pgt_stream_tables s
     WHERE NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables u ON u.pgt_relid = d.source_relid
                        WHERE d.pgt_id = s.pgt_id);
    n := COALESCE(array_length(roots, 1), 0);
    FOREACH root IN ARRAY COALESCE(roots, '{}') LOOP
        i := i + 1;
        RETURN QUERY SELECT * FROM pgtrickle._tree_node(root, CASE WHEN n = 1 THEN '' WHEN i = n THEN '└── ' ELSE '├── ' END,
                                                      CASE WHEN n = 1 OR i = n THEN '    ' ELSE '│   ' END, 0, ARRAY[]::bigint[]);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle._tree_node(st pgtrickle.pgt_stream_tables, connector text, prefix text, level int, seen bigint[])
RETURNS TABLE(tree_line TEXT, node TEXT, node_type TEXT, depth INT, status TEXT, refresh_mode TEXT)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    children record;
    k int := 0;
    total int;
    label text := pgtrickle._qualified(st);
BEGIN
    node := label; node_type := 'stream_table'; depth := level;
    status := st.status; refresh_mode := st.refresh_mode;
    -- the first line's prefix is the parent's; children extend it
    tree_line := left(prefix, greatest(length(prefix) - 4, 0)) || connector || label;
    RETURN NEXT;
    IF st.pgt_id = ANY (seen) THEN RETURN; END IF;
    SELECT count(*) INTO total FROM (
        SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = st.pgt_relid
        UNION ALL
        SELECT 1 FROM pgtrickle.pgt_dependencies d WHERE d.pgt_id = st.pgt_id AND d.source_type IN ('TABLE', 'MATVIEW', 'FOREIGN_TABLE')) c;
    FOR children IN
        SELECT 0 AS kind, c AS child, pgtrickle._qualified(c) AS label
          FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables c ON c.pgt_id = d.pgt_id
         WHERE d.source_relid = st.pgt_relid
        UNION ALL
        SELECT 1, NULL, format('%I.%I', n.nspname, r.relname)
          FROM pgtrickle.pgt_dependencies d JOIN pg_class r ON r.oid = d.source_relid JOIN pg_namespace n ON n.oid = r.relnamespace
         WHERE d.pgt_id = st.pgt_id AND d.source_type IN ('TABLE', 'MATVIEW', 'FOREIGN_TABLE')
         ORDER BY 1, 3
    LOOP
        k := k + 1;
        IF children.kind = 0 THEN
            RETURN QUERY SELECT * FROM pgtrickle._tree_node(children.child, CASE WHEN k = total THEN '└── ' ELSE '├── ' END,
                prefix || CASE WHEN k = total THEN '    ' ELSE '│   ' END, level + 1, seen || st.pgt_id);
        ELSE
            tree_line := prefix || CASE WHEN k = total THEN '└── ' ELSE '├── ' END || children.label || ' [src]';
            node := children.label; node_type := 'source_table'; depth := level + 1;
            status := NULL; refresh_mode := NULL;
            RETURN NEXT;
        END IF;
    END LOOP;
END $$;
