/**
 * The observability surface (SQL API §3–§5, issue 14): every function's
 * signature against the spec, and its values on a small scenario with known
 * answers — a chain, a diamond, a stale table, a failing one, a table whose
 * capture triggers are broken — plus recommend_refresh_mode on constructed
 * histories and the coordinator's node heartbeat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompilerPool, createStreamTable } from '../src/index.ts';
import { loadConfig } from '../src/config.ts';
import { startCoordinator } from '../src/coordinator/coordinator.ts';
import { silentLogger } from '../src/log.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

/** The spec's signatures (sql-api.md §3–§5), as written there. */
const SPEC: Record<string, { args: string; result: string }> = {
  st_refresh_stats: { args: '', result: 'TABLE(pgt_name TEXT, pgt_schema TEXT, status TEXT, refresh_mode TEXT, is_populated bool, total_refreshes bigint, successful_refreshes bigint, failed_refreshes bigint, total_rows_inserted bigint, total_rows_deleted bigint, avg_duration_ms double precision, last_refresh_action TEXT, last_refresh_status TEXT, last_refresh_at timestamptz, staleness_secs double precision, stale bool, consecutive_errors INT, schedule TEXT, refresh_tier TEXT, last_error_message TEXT)' },
  get_refresh_history: { args: 'name TEXT, max_rows INT DEFAULT 20', result: 'TABLE(refresh_id bigint, data_timestamp timestamptz, start_time timestamptz, end_time timestamptz, action TEXT, status TEXT, rows_inserted bigint, rows_deleted bigint, duration_ms double precision, error_message TEXT)' },
  pgt_status: { args: '', result: 'TABLE(name TEXT, status TEXT, refresh_mode TEXT, is_populated bool, consecutive_errors INT, schedule TEXT, data_timestamp timestamptz, staleness interval, scc_id INT)' },
  refresh_timeline: { args: 'max_rows INT DEFAULT 50', result: 'TABLE(start_time timestamptz, stream_table TEXT, action TEXT, status TEXT, rows_inserted bigint, rows_deleted bigint, duration_ms double precision, error_message TEXT)' },
  get_staleness: { args: 'name TEXT', result: 'double precision' },
  st_auto_threshold: { args: 'name TEXT', result: 'double precision' },
  health_check: { args: '', result: 'TABLE(check_name TEXT, severity TEXT, detail TEXT)' },
  explain_refresh_mode: { args: 'name TEXT', result: 'TABLE(configured_mode TEXT, effective_mode TEXT, downgrade_reason TEXT)' },
  slot_health: { args: '', result: 'TABLE(slot_name TEXT, source_relid bigint, active bool, retained_wal_bytes bigint, wal_status TEXT)' },
  check_cdc_health: { args: '', result: 'TABLE(source_relid bigint, source_table TEXT, cdc_mode TEXT, slot_name TEXT, lag_bytes bigint, confirmed_lsn TEXT, alert TEXT, selective_capture bool)' },
  change_buffer_sizes: { args: '', result: 'TABLE(stream_table TEXT, source_table TEXT, source_oid bigint, cdc_mode TEXT, pending_rows bigint, buffer_bytes bigint)' },
  list_sources: { args: 'name TEXT', result: 'TABLE(source_table TEXT, source_oid bigint, source_type TEXT, cdc_mode TEXT, columns_used TEXT)' },
  trigger_inventory: { args: '', result: 'TABLE(source_table TEXT, source_oid bigint, trigger_name TEXT, trigger_type TEXT, present bool, enabled bool)' },
  diamond_groups: { args: '', result: 'TABLE(group_id INT, member_name TEXT, member_schema TEXT, is_convergence bool, epoch bigint, schedule_policy TEXT)' },
  pgt_scc_status: { args: '', result: 'TABLE(scc_id INT, member_count INT, members TEXT[], last_iterations INT, last_converged_at timestamptz)' },
  fuse_status: { args: '', result: 'TABLE(stream_table TEXT, fuse_mode TEXT, fuse_state TEXT, fuse_ceiling bigint, effective_ceiling bigint, fuse_sensitivity INT, blown_at timestamptz, blow_reason TEXT)' },
  shared_buffer_stats: { args: '', result: 'TABLE(source_oid bigint, source_table TEXT, consumer_count INT, consumers TEXT, columns_tracked INT, safe_frontier_lsn TEXT, buffer_rows bigint, is_partitioned bool)' },
  dedup_stats: { args: '', result: 'TABLE(total_diff_refreshes bigint, dedup_needed bigint, dedup_ratio_pct double precision)' },
  worker_pool_status: { args: '', result: 'TABLE(active_workers INT, max_workers INT, per_db_cap INT, parallel_mode TEXT)' },
  parallel_job_status: { args: 'max_age_seconds INT DEFAULT 300', result: 'TABLE(job_id bigint, unit_key TEXT, unit_kind TEXT, status TEXT, member_count INT, attempt_no INT, scheduler_pid INT, worker_pid INT, enqueued_at timestamptz, started_at timestamptz, finished_at timestamptz, duration_ms double precision)' },
  explain_st: { args: 'name TEXT', result: 'TABLE(property TEXT, value TEXT)' },
  explain_delta: { args: "name TEXT, format TEXT DEFAULT 'text'", result: 'SETOF TEXT' },
  explain_query_rewrite: { args: 'query TEXT', result: 'TABLE(pass_name TEXT, changed bool, sql_after TEXT)' },
  validate_query: { args: 'query TEXT', result: 'TABLE(check_name TEXT, result TEXT, severity TEXT)' },
  diagnose_errors: { args: 'name TEXT', result: 'TABLE(event_time timestamptz, error_type TEXT, error_message TEXT, remediation TEXT)' },
  list_auxiliary_columns: { args: 'name TEXT', result: 'TABLE(column_name TEXT, data_type TEXT, purpose TEXT)' },
  recommend_refresh_mode: { args: 'st_name TEXT DEFAULT NULL', result: 'TABLE(pgt_schema TEXT, pgt_name TEXT, current_mode TEXT, effective_mode TEXT, recommended_mode TEXT, confidence TEXT, reason TEXT, signals jsonb)' },
  refresh_efficiency: { args: '', result: 'TABLE(pgt_schema TEXT, pgt_name TEXT, refresh_mode TEXT, total_refreshes bigint, diff_count bigint, full_count bigint, avg_diff_ms double precision, avg_full_ms double precision, avg_change_ratio double precision, diff_speedup TEXT, last_refresh_at TEXT)' },
  export_definition: { args: 'st_name TEXT', result: 'text' },
  rebuild_cdc_triggers: { args: '', result: 'text' },
  restore_stream_tables: { args: '', result: 'void' },
};

