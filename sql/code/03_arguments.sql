-- Argument validation: schedules (durations and cron), refresh modes, choices.
--
-- One grammar for schedules: what these accept is what the coordinator's
-- scheduler can run (src/schedule.ts).

-- Duration grammar: bare integer = seconds, or groups of digits+unit (s m h d w).
-- NULL for anything else (including cron expressions). No minimum check.
CREATE OR REPLACE FUNCTION pgtrickle.parse_duration_seconds(input text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    v text := btrim(input);
    m text[];
    total bigint := 0;
BEGIN
    IF v ~ '^[0-9]+$' THEN
        RETURN v::bigint;
    END IF;
    IF v !~ '^([0-9]+[smhdw])+$' THEN
        RETURN NULL;
    END IF;
    FOR m IN SELECT regexp_matches(v, '([0-9]+)([smhdw])', 'g') LOOP
        total := total + m[1]::bigint * CASE m[2]
            WHEN 's' THEN 1 WHEN 'm' THEN 60 WHEN 'h' THEN 3600
            WHEN 'd' THEN 86400 ELSE 604800 END;
    END LOOP;
    RETURN total;
END $$;

-- Validates a cron expression; accepts a subset of what the coordinator's
-- scheduler (croner) reads, so every schedule stored is one it can run
-- (test/schedule-grammar.test.ts checks the two against each other): 5 fields,
-- 6 with seconds, or an @alias. Per field: *, ?, n, n-m (n <= m), any of them
-- /step (1 <= step <= field maximum + 1), lists with commas, month and weekday
-- names, L (last day of month), nL and n#k (weekday of the month, k 1..5).
CREATE OR REPLACE FUNCTION pgtrickle._validate_cron(expr text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    fields text[];
    names  text[] := ARRAY['second', 'minute', 'hour', 'day of month', 'month', 'day of week'];
    lo     int[]  := ARRAY[0, 0, 0, 1, 1, 0];
    hi     int[]  := ARRAY[59, 59, 23, 31, 12, 7];
    months text[] := ARRAY['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
    days   text[] := ARRAY['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    offs   int;
    f      int;
    i      int;
    k      int;
    item   text;
    base   text;
    step   text;
    n      text;
    bad    text;
BEGIN
    IF expr LIKE '@%' THEN
        IF lower(expr) NOT IN ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly') THEN
            RAISE EXCEPTION 'invalid argument: invalid cron expression ''%'': unknown alias (expected @yearly, @annually, @monthly, @weekly, @daily or @hourly)', expr
                USING ERRCODE = '22023';
        END IF;
        RETURN;
    END IF;
    fields := regexp_split_to_array(btrim(expr), '\s+');
    IF array_length(fields, 1) NOT IN (5, 6) THEN
        RAISE EXCEPTION 'invalid argument: invalid cron expression ''%'': expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds, got %',
            expr, array_length(fields, 1) USING ERRCODE = '22023';
    END IF;
    offs := CASE WHEN array_length(fields, 1) = 5 THEN 1 ELSE 0 END;
    FOR i IN 1 .. array_length(fields, 1) LOOP
        f := i + offs;
        -- lower case: names and L are matched in lower case
        FOREACH item IN ARRAY string_to_array(lower(fields[i]), ',') LOOP
            IF f = 5 THEN
                FOR k IN 1 .. 12 LOOP item := replace(item, months[k], k::text); END LOOP;
            ELSIF f = 6 THEN
                FOR k IN 1 .. 7 LOOP item := replace(item, days[k], (k - 1)::text); END LOOP;
            END IF;
            step := substring(item FROM '/([0-9]+)$');
            base := regexp_replace(item, '/[0-9]+$', '');
            bad := CASE
                WHEN base !~ '^(\*|\?|l|[0-9]+(-[0-9]+)?|[0-9]+#[1-5]|[0-9]+l)$' THEN 'bad'
                WHEN base = '?' AND f NOT IN (4, 6) THEN '''?'' is only allowed for day of month and day of week'
                WHEN base = 'l' AND f <> 4 THEN '''L'' alone is only allowed for day of month'
                WHEN base ~ '[#l]' AND base <> 'l' AND f <> 6 THEN '''#'' and ''nL'' are only allowed for day of week'
                WHEN step IS NOT NULL AND (step::int = 0 OR step::int > hi[f] + 1) THEN format('step %s is outside 1..%s', step, hi[f] + 1)
                WHEN step IS NOT NULL AND base ~ '[#l?]' THEN 'a step needs *, a number or a range'
                WHEN base ~ '^[0-9]+-[0-9]+$' AND split_part(base, '-', 1)::int > split_part(base, '-', 2)::int
                    THEN format('range %s starts after it ends', base)
            END;
            IF bad = 'bad' THEN
                RAISE EXCEPTION 'invalid argument: invalid cron expression ''%'': bad % field ''%''', expr, names[f], fields[i]
                    USING ERRCODE = '22023';
            ELSIF bad IS NOT NULL THEN
                RAISE EXCEPTION 'invalid argument: invalid cron expression ''%'': % field ''%'': %', expr, names[f], fields[i], bad
                    USING ERRCODE = '22023';
            END IF;
            FOR n IN SELECT (regexp_matches(regexp_replace(base, '#[0-9]+$', ''), '[0-9]+', 'g'))[1] LOOP
                IF n::int < lo[f] OR n::int > hi[f] THEN
                    RAISE EXCEPTION 'invalid argument: invalid cron expression ''%'': % value % is outside %..%',
                        expr, names[f], n, lo[f], hi[f] USING ERRCODE = '22023';
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
END $$;

-- Returns the schedule to store (NULL = CALCULATED) or raises a clear error.
CREATE OR REPLACE FUNCTION pgtrickle._normalize_schedule(schedule text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v       text := btrim(schedule);
    seconds bigint;
    minimum bigint := pgtrickle._setting('min_schedule_seconds')::bigint;
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'invalid argument: use ''calculated'' instead of NULL to set CALCULATED schedule'
            USING ERRCODE = '22023', HINT = 'Pass schedule => ''calculated'', or omit the argument.';
    END IF;
    IF lower(v) = 'calculated' THEN
        RETURN NULL;
    END IF;
    IF v = '' THEN
        RAISE EXCEPTION 'invalid argument: invalid schedule '''': empty'
            USING ERRCODE = '22023', HINT = 'Use a duration like ''30s'', ''5m'', ''1h30m'', a cron expression like ''*/5 * * * *'', or ''calculated''.';
    END IF;
    IF v LIKE '@%' OR v ~ '\s' THEN
        PERFORM pgtrickle._validate_cron(v);
        RETURN v;
    END IF;
    seconds := pgtrickle.parse_duration_seconds(v);
    IF seconds IS NULL THEN
        RAISE EXCEPTION 'invalid argument: invalid schedule ''%'': %', v,
            CASE WHEN v ~ '^-' THEN 'negative durations are not allowed'
                 WHEN v ~ '(^|[smhdw])[smhdw]' THEN 'a number is missing before a unit'
                 WHEN v ~ '[0-9]$' THEN 'trailing digits without a unit'
                 ELSE 'unknown unit (use s, m, h, d or w)' END
            USING ERRCODE = '22023', HINT = 'Use a duration like ''30s'', ''5m'', ''1h30m'', a cron expression like ''*/5 * * * *'', or ''calculated''.';
    END IF;
    IF seconds < minimum THEN
        RAISE EXCEPTION 'invalid argument: schedule must be at least %s, got %s', minimum, seconds
            USING ERRCODE = '22023', HINT = 'Lower pg_trickle.min_schedule_seconds or choose a longer schedule.';
    END IF;
    RETURN v;
END $$;

-- 'AUTO' stays 'AUTO' here; the caller decides what to store.
CREATE OR REPLACE FUNCTION pgtrickle._normalize_mode(refresh_mode text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v text := upper(btrim(COALESCE(refresh_mode, '')));
BEGIN
    IF v = 'INCREMENTAL' THEN
        v := 'DIFFERENTIAL';
    END IF;
    IF v NOT IN ('AUTO', 'FULL', 'DIFFERENTIAL', 'IMMEDIATE') THEN
        RAISE EXCEPTION 'invalid argument: unknown refresh mode: %. Must be ''AUTO'', ''FULL'', ''DIFFERENTIAL'', or ''IMMEDIATE''',
            COALESCE(refresh_mode, 'NULL')
            USING ERRCODE = '22023', HINT = 'Use refresh_mode => ''AUTO'', ''FULL'', ''DIFFERENTIAL'' or ''IMMEDIATE''.';
    END IF;
    RETURN v;
END $$;

CREATE OR REPLACE FUNCTION pgtrickle._validate_choice(value text, allowed text[], what text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    IF NOT lower(btrim(value)) = ANY (allowed) THEN
        RAISE EXCEPTION 'invalid argument: invalid % value: ''%'' (expected %)', what, value,
            (SELECT string_agg(quote_literal(a), ', ') FROM unnest(allowed) a)
            USING ERRCODE = '22023';
    END IF;
    RETURN lower(btrim(value));
END $$;
