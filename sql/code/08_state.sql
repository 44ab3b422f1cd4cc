-- The state machine of a stream table (DESIGN D15): the one function that
-- changes its status and its plan state.
--
-- State columns: pgt_stream_tables.status, consecutive_errors,
-- last_error_message, last_error_at, needs_reinit, fuse_state, blown_at,
-- blow_reason; pgt_coord_plans.plan_kind,
-- compile_requested_at, compiled_at, compile_error (and refresh_mode when AUTO
-- falls back to FULL). Nothing else writes them — not the lifecycle API, not the
-- executor, not the coordinator (which calls this function too).
--
-- Status (event: from → to):
--
--                refreshed                 suspend; refresh_failed
--  INITIALIZING ────────────► ACTIVE ───────(retries used up)────────► SUSPENDED
--       │                     │   ▲ ◄──────────────resume────────────── │   ▲
--       │ fail; refresh_failed│   │ resume                              │   │
--       │ (permanent)         ▼   │                               fail  │   │ suspend
--       └───────────────────► ERROR ◄──────────────────────────────────┘   │
--                               └───────────────────────────────────────────┘
--  reinitialize: ACTIVE, SUSPENDED, ERROR → INITIALIZING (next refresh FULL)
--
--   refreshed       INITIALIZING, ACTIVE → ACTIVE; errors and needs_reinit cleared
--   refresh_failed  INITIALIZING, ACTIVE → unchanged while retryable and under
--                   pg_trickle.max_consecutive_errors; SUSPENDED when it is
--                   reached; ERROR at once for a permanent error (_is_retryable)
--   fail            any → ERROR with the message (and needs_reinit if asked)
--   suspend         INITIALIZING, ACTIVE, ERROR → SUSPENDED
--   resume          SUSPENDED, ERROR → ACTIVE; errors cleared
--   clear_errors    INITIALIZING, ACTIVE → unchanged; errors cleared
--   reinitialize    ACTIVE, SUSPENDED, ERROR → INITIALIZING with needs_reinit
--                   (the next refresh is FULL and makes it ACTIVE)
--   needs_reinit    any → unchanged, needs_reinit set (source DDL)
--   fuse_blow       INITIALIZING, ACTIVE → SUSPENDED; fuse_state 'blown',
--                   blown_at, blow_reason (detail.reason) (22_fuse.sql)
--   fuse_reset      any → ACTIVE; fuse re-armed, errors counter cleared, and
--                   needs_reinit set when detail.needs_reinit (reset_fuse)
--
-- Plan (pgt_coord_plans), in any status:
--   plan_requested   compile_requested_at set: the coordinator compiles soon
--   plan_compiled    plan_kind COMPILED (after _install_compiled_plan wrote it)
--   plan_failed      compile_error set, request cleared (a compiler bug: the
--                    FULL plan stays)
--   plan_unsupported as plan_failed, then refresh_mode FULL (AUTO fell back) or
--                    status ERROR (DIFFERENTIAL/IMMEDIATE asked for explicitly)
--
-- Any other (event, state) pair raises SQLSTATE 55000 (object not in
-- prerequisite state); an unknown event is an internal error (XX000).

CREATE OR REPLACE FUNCTION pgtrickle._transition(pgt_id bigint, event text, detail jsonb DEFAULT '{}')
RETURNS pgtrickle.pgt_stream_tables
LANGUAGE plpgsql AS $$
DECLARE
    st pgtrickle.pgt_stream_tables;
    allowed text[];
    next_status text;
    max_errors int;