/** The spec's spelling → pg_get_function_result's. */
const normalise = (s: string) =>
  s.toLowerCase()
    .replace(/\btimestamptz\b/g, 'timestamp with time zone')
    .replace(/\bbool\b/g, 'boolean')
    .replace(/\bint\b/g, 'integer')
    .replace(/'text'::text/g, "'text'")
    .replace(/default null::text/g, 'default null');

describe('observability functions', () => {
  let db: TestDatabase;
  let pool: CompilerPool;
  let ordersOid: number;
  const st = async (name: string) => (await db.query<{ pgt_id: string }>(`SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = $1`, [name]))[0]!.pgt_id;

  beforeAll(async () => {
    db = await freshDatabase();
    pool = new CompilerPool({ threads: 1 });
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`INSERT INTO orders SELECT g, g % 4, g FROM generate_series(1, 40) g`);
    ordersOid = (await db.query<{ oid: number }>(`SELECT 'orders'::regclass::oid AS oid`))[0]!.oid;
    const client = await db.connect();
    // a chain: chain_a → chain_b → chain_c
    await db.query(`SELECT pgtrickle.create_stream_table('chain_a', 'SELECT id, amount FROM orders', refresh_mode => 'FULL')`);
    await db.query(`SELECT pgtrickle.create_stream_table('chain_b', 'SELECT id, amount FROM chain_a WHERE amount > 10', refresh_mode => 'FULL')`);
    await db.query(`SELECT pgtrickle.create_stream_table('chain_c', 'SELECT count(*) AS n FROM chain_b', refresh_mode => 'FULL')`);
    // a diamond: left and right read orders, both read by apex
    await db.query(`SELECT pgtrickle.create_stream_table('dia_left', 'SELECT id, amount FROM orders WHERE id % 2 = 0', refresh_mode => 'FULL')`);
    await db.query(`SELECT pgtrickle.create_stream_table('dia_right', 'SELECT id, customer_id FROM orders WHERE id % 2 = 0', refresh_mode => 'FULL')`);
    await db.query(`SELECT pgtrickle.create_stream_table('dia_apex', 'SELECT l.id, l.amount, r.customer_id FROM dia_left l JOIN dia_right r ON r.id = l.id',
                    refresh_mode => 'FULL', diamond_schedule_policy => 'slowest')`);
    // stale: a 1s schedule last refreshed an hour ago
    await db.query(`SELECT pgtrickle.create_stream_table('stale_one', 'SELECT id FROM orders', '1s', 'FULL')`);
    await db.adminQuery(`UPDATE pgtrickle.pgt_stream_tables SET last_refresh_at = now() - interval '1 hour', data_timestamp = now() - interval '1 hour'
                          WHERE pgt_name = 'stale_one'`);
    // failing: in ERROR with a message, and failed history rows
    await db.query(`SELECT pgtrickle.create_stream_table('failing', 'SELECT id FROM orders', refresh_mode => 'FULL')`);
    await db.adminQuery(`SELECT pgtrickle._transition($1, 'fail', '{"message": "permission denied for table secret"}')`, [await st('failing')]);
    // compiled DIFFERENTIAL aggregate, for explain_delta and hidden columns
    await createStreamTable(client, { name: 'totals', query: 'SELECT customer_id, sum(amount) AS s FROM orders GROUP BY customer_id', refreshMode: 'DIFFERENTIAL' }, pool);
    // never populated
    await db.query(`SELECT pgtrickle.create_stream_table('unpopulated', 'SELECT id FROM orders', refresh_mode => 'FULL', initialize => false)`);
  }, 60_000);
  afterAll(async () => {
    await pool.close();
    await db.drop();
  });

  it('every function has the spec’s argument names, defaults and output columns in order', async () => {
    const rows = await db.query<{ proname: string; args: string; result: string }>(
      `SELECT proname, pg_get_function_arguments(oid) AS args, pg_get_function_result(oid) AS result
         FROM pg_proc WHERE pronamespace = 'pgtrickle'::regnamespace AND proname = ANY ($1)`, [Object.keys(SPEC)]);
    const actual = Object.fromEntries(rows.map((r) => [r.proname, { args: normalise(r.args), result: normalise(r.result) }]));
    const expected = Object.fromEntries(Object.entries(SPEC).map(([k, v]) => [k, { args: normalise(v.args), result: normalise(v.result) }]));
    expect(actual).toEqual(expected);
    const view = await db.query<{ attname: string }>(`SELECT attname FROM pg_attribute WHERE attrelid = 'pgtrickle.pgt_cdc_status'::regclass AND attnum > 0 ORDER BY attnum`);
    expect(view.map((r) => r.attname)).toEqual(['pgt_schema', 'pgt_name', 'source_relid', 'source_name', 'source_schema', 'cdc_mode', 'slot_name', 'decoder_confirmed_lsn', 'transition_started_at']);
  });

  it('st_refresh_stats: counts from the history, staleness and stale for duration schedules, the error of a failing table', async () => {
    await db.query(`SELECT pgtrickle.refresh_stream_table('chain_a')`); // nothing changed: NO_DATA
    const rows = await db.query(`SELECT * FROM pgtrickle.st_refresh_stats()`);
    expect(rows.map((r) => r.pgt_name)).toEqual(['chain_a', 'chain_b', 'chain_c', 'dia_apex', 'dia_left', 'dia_right', 'failing', 'stale_one', 'totals', 'unpopulated']);
    const byName = Object.fromEntries(rows.map((r) => [r.pgt_name, r]));
    expect(byName.chain_a).toMatchObject({ pgt_schema: 'public', total_refreshes: '2', successful_refreshes: '2', failed_refreshes: '0',
      total_rows_inserted: '40', last_refresh_action: 'NO_DATA', last_refresh_status: 'COMPLETED', stale: false, refresh_tier: 'hot' });
    expect(byName.chain_a.avg_duration_ms).toBeGreaterThan(0);
    expect(byName.stale_one).toMatchObject({ stale: true, schedule: '1s' });
    expect(byName.stale_one.staleness_secs).toBeGreaterThan(3500);
    expect(byName.failing).toMatchObject({ status: 'ERROR', last_error_message: 'permission denied for table secret' });
    expect(byName.unpopulated).toMatchObject({ total_refreshes: '0', avg_duration_ms: 0, last_refresh_action: null, staleness_secs: null, stale: false });
  });

  it('refresh_timeline, get_staleness, st_auto_threshold, explain_refresh_mode', async () => {
    const timeline = await db.query(`SELECT * FROM pgtrickle.refresh_timeline(3)`);
    expect(timeline).toHaveLength(3);
    expect(timeline[0]!.start_time >= timeline[1]!.start_time).toBe(true);
    const all = await db.query(`SELECT * FROM pgtrickle.refresh_timeline()`);
    expect(all.filter((r) => r.stream_table === 'public.chain_a')).toHaveLength(2);
    expect((await db.query(`SELECT pgtrickle.get_staleness('stale_one') AS s`))[0]!.s).toBeGreaterThan(3500);
    expect((await db.query(`SELECT pgtrickle.get_staleness('unpopulated') AS s`))[0]!.s).toBeNull();
    await expect(db.query(`SELECT pgtrickle.get_staleness('nope')`)).rejects.toMatchObject({ code: '42704' });
    expect((await db.query(`SELECT pgtrickle.st_auto_threshold('totals') AS t`))[0]!.t).toBe(0.15);
    await db.query(`UPDATE pgtrickle.pgt_stream_tables SET auto_threshold = 0.4 WHERE pgt_name = 'totals'`);
    expect((await db.query(`SELECT pgtrickle.st_auto_threshold('totals') AS t`))[0]!.t).toBe(0.4);
    expect(await db.query(`SELECT * FROM pgtrickle.explain_refresh_mode('chain_a')`)).toEqual([{ configured_mode: 'FULL', effective_mode: 'NO_DATA', downgrade_reason: null }]);
    expect(await db.query(`SELECT configured_mode, effective_mode FROM pgtrickle.explain_refresh_mode('unpopulated')`)).toEqual([{ configured_mode: 'FULL', effective_mode: null }]);
    const [diff] = await db.query(`SELECT * FROM pgtrickle.explain_refresh_mode('totals')`);
    expect(diff).toMatchObject({ configured_mode: 'DIFFERENTIAL' });
    expect(diff!.downgrade_reason).toContain('0.4');
  });

  it('health_check: checks in order; the scheduler seen through a live coordinator node', async () => {
    const checks = await db.query(`SELECT * FROM pgtrickle.health_check()`);
    expect(checks.map((c) => c.check_name)).toEqual(['scheduler_running', 'error_tables', 'stale_tables', 'needs_reinit', 'consecutive_errors', 'buffer_growth', 'slot_lag']);
    const by = Object.fromEntries(checks.map((c) => [c.check_name, c]));
    expect(by.scheduler_running!.severity).toBe('ERROR');
    expect(by.error_tables).toMatchObject({ severity: 'ERROR' });
    expect(by.error_tables!.detail).toContain('public.failing (ERROR)');
    expect(by.stale_tables!.severity).toBe('WARN');
    expect(by.stale_tables!.detail).toContain('public.stale_one');
    expect(by.buffer_growth!.severity).toBe('OK');

    await db.adminQuery(`INSERT INTO pgtrickle.pgt_coord_nodes (node_id, scheduling, max_workers, running_jobs)
                         VALUES ('node-a', true, 4, '[{"job_id": 7, "unit_key": "s:1", "unit_kind": "singleton", "member_count": 1, "worker_pid": 4242, "started_at": "2026-01-01T00:00:00Z"}]'),
                                ('node-dead', true, 4, '[]')`);
    await db.adminQuery(`UPDATE pgtrickle.pgt_coord_nodes SET heartbeat_at = now() - interval '1 minute' WHERE node_id = 'node-dead'`);
    const live = Object.fromEntries((await db.query(`SELECT * FROM pgtrickle.health_check()`)).map((c) => [c.check_name, c]));
    expect(live.scheduler_running).toMatchObject({ severity: 'OK', detail: 'scheduler is running (node node-a)' });
    expect(live.worker_pool).toMatchObject({ severity: 'OK', detail: '1 of 4 refresh workers busy' });
    expect(live.job_queue).toMatchObject({ severity: 'OK' });
    expect(await db.query(`SELECT * FROM pgtrickle.worker_pool_status()`)).toEqual([{ active_workers: 1, max_workers: 4, per_db_cap: 4, parallel_mode: 'on' }]);
    const jobs = await db.query(`SELECT * FROM pgtrickle.parallel_job_status(0)`);
    expect(jobs).toEqual([expect.objectContaining({ job_id: '7', unit_key: 's:1', status: 'RUNNING', worker_pid: 4242, finished_at: null })]);
    await db.adminQuery(`DELETE FROM pgtrickle.pgt_coord_nodes`);
    expect(await db.query(`SELECT * FROM pgtrickle.worker_pool_status()`)).toEqual([{ active_workers: 0, max_workers: 0, per_db_cap: 0, parallel_mode: 'off' }]);
    expect(await db.query(`SELECT * FROM pgtrickle.dedup_stats()`)).toEqual([{ total_diff_refreshes: '0', dedup_needed: '0', dedup_ratio_pct: 0 }]);
  });

  it('parallel_job_status: finished scheduled refreshes within the window', async () => {
    const id = await st('chain_a');
    await db.adminQuery(`INSERT INTO pgtrickle.pgt_refresh_history (pgt_id, data_timestamp, start_time, end_time, action, status, initiated_by, error_message)
      VALUES ($1, now(), now() - interval '2 s', now() - interval '1 s', 'FULL', 'COMPLETED', 'SCHEDULER', NULL),
             ($1, now(), now() - interval '3 s', now() - interval '2.5 s', 'FULL', 'FAILED', 'SCHEDULER', 'canceling statement due to lock timeout (SQLSTATE 55P03)'),
             ($1, now(), now() - interval '1 hour', now() - interval '1 hour', 'FULL', 'COMPLETED', 'SCHEDULER', NULL)`, [id]);
    const jobs = await db.query(`SELECT unit_key, unit_kind, status, duration_ms FROM pgtrickle.parallel_job_status(60)`);
    expect(jobs).toEqual([
      { unit_key: `s:${id}`, unit_kind: 'singleton', status: 'SUCCEEDED', duration_ms: 1000 },
      { unit_key: `s:${id}`, unit_kind: 'singleton', status: 'RETRYABLE_FAILED', duration_ms: 500 },
    ]);
    expect(await db.query(`SELECT * FROM pgtrickle.parallel_job_status(-5)`)).toEqual([]);
  });

  it('CDC: buffers, sources, triggers; a broken trigger is reported and rebuilt', async () => {
    expect(await db.query(`SELECT * FROM pgtrickle.list_sources('chain_b')`)).toEqual([
      { source_table: 'public.chain_a', source_oid: expect.any(String), source_type: 'STREAM_TABLE', cdc_mode: 'TRIGGER', columns_used: expect.anything() },
    ]);
    const sizes = await db.query(`SELECT stream_table, source_table, cdc_mode FROM pgtrickle.change_buffer_sizes() WHERE stream_table = 'public.dia_apex'`);
    expect(sizes).toEqual([
      { stream_table: 'public.dia_apex', source_table: 'public.dia_left', cdc_mode: 'TRIGGER' },
      { stream_table: 'public.dia_apex', source_table: 'public.dia_right', cdc_mode: 'TRIGGER' },
    ]);
    const [shared] = await db.query(`SELECT * FROM pgtrickle.shared_buffer_stats() WHERE source_oid = $1`, [ordersOid]);
    expect(shared).toMatchObject({ source_table: 'public.orders', consumer_count: 7, columns_tracked: 3, is_partitioned: false });
    const before = Number(shared!.buffer_rows);
    await db.query(`INSERT INTO orders VALUES (1001, 1, 5), (1002, 2, 6), (1003, 3, 7)`);
    const [after] = await db.query(`SELECT buffer_rows FROM pgtrickle.shared_buffer_stats() WHERE source_oid = $1`, [ordersOid]);
    expect(Number(after!.buffer_rows)).toBe(before + 3);
    await waitFor('pending rows in the statistics', async () => {
      await db.query(`SELECT pg_stat_force_next_flush()`).catch(() => {});
      const rows = await db.query(`SELECT pending_rows FROM pgtrickle.change_buffer_sizes() WHERE stream_table = 'public.chain_a'`);
      return Number(rows[0]!.pending_rows) >= 3;
    }, 15_000);
    expect(await db.query(`SELECT slot_name, active, retained_wal_bytes, wal_status FROM pgtrickle.slot_health() WHERE source_relid = $1`, [ordersOid]))
      .toEqual([{ slot_name: `pg_trickle_cdc_ins_${ordersOid}`, active: true, retained_wal_bytes: '0', wal_status: 'trigger' }]);

    const inventory = await db.query(`SELECT trigger_type, present, enabled FROM pgtrickle.trigger_inventory() WHERE source_oid = $1`, [ordersOid]);
    expect(inventory).toEqual([{ trigger_type: 'DML', present: true, enabled: true }, { trigger_type: 'TRUNCATE', present: true, enabled: true }]);
    expect((await db.query(`SELECT alert FROM pgtrickle.check_cdc_health() WHERE source_relid = $1`, [ordersOid]))[0]!.alert).toBeNull();
    await db.adminQuery(`DROP TRIGGER pg_trickle_cdc_upd_${ordersOid} ON orders`);
    expect(await db.query(`SELECT trigger_type, present FROM pgtrickle.trigger_inventory() WHERE source_oid = $1`, [ordersOid]))
      .toEqual([{ trigger_type: 'DML', present: false }, { trigger_type: 'TRUNCATE', present: true }]);
    expect((await db.query(`SELECT alert FROM pgtrickle.check_cdc_health() WHERE source_relid = $1`, [ordersOid]))[0]!.alert).toMatch(/^trigger_missing/);
    expect(await db.query(`SELECT pgtrickle.rebuild_cdc_triggers() AS r`)).toEqual([{ r: 'done' }]);
    expect((await db.query(`SELECT present FROM pgtrickle.trigger_inventory() WHERE source_oid = $1 AND trigger_type = 'DML'`, [ordersOid]))[0]!.present).toBe(true);
    const [cdc] = await db.query(`SELECT * FROM pgtrickle.pgt_cdc_status WHERE pgt_name = 'chain_a'`);
    expect(cdc).toMatchObject({ pgt_schema: 'public', source_name: 'orders', source_schema: 'public', cdc_mode: 'TRIGGER' });
  });

  it('restore_stream_tables re-creates a dropped change buffer from the catalog; consumers recompute', async () => {
    await db.adminQuery(`DROP TABLE pgtrickle_changes.changes_${ordersOid} CASCADE`);
    await db.query(`SELECT pgtrickle.restore_stream_tables()`);
    expect(await db.query(`SELECT to_regclass('pgtrickle_changes.changes_${ordersOid}') IS NOT NULL AS ok`)).toEqual([{ ok: true }]);
    expect((await db.query(`SELECT needs_reinit FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'chain_a'`))[0]!.needs_reinit).toBe(true);
    await db.query(`INSERT INTO orders VALUES (2001, 1, 1)`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('chain_a')`);
    expect(await oracleDiff(db, 'chain_a', 'SELECT id, amount FROM orders')).toEqual({ extra: [], missing: [] });
  });

  it('diamond_groups: the apex and its two branches; a chain is no diamond; pgt_scc_status is empty; fuse_status one row each', async () => {
    expect(await db.query(`SELECT group_id, member_name, member_schema, is_convergence, epoch, schedule_policy FROM pgtrickle.diamond_groups()`)).toEqual([
      { group_id: 1, member_name: 'dia_apex', member_schema: 'public', is_convergence: true, epoch: '0', schedule_policy: 'slowest' },
      { group_id: 1, member_name: 'dia_left', member_schema: 'public', is_convergence: false, epoch: '0', schedule_policy: 'slowest' },
      { group_id: 1, member_name: 'dia_right', member_schema: 'public', is_convergence: false, epoch: '0', schedule_policy: 'slowest' },
    ]);
    expect(await db.query(`SELECT * FROM pgtrickle.pgt_scc_status()`)).toEqual([]);
    const fuses = await db.query(`SELECT * FROM pgtrickle.fuse_status()`);
    expect(fuses).toHaveLength(10);
    expect(fuses[0]).toMatchObject({ stream_table: 'public.chain_a', fuse_mode: 'off', fuse_state: 'armed', effective_ceiling: null });
    await db.query(`SELECT pgtrickle.alter_stream_table('chain_b', fuse => 'on', fuse_ceiling => 100)`);
    expect((await db.query(`SELECT effective_ceiling FROM pgtrickle.fuse_status() WHERE stream_table = 'public.chain_b'`))[0]!.effective_ceiling).toBe('100');
  });

  it('explain_delta in text, json, xml and yaml; an unknown format is refused', async () => {
    const text = (await db.query<{ l: string }>(`SELECT l FROM pgtrickle.explain_delta('totals') AS l`)).map((r) => r.l);
    expect(text.length).toBeGreaterThan(3);
    expect(text[0]).toMatch(/^Merge on totals/);
    const json = await db.query<{ l: string }>(`SELECT l FROM pgtrickle.explain_delta('totals', 'JSON') AS l`);
    expect(json).toHaveLength(1);
    expect(JSON.parse(json[0]!.l)[0].Plan['Node Type']).toBe('ModifyTable');
    const xml = await db.query<{ l: string }>(`SELECT l FROM pgtrickle.explain_delta('totals', 'xml') AS l`);
    expect(xml).toHaveLength(1);
    expect(xml[0]!.l).toMatch(/^<explain xmlns=/);
    const yaml = (await db.query<{ l: string }>(`SELECT l FROM pgtrickle.explain_delta('totals', 'yaml') AS l`)).map((r) => r.l);
    expect(yaml[0]).toBe('- Plan: ');
    expect(yaml).toContain('    Operation: "Merge"');
    await expect(db.query(`SELECT pgtrickle.explain_delta('totals', 'html')`)).rejects.toMatchObject({
      code: '22023', message: "invalid argument: unsupported EXPLAIN format 'html'; expected 'text', 'json', 'xml', or 'yaml'" });
  });

  it('explain_st adds pg_trickle\'s output_columns and source_oids rows to ours', async () => {
    const rows = Object.fromEntries((await db.query(`SELECT property, value FROM pgtrickle.explain_st('totals')`)).map((r) => [r.property, r.value]));
    expect(rows).toMatchObject({ pgt_name: 'public.totals', dvm_supported: 'true', output_columns: 'customer_id, s', source_oids: String(ordersOid) });
    await expect(db.query(`SELECT * FROM pgtrickle.explain_st('nope')`)).rejects.toMatchObject({ code: '42704' });
  });

  it('list_auxiliary_columns: the hidden columns of the compiled aggregate, in order, with a purpose', async () => {
    const cols = await db.query(`SELECT column_name, data_type FROM pgtrickle.list_auxiliary_columns('totals')`);
    expect(cols).toEqual([
      { column_name: '__pgt_row_id', data_type: 'bigint' }, { column_name: '__pgt_count', data_type: 'bigint' },
      { column_name: '__pgt_aux_sum_1', data_type: 'numeric' }, { column_name: '__pgt_aux_count_1', data_type: 'bigint' },
    ]);
    const purposes = await db.query(`SELECT purpose FROM pgtrickle.list_auxiliary_columns('totals')`);
    expect(purposes[2]!.purpose).toContain('running sum');
  });

  it('diagnose_errors: the last five failures newest first, classified in pg_trickle’s order', async () => {
    const id = await st('failing');
    const messages = ['unsupported operator for DIFFERENTIAL mode: x', 'upstream table dropped: OID 1', 'row count mismatch',
      'canceling statement due to lock timeout', 'permission denied for table secret', 'something odd'];
    for (const [i, m] of messages.entries()) {
      await db.adminQuery(`INSERT INTO pgtrickle.pgt_refresh_history (pgt_id, data_timestamp, start_time, end_time, action, status, error_message, initiated_by)
        VALUES ($1, now(), now() + make_interval(secs => $3), now() + make_interval(secs => $3), 'FULL', 'FAILED', $2, 'SCHEDULER')`, [id, m, i]);
    }
    const rows = await db.query(`SELECT error_type, error_message, remediation FROM pgtrickle.diagnose_errors('failing')`);
    expect(rows.map((r) => [r.error_type, r.error_message])).toEqual([
      ['infrastructure', 'something odd'], ['infrastructure', 'permission denied for table secret'],
      ['performance', 'canceling statement due to lock timeout'], ['correctness', 'row count mismatch'],
      ['schema', 'upstream table dropped: OID 1'],
    ]);
    expect(rows.every((r) => r.remediation.length > 20)).toBe(true);
  });

  it('validate_query checks what SQL can; explain_query_rewrite says it needs the compiler', async () => {
    const volatile = await db.query(`SELECT * FROM pgtrickle.validate_query('SELECT id, random() AS r FROM orders')`);
    expect(volatile[0]).toEqual({ check_name: 'resolved_refresh_mode', result: 'FULL', severity: 'INFO' });
    expect(volatile).toContainEqual({ check_name: 'volatility', result: 'volatile', severity: 'ERROR' });
    const plain = await db.query(`SELECT * FROM pgtrickle.validate_query('SELECT id FROM orders')`);
    expect(plain[0]).toMatchObject({ check_name: 'resolved_refresh_mode', result: 'DIFFERENTIAL' });
    const broken = await db.query(`SELECT * FROM pgtrickle.validate_query('SELEC 1')`);
    expect(broken.map((r) => r.check_name)).toEqual(['resolved_refresh_mode', 'dvm_parse_error']);
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE '__pgt_probe%'`)).toEqual([{ n: 0 }]);
    await expect(db.query(`SELECT * FROM pgtrickle.explain_query_rewrite('SELECT 1')`)).rejects.toMatchObject({ code: '0A000' });
  });

  it('a non-owner sees status but not the owner’s error messages', async () => {
    await db.adminQuery(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'obs_reader') THEN CREATE ROLE obs_reader; END IF; END $$`);
    await db.adminQuery(`GRANT pgtrickle_user TO obs_reader`);
    const client = await db.connectAdmin(); // SET ROLE needs a session that may become obs_reader
    await client.query('SET ROLE obs_reader');
    const { rows } = await client.query(`SELECT pgt_name, status, total_refreshes, last_error_message FROM pgtrickle.st_refresh_stats() WHERE pgt_name = 'failing'`);
    expect(rows).toEqual([{ pgt_name: 'failing', status: 'ERROR', total_refreshes: '0', last_error_message: null }]);
    expect((await client.query(`SELECT * FROM pgtrickle.diagnose_errors('failing')`)).rows).toEqual([]);
    expect((await client.query(`SELECT count(*)::int AS n FROM pgtrickle.health_check()`)).rows[0].n).toBe(7);
    await client.query('RESET ROLE');
  });
});

describe('recommend_refresh_mode and refresh_efficiency on constructed histories', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE events (id int PRIMARY KEY, v int)`);
    await db.query(`INSERT INTO events SELECT g, g FROM generate_series(1, 100) g`);
    await db.query(`ANALYZE events`);
    for (const name of ['rec_diff', 'rec_full', 'rec_keep', 'rec_none']) {
      await db.query(`SELECT pgtrickle.create_stream_table($1, 'SELECT id, v FROM events', refresh_mode => 'FULL')`, [name]);
    }
    await db.adminQuery(`DELETE FROM pgtrickle.pgt_refresh_history`);
    /** n rows of one action, each `ms` long, (ins+del)/delta = ratio; oldest first */
    const history = async (name: string, action: string, n: number, ms: number, ratio: number, offset: number) =>
      db.adminQuery(`INSERT INTO pgtrickle.pgt_refresh_history (pgt_id, data_timestamp, start_time, end_time, action, status, rows_inserted, rows_deleted, delta_row_count, initiated_by)
        SELECT s.pgt_id, now(), t, t + make_interval(secs => $3::float8 / 1000), $2, 'COMPLETED', round(100 * $4::float8)::bigint, 0, 100, 'SCHEDULER'
          FROM pgtrickle.pgt_stream_tables s, generate_series(1, $5::int) g, LATERAL (SELECT now() - interval '1 day' + make_interval(secs => $6::int + g)) x(t)
         WHERE s.pgt_name = $1 ORDER BY g`, [name, action, ms, ratio, n, offset]);
    await history('rec_diff', 'DIFFERENTIAL', 20, 10, 0.02, 0);
    await history('rec_diff', 'FULL', 20, 100, 0.02, 100);       // newest: FULL
    await history('rec_full', 'FULL', 20, 100, 1, 0);
    await history('rec_full', 'DIFFERENTIAL', 20, 300, 1, 100);  // newest: DIFFERENTIAL
    await history('rec_keep', 'DIFFERENTIAL', 5, 120, 0.2, 0);
    await history('rec_keep', 'FULL', 5, 100, 0.2, 100);
  }, 30_000);
  afterAll(async () => db.drop());

  const recommend = async (name: string) => (await db.query(`SELECT * FROM pgtrickle.recommend_refresh_mode($1)`, [name]))[0]!;

  it('fast, small deltas: DIFFERENTIAL with high confidence', async () => {
    const r = await recommend('rec_diff');
    expect(r).toMatchObject({ pgt_schema: 'public', pgt_name: 'rec_diff', current_mode: 'FULL', effective_mode: 'FULL', recommended_mode: 'DIFFERENTIAL', confidence: 'high' });
    // (0.25 + 0.30 + 0.35 + 0.03 − 0.03 + 0.01 + 0.01) / 1.20
    expect(r.signals.composite_score).toBeCloseTo(0.7667, 3);
    expect(r.signals).toMatchObject({ history_rows_diff: 20, history_rows_full: 20, diff_avg_ms: 10, full_avg_ms: 100 });
    expect(r.signals.change_ratio_avg).toBeCloseTo(0.02, 10);
    expect(r.reason.split('; ').map((s: string) => s.split(':')[0])).toEqual(['empirical_timing', 'change_ratio_avg']);
  });

  it('slow deltas that touch everything: FULL with high confidence', async () => {
    const r = await recommend('rec_full');
    expect(r).toMatchObject({ effective_mode: 'DIFFERENTIAL', recommended_mode: 'FULL', confidence: 'high' });
    // (−0.35 − 0.30 + 0.25 + 0.03 − 0.03 + 0.01 + 0.01) / 1.20
    expect(r.signals.composite_score).toBeCloseTo(-0.3167, 3);
  });

  it('mixed signals inside the dead zone: KEEP', async () => {
    const r = await recommend('rec_keep');
    expect(r).toMatchObject({ recommended_mode: 'KEEP', confidence: 'high' });
    // (−0.175 − 0.09 + 0.25 + 0.03 − 0.03 + 0.01) / 1.15
    expect(r.signals.composite_score).toBeCloseTo(-0.0043, 3);
  });

  it('no history: low weight promoted to medium by a strong signal; every table when called without a name', async () => {
    const r = await recommend('rec_none');
    expect(r).toMatchObject({ effective_mode: null, recommended_mode: 'DIFFERENTIAL', confidence: 'medium' });
    const all = await db.query(`SELECT pgt_name FROM pgtrickle.recommend_refresh_mode()`);
    expect(all.map((x) => x.pgt_name)).toEqual(['rec_diff', 'rec_full', 'rec_keep', 'rec_none']);
    await expect(db.query(`SELECT * FROM pgtrickle.recommend_refresh_mode('nope')`)).rejects.toMatchObject({ code: '42704' });
  });

  it('refresh_efficiency: counts, averages and the speedup', async () => {
    const rows = await db.query(`SELECT pgt_name, total_refreshes, diff_count, full_count, avg_diff_ms, avg_full_ms, avg_change_ratio, diff_speedup FROM pgtrickle.refresh_efficiency()`);
    expect(rows[0]).toEqual({ pgt_name: 'rec_diff', total_refreshes: '40', diff_count: '20', full_count: '20', avg_diff_ms: 10, avg_full_ms: 100,
      avg_change_ratio: expect.closeTo(0.02, 10), diff_speedup: '10.0x' });
    expect(rows[1]).toMatchObject({ pgt_name: 'rec_full', diff_speedup: '0.3x' });
    expect(rows[3]).toMatchObject({ pgt_name: 'rec_none', total_refreshes: '0', diff_speedup: null });
  });
});

