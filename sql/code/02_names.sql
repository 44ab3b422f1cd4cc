-- Stream-table names: parsing, lookup and the display form.
--
-- A name is resolved with PostgreSQL's identifier rules; the display form
-- (_qualified) can be pasted back into every API call.

-- Splits a stream-table name with PostgreSQL's identifier rules (parse_ident):
-- order_totals → (current schema, order_totals); "Order Totals" keeps its case
-- and space; analytics.daily → (analytics, daily).
CREATE OR REPLACE FUNCTION pgtrickle._resolve_name(name text, OUT schema_name text, OUT table_name text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    parts text[];
BEGIN
    IF name IS NULL OR btrim(name) = '' THEN
        RAISE EXCEPTION 'invalid argument: stream table name must not be empty'
            USING ERRCODE = '22023', HINT = 'Pass the stream table''s name, e.g. ''order_totals'' or ''analytics.order_totals''.';
    END IF;
    BEGIN
        parts := pg_catalog.parse_ident(name);
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'invalid argument: invalid stream table name %: %', pg_catalog.quote_literal(name), SQLERRM
            USING ERRCODE = '22023', HINT = 'Use a plain identifier such as order_totals, a qualified one such as analytics.order_totals, or double quotes for other characters: ''"Order Totals"''.';
    END;
    IF array_length(parts, 1) = 1 THEN
        schema_name := COALESCE(current_schema(), 'public');
        table_name := parts[1];
    ELSIF array_length(parts, 1) = 2 THEN
        schema_name := parts[1];
        table_name := parts[2];
    ELSE
        RAISE EXCEPTION 'invalid argument: invalid stream table name %: expected name or schema.name', pg_catalog.quote_literal(name)
            USING ERRCODE = '22023', HINT = 'Double-quote a name that contains a dot: ''"a.b"'' or ''analytics."a.b"''.';
    END IF;
    IF octet_length(table_name) > 63 THEN
        RAISE EXCEPTION 'invalid argument: invalid stream table name %: longer than 63 bytes', pg_catalog.quote_literal(name)
            USING ERRCODE = '22023', HINT = 'Choose a name of at most 63 bytes.';
    END IF;
    IF table_name LIKE '\_\_pgt\_%' THEN
        RAISE EXCEPTION 'invalid argument: invalid stream table name %: the prefix __pgt_ is reserved', pg_catalog.quote_literal(name)
            USING ERRCODE = '22023', HINT = 'Choose a name that does not start with __pgt_.';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle._find_stream_table(name text) RETURNS pgtrickle.pgt_stream_tables
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r  record;
    st pgtrickle.pgt_stream_tables;
BEGIN
    SELECT * INTO r FROM pgtrickle._resolve_name(name);
    SELECT * INTO st FROM pgtrickle.pgt_stream_tables
     WHERE pgt_schema = r.schema_name AND pgt_name = r.table_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'stream table not found: %', format('%I.%I', r.schema_name, r.table_name)
            USING ERRCODE = '42704', HINT = 'List stream tables with: SELECT * FROM pgtrickle.pgt_status();';
    END IF;
    RETURN st;
END $$;

-- A stream table the caller may change: its owner — the owner of its storage
-- table — or a member of that role, as ALTER TABLE requires (DESIGN D13).
-- Reading status needs no ownership.
CREATE OR REPLACE FUNCTION pgtrickle._find_owned_stream_table(name text) RETURNS pgtrickle.pgt_stream_tables
LANGUAGE plpgsql STABLE AS $$
DECLARE
    st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    owner_name name;
BEGIN
    SELECT c.relowner::regrole::name INTO owner_name FROM pg_catalog.pg_class c WHERE c.oid = st.pgt_relid;
    IF NOT pg_catalog.pg_has_role(current_user, COALESCE(owner_name, current_user), 'MEMBER') THEN
        RAISE EXCEPTION 'must be owner of stream table %', pgtrickle._qualified(st)
            USING ERRCODE = '42501',
                  HINT = format('The stream table belongs to role %s; ask its owner, or a member of that role.', quote_ident(owner_name));
    END IF;
    RETURN st;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle._qualified(st pgtrickle.pgt_stream_tables) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT format('%I.%I', st.pgt_schema, st.pgt_name) $$;