BEGIN
    SELECT * INTO st FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = _transition.pgt_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'stream table not found: pgt_id %', pgt_id USING ERRCODE = '42704';
    END IF;
    allowed := CASE event
        WHEN 'refreshed'        THEN ARRAY['INITIALIZING', 'ACTIVE']
        WHEN 'refresh_failed'   THEN ARRAY['INITIALIZING', 'ACTIVE']
        WHEN 'fail'             THEN ARRAY['INITIALIZING', 'ACTIVE', 'SUSPENDED', 'ERROR']
        WHEN 'suspend'          THEN ARRAY['INITIALIZING', 'ACTIVE', 'ERROR']
        WHEN 'resume'           THEN ARRAY['SUSPENDED', 'ERROR']
        WHEN 'clear_errors'     THEN ARRAY['INITIALIZING', 'ACTIVE']
        WHEN 'reinitialize'     THEN ARRAY['ACTIVE', 'SUSPENDED', 'ERROR']
        WHEN 'needs_reinit'     THEN ARRAY['INITIALIZING', 'ACTIVE', 'SUSPENDED', 'ERROR']
        WHEN 'fuse_blow'        THEN ARRAY['INITIALIZING', 'ACTIVE']
        WHEN 'fuse_reset'       THEN ARRAY['INITIALIZING', 'ACTIVE', 'SUSPENDED', 'ERROR']
        WHEN 'plan_requested'   THEN ARRAY['INITIALIZING', 'ACTIVE', 'SUSPENDED', 'ERROR']
        WHEN 'plan_compiled'    THEN ARRAY['INITIALIZING', 'ACTIVE', 'SUSPENDED', 'ERROR']
        WHEN 'plan_failed'      THEN ARRAY['INITIALIZING', 'ACTIVE', 'SUSPENDED', 'ERROR']
        WHEN 'plan_unsupported' THEN ARRAY['INITIALIZING', 'ACTIVE', 'SUSPENDED', 'ERROR']
    END;
    IF allowed IS NULL THEN
        RAISE EXCEPTION 'internal error: unknown stream table event %', quote_literal(event) USING ERRCODE = 'XX000';
    END IF;
    IF NOT st.status = ANY (allowed) THEN
        RAISE EXCEPTION 'stream table % cannot go through % while %', pgtrickle._qualified(st), event, st.status
            USING ERRCODE = '55000',
                  HINT = format('%s is allowed from %s.', event, array_to_string(allowed, ', '));
    END IF;

    CASE event
    WHEN 'refreshed' THEN
        UPDATE pgtrickle.pgt_stream_tables s
           SET status = 'ACTIVE', consecutive_errors = 0, last_error_message = NULL, last_error_at = NULL,
               needs_reinit = false, updated_at = now()
         WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
    WHEN 'refresh_failed' THEN
        max_errors := pgtrickle._setting('max_consecutive_errors')::int;
        next_status := CASE WHEN NOT pgtrickle._is_retryable(detail ->> 'sqlstate') THEN 'ERROR'
                            WHEN st.consecutive_errors + 1 >= max_errors THEN 'SUSPENDED'
                            ELSE st.status END;
        UPDATE pgtrickle.pgt_stream_tables s
           SET status = next_status, consecutive_errors = s.consecutive_errors + 1,
               last_error_message = detail ->> 'message', last_error_at = clock_timestamp(), updated_at = now()
         WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
    WHEN 'fail' THEN
        UPDATE pgtrickle.pgt_stream_tables s
           SET status = 'ERROR', last_error_message = detail ->> 'message', last_error_at = now(),
               needs_reinit = s.needs_reinit OR COALESCE((detail ->> 'needs_reinit')::boolean, false), updated_at = now()
         WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
    WHEN 'suspend' THEN
        UPDATE pgtrickle.pgt_stream_tables s SET status = 'SUSPENDED', updated_at = now()
         WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
    WHEN 'clear_errors' THEN
        UPDATE pgtrickle.pgt_stream_tables s
           SET consecutive_errors = 0, last_error_message = NULL, last_error_at = NULL, updated_at = now()
         WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
    WHEN 'resume' THEN
        UPDATE pgtrickle.pgt_stream_tables s
           SET status = 'ACTIVE', consecutive_errors = 0, last_error_message = NULL, last_error_at = NULL, updated_at = now()
         WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
    WHEN 'reinitialize' THEN
        UPDATE pgtrickle.pgt_stream_tables s
           SET status = 'INITIALIZING', needs_reinit = true, consecutive_errors = 0,
               last_error_message = NULL, last_error_at = NULL, updated_at = now()
         WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
    WHEN 'needs_reinit' THEN
        UPDATE pgtrickle.pgt_stream_tables s SET needs_reinit = true, updated_at = now()
         WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
    WHEN 'fuse_blow' THEN
        UPDATE pgtrickle.pgt_stream_tables s
           SET status = 'SUSPENDED', fuse_state = 'blown', blown_at = now(), blow_reason = detail ->> 'reason',
               updated_at = now()
         WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
    WHEN 'fuse_reset' THEN
        UPDATE pgtrickle.pgt_stream_tables s
           SET status = 'ACTIVE', fuse_state = 'armed', blown_at = NULL, blow_reason = NULL, consecutive_errors = 0,
               needs_reinit = s.needs_reinit OR COALESCE((detail ->> 'needs_reinit')::boolean, false), updated_at = now()
         WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
    WHEN 'plan_requested' THEN
        UPDATE pgtrickle.pgt_coord_plans p SET compile_requested_at = now(), compile_error = NULL
         WHERE p.pgt_id = st.pgt_id;
    WHEN 'plan_compiled' THEN
        UPDATE pgtrickle.pgt_coord_plans p
           SET plan_kind = 'COMPILED', compiled_at = now(), compile_error = NULL, compile_requested_at = NULL
         WHERE p.pgt_id = st.pgt_id;
    WHEN 'plan_failed', 'plan_unsupported' THEN
        UPDATE pgtrickle.pgt_coord_plans p SET compile_error = detail ->> 'error', compile_requested_at = NULL
         WHERE p.pgt_id = st.pgt_id;
        IF event = 'plan_unsupported' AND COALESCE((detail ->> 'fallback_to_full')::boolean, false) THEN
            UPDATE pgtrickle.pgt_stream_tables s SET refresh_mode = 'FULL', updated_at = now()
             WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
        ELSIF event = 'plan_unsupported' THEN
            UPDATE pgtrickle.pgt_stream_tables s
               SET status = 'ERROR', last_error_message = detail ->> 'message', last_error_at = now(), updated_at = now()
             WHERE s.pgt_id = st.pgt_id RETURNING * INTO st;
        END IF;
    END CASE;
    RETURN st;
END $$;

-- Installs a plan the coordinator's compiler produced (DESIGN D2): the plan's
-- statements here, its state through _transition. The storage was filled by
-- another plan, so the next refresh is FULL (storage_matches_plan = false).
CREATE OR REPLACE FUNCTION pgtrickle._install_compiled_plan(pgt_id bigint, compiler_version text, full_sql text,
    differential_sql text, operator_tree text, plan jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pgtrickle.pgt_coord_plans p
       SET compiler_version = _install_compiled_plan.compiler_version, full_sql = _install_compiled_plan.full_sql,
           differential_sql = _install_compiled_plan.differential_sql, operator_tree = _install_compiled_plan.operator_tree,
           plan = _install_compiled_plan.plan, storage_matches_plan = false
     WHERE p.pgt_id = _install_compiled_plan.pgt_id;
    PERFORM pgtrickle._transition(pgt_id, 'plan_compiled');
END $$;
