-- Retired objects: functions and views that an earlier release installed and
-- this one no longer has, or whose signature changed (CREATE OR REPLACE cannot
-- change argument lists or result types). Dropped first, so the modules after
-- this one can create the new definitions and an upgraded database holds
-- exactly what a fresh install holds (test/upgrade.test.ts compares them).
-- Append a line when removing or re-signing something; never delete one.

-- 0.2.0: the default moved into _setting(name) itself (one place for defaults).
DROP FUNCTION IF EXISTS pgtrickle._setting(text, text);

-- 0.2.0: the single-statement lexer, replaced by the server's parser (_check_single_select).
DROP FUNCTION IF EXISTS pgtrickle._single_statement(text);

-- 0.2.0 development builds (never released): the runner helper before its rewrite flag.
DROP FUNCTION IF EXISTS pgtrickle._ensure_runner(oid);