describe('the coordinator publishes its node', () => {
  it('a running coordinator is seen by health_check and worker_pool_status; its row goes when it stops', async () => {
    const db = await freshDatabase();
    try {
      const coordinator = await startCoordinator(loadConfig({ database: [db.url], schedulerIntervalMs: 200 }, {}), silentLogger);
      try {
        await waitFor('the node row', async () => (await db.query(`SELECT 1 FROM pgtrickle.pgt_coord_nodes WHERE scheduling`)).length > 0);
        const [node] = await db.query(`SELECT node_id, max_workers FROM pgtrickle.pgt_coord_nodes`);
        expect(node).toEqual({ node_id: coordinator.nodeId, max_workers: 4 });
        const [check] = await db.query(`SELECT severity, detail FROM pgtrickle.health_check() WHERE check_name = 'scheduler_running'`);
        expect(check).toEqual({ severity: 'OK', detail: `scheduler is running (node ${coordinator.nodeId})` });
        expect(await db.query(`SELECT max_workers, parallel_mode FROM pgtrickle.worker_pool_status()`)).toEqual([{ max_workers: 4, parallel_mode: 'on' }]);
      } finally {
        await coordinator.stop();
      }
      expect(await db.query(`SELECT * FROM pgtrickle.pgt_coord_nodes`)).toEqual([]);
    } finally {
      await db.drop();
    }
  }, 60_000);
});
