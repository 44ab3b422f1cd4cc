/**
 * Issue 15, items 1–2, against a real coordinator: the fuse (a 5,000-row
 * update over fuse_ceiling 1000 suspends the stream table with a fuse_blown
 * alert; each reset_fuse action), a gated source skipping its dependents, a
 * misaligned watermark group, and a refresh group refreshed in one
 * transaction at its isolation level (spec/sql-api.md §1.8, §2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { startCoordinator, type RunningCoordinator } from '../src/coordinator/coordinator.ts';
import { silentLogger } from '../src/log.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

describe('fuse, source gates, watermarks, refresh groups', () => {
  let db: TestDatabase;
  let coordinator: RunningCoordinator;
  let listener: pg.Client;
  const notes: { channel: string; payload: string }[] = [];

  beforeAll(async () => {
    db = await freshDatabase();
    listener = await db.connect();
    listener.on('notification', (m) => notes.push({ channel: m.channel, payload: m.payload ?? '' }));
    await listener.query('LISTEN pgtrickle_alert; LISTEN pg_trickle_alert; LISTEN pgtrickle_source_gate; LISTEN pgtrickle_watermark');
    coordinator = await startCoordinator(loadConfig({ database: [db.url], schedulerIntervalMs: 200 }, {}), silentLogger);
  }, 60_000);
  afterAll(async () => {
    await coordinator?.stop();
    await listener?.end();
    await db?.drop();
  });

  const history = (st: string) =>
    db.query<{ action: string; status: string; error_message: string | null }>(
      `SELECT h.action, h.status, h.error_message FROM pgtrickle.pgt_refresh_history h
         JOIN pgtrickle.pgt_stream_tables s ON s.pgt_id = h.pgt_id WHERE s.pgt_name = $1 ORDER BY h.refresh_id`, [st]);
  const stRow = async (st: string) =>
    (await db.query(`SELECT status, fuse_state, blow_reason, blown_at FROM pgtrickle.pgt_stream_tables WHERE pgt_name = $1`, [st]))[0]!;
  const equalsQuery = async (st: string, query: string) => {
    const d = await oracleDiff(db, st, query);
    return d.extra.length === 0 && d.missing.length === 0;
  };

  it('a 5,000-row update over fuse_ceiling 1000 blows the fuse; reset_fuse apply, reinitialize, skip_changes', async () => {
    const q = 'SELECT id, v FROM fz_src';
    await db.query('CREATE TABLE fz_src (id int PRIMARY KEY, v int)');
    await db.query('INSERT INTO fz_src SELECT g, 0 FROM generate_series(1, 5000) g');
    await db.query(`SELECT pgtrickle.create_stream_table('fz', '${q}', '1s', 'DIFFERENTIAL')`);
    await db.query(`SELECT pgtrickle.alter_stream_table('fz', fuse => 'on', fuse_ceiling => 1000)`);
    await expect(db.query(`SELECT pgtrickle.reset_fuse('fz')`)).rejects.toMatchObject({
      code: '55000', message: 'fuse is not blown for public.fz (current state: armed)' });
    await expect(db.query(`SELECT pgtrickle.reset_fuse('fz', 'rewind')`)).rejects.toMatchObject({
      code: '22023', message: `invalid argument: invalid reset_fuse action: 'rewind' (expected 'apply', 'reinitialize', or 'skip_changes')` });
    // A small change passes under the ceiling.
    await db.query('UPDATE fz_src SET v = 1 WHERE id <= 10');
    await waitFor('the small change', () => equalsQuery('public.fz', q));

    const blow = async (v: number) => {
      notes.length = 0;
      await db.query('UPDATE fz_src SET v = $1', [v]);
      await waitFor('the fuse to blow', async () => (await stRow('fz')).status === 'SUSPENDED');
      expect(await stRow('fz')).toMatchObject({
        status: 'SUSPENDED', fuse_state: 'blown', blow_reason: '5000 pending changes exceed the fuse ceiling of 1000' });
      expect((await history('fz')).at(-1)).toEqual({
        action: 'SKIP', status: 'SKIPPED', error_message: 'fuse blown: 5000 pending changes exceed the fuse ceiling of 1000' });
      const legacy = await waitFor('fuse_blown on pgtrickle_alert', async () => notes.find((n) => n.channel === 'pgtrickle_alert'));
      expect(JSON.parse(legacy.payload)).toEqual({ event: 'fuse_blown', stream_table: 'public.fz', pending: 5000, ceiling: 1000 });
      const alert = notes.find((n) => n.channel === 'pg_trickle_alert' && JSON.parse(n.payload).event === 'fuse_blown');
      expect(JSON.parse(alert!.payload)).toMatchObject({ st: 'public.fz', pending: 5000, ceiling: 1000 });
      expect(await equalsQuery('public.fz', q)).toBe(false);   // held back
      expect((await db.query(`SELECT fuse_state, effective_ceiling FROM pgtrickle.fuse_status() WHERE stream_table = 'public.fz'`))[0])
        .toEqual({ fuse_state: 'blown', effective_ceiling: '1000' });
    };

    await blow(2);
    await db.query(`SELECT pgtrickle.reset_fuse('fz', action => 'apply')`);
    await waitFor('apply to catch up', () => equalsQuery('public.fz', q));
    expect(await stRow('fz')).toMatchObject({ status: 'ACTIVE', fuse_state: 'armed', blow_reason: null, blown_at: null });
    // DIFFERENTIAL, or FULL when the change ratio says recomputing is cheaper — never REINITIALIZE.
    expect((await history('fz')).at(-1)).toMatchObject({ action: expect.stringMatching(/^(DIFFERENTIAL|FULL)$/), status: 'COMPLETED' });

    await blow(3);
    await db.query(`SELECT pgtrickle.reset_fuse('fz', ' Reinitialize ')`);
    await waitFor('reinitialize', async () => (await history('fz')).at(-1)?.action === 'REINITIALIZE');
    expect(await equalsQuery('public.fz', q)).toBe(true);
    expect(await stRow('fz')).toMatchObject({ status: 'ACTIVE', fuse_state: 'armed' });

    await blow(4);
    await db.query(`SELECT pgtrickle.reset_fuse('fz', 'skip_changes')`);
    expect(await stRow('fz')).toMatchObject({ status: 'ACTIVE', fuse_state: 'armed' });
    // The 5,000 changes are never applied; later ones are.
    await db.query('UPDATE fz_src SET v = 5 WHERE id = 1');
    await waitFor('the change after the skip', async () =>
      (await db.query(`SELECT v FROM fz WHERE id = 1`))[0]?.v === 5);
    expect(await db.query(`SELECT v, count(*)::int AS n FROM fz GROUP BY v ORDER BY v`)).toEqual([{ v: 3, n: 4999 }, { v: 5, n: 1 }]);
    expect(await stRow('fz')).toMatchObject({ status: 'ACTIVE', fuse_state: 'armed' });
  });

  it('a gated source skips its dependents with a SKIP history row until ungated', async () => {
    await db.query('CREATE TABLE g_src (id int PRIMARY KEY, v int)');
    await db.query(`SELECT pgtrickle.create_stream_table('gst', 'SELECT id, v FROM g_src', '1s')`);
    notes.length = 0;
    await db.query(`SELECT pgtrickle.gate_source('g_src')`);
    const oid = (await db.query<{ oid: number }>(`SELECT 'g_src'::regclass::oid::int AS oid`))[0]!.oid;
    await waitFor('the gate NOTIFY', async () => notes.find((n) => n.channel === 'pgtrickle_source_gate' && n.payload === String(oid)));
    await db.query('INSERT INTO g_src VALUES (1, 1)');
    await waitFor('a SKIP row', async () =>
      (await history('gst')).some((h) => h.action === 'SKIP' && h.status === 'SKIPPED' && h.error_message === 'source gated'));
    await new Promise((r) => setTimeout(r, 600));   // a few more ticks: still held, one row for the run
    expect(await db.query('SELECT * FROM gst')).toEqual([]);
    expect((await history('gst')).filter((h) => h.action === 'SKIP')).toHaveLength(1);
    expect(await db.query(`SELECT source_table, schema_name, gated, gated_by FROM pgtrickle.source_gates()`))
      .toEqual([{ source_table: 'g_src', schema_name: 'public', gated: true, gated_by: 'gate_source' }]);
    expect(await db.query(`SELECT source_table, gated, affected_stream_tables, gate_duration IS NOT NULL AS d FROM pgtrickle.bootstrap_gate_status()`))
      .toEqual([{ source_table: 'g_src', gated: true, affected_stream_tables: 'public.gst', d: true }]);
    // A manual refresh is not held back.
    await db.query(`SELECT pgtrickle.refresh_stream_table('gst')`);
    expect(await db.query('SELECT id, v FROM gst')).toEqual([{ id: 1, v: 1 }]);
    await db.query('INSERT INTO g_src VALUES (2, 2)');
    await db.query(`SELECT pgtrickle.ungate_source('g_src')`);
    await waitFor('the ungated refresh', async () => (await db.query('SELECT * FROM gst')).length === 2);
    expect((await db.query(`SELECT gated, ungated_at IS NOT NULL AS u FROM pgtrickle.source_gates()`))[0]).toEqual({ gated: false, u: true });
    await expect(db.query(`SELECT pgtrickle.gate_source('no_such_table')`)).rejects.toMatchObject({ code: '42P01' });
  });

  it('a misaligned watermark group holds back a stream table reading its sources', async () => {
    await db.query('CREATE TABLE wa (id int PRIMARY KEY, v int)');
    await db.query('CREATE TABLE wb (id int PRIMARY KEY, w int)');
    const q = 'SELECT a.id, a.v, b.w FROM wa a JOIN wb b ON b.id = a.id';
    await db.query(`SELECT pgtrickle.create_stream_table('wj', '${q}', '1s')`);
    await db.query(`SELECT pgtrickle.advance_watermark('wa', '2026-03-01 12:00:00+00')`);
    await db.query(`SELECT pgtrickle.advance_watermark('wb', '2026-03-01 12:00:00+00')`);
    await expect(db.query(`SELECT pgtrickle.create_watermark_group('wg', ARRAY['wa'])`)).rejects.toMatchObject({
      code: '22023', message: 'invalid argument: watermark group requires at least 2 sources' });
    await expect(db.query(`SELECT pgtrickle.create_watermark_group('wg', ARRAY['wa', 'wb'], -1)`)).rejects.toMatchObject({
      code: '22023', message: 'invalid argument: tolerance_secs must be non-negative' });
    expect((await db.query(`SELECT pgtrickle.create_watermark_group('wg', ARRAY['wa', 'wb'], 30) AS id`))[0]!.id).toBeGreaterThan(0);
    await expect(db.query(`SELECT pgtrickle.create_watermark_group('wg', ARRAY['wa', 'wb'])`)).rejects.toMatchObject({
      code: '42P07', message: 'watermark group already exists: wg' });
    await db.query(`SELECT pgtrickle.advance_watermark('wa', '2026-03-01 12:05:00+00')`);
    await expect(db.query(`SELECT pgtrickle.advance_watermark('wa', '2026-03-01 12:01:00+00')`)).rejects.toMatchObject({
      code: '22023', message: expect.stringMatching(/^watermark moved backward: /) });
    await db.query(`SELECT pgtrickle.advance_watermark('wa', '2026-03-01 12:05:00+00')`);   // equal: no change, no error
    expect(await db.query(`SELECT group_name, lag_secs, aligned, sources_with_watermark, sources_total FROM pgtrickle.watermark_status()`))
      .toEqual([{ group_name: 'wg', lag_secs: 300, aligned: false, sources_with_watermark: 2, sources_total: 2 }]);
    expect(await db.query(`SELECT group_name, source_count, tolerance_secs FROM pgtrickle.watermark_groups()`))
      .toEqual([{ group_name: 'wg', source_count: 2, tolerance_secs: 30 }]);
    expect((await db.query(`SELECT source_table, advanced_by IS NOT NULL AS by, wal_lsn IS NOT NULL AS lsn FROM pgtrickle.watermarks() ORDER BY 1`)))
      .toEqual([{ source_table: 'wa', by: true, lsn: true }, { source_table: 'wb', by: true, lsn: true }]);
    expect(notes.some((n) => n.channel === 'pgtrickle_watermark' && /^wm:\d+$/.test(n.payload))).toBe(true);

    await db.query('INSERT INTO wa VALUES (1, 10)');
    await db.query('INSERT INTO wb VALUES (1, 20)');
    await waitFor('a SKIP row', async () => (await history('wj')).some((h) => h.action === 'SKIP'));
    expect((await history('wj')).at(-1)).toEqual({
      action: 'SKIP', status: 'SKIPPED', error_message: `watermark group 'wg' misaligned: lag 300.0s exceeds tolerance 30.0s` });
    expect(await db.query('SELECT * FROM wj')).toEqual([]);
    await db.query(`SELECT pgtrickle.advance_watermark('wb', '2026-03-01 12:04:45+00')`);   // within 30 s
    await waitFor('the aligned refresh', () => equalsQuery('public.wj', q));
    expect((await db.query('SELECT count(*)::int AS n FROM wj'))[0]!.n).toBe(1);
    await db.query(`SELECT pgtrickle.drop_watermark_group('wg')`);
    await expect(db.query(`SELECT pgtrickle.drop_watermark_group('wg')`)).rejects.toMatchObject({
      code: '42704', message: 'watermark group not found: wg' });
  });

  it('a refresh group is refreshed together in one transaction at its isolation level', async () => {
    await db.query('CREATE TABLE r_src (id int PRIMARY KEY)');
    const q = `SELECT id, current_setting('transaction_isolation') AS iso FROM r_src`;
    await db.query(`SELECT pgtrickle.create_stream_table('ra', $1, '1s', 'FULL')`, [q]);
    await db.query(`SELECT pgtrickle.create_stream_table('rb', $1, '1s', 'FULL')`, [q]);
    await db.query(`SELECT pgtrickle.create_stream_table('rc', 'SELECT id FROM r_src', '1s', 'FULL')`);
    await expect(db.query(`SELECT pgtrickle.create_refresh_group('g1', ARRAY['ra'])`)).rejects.toMatchObject({
      code: '22023', message: 'invalid argument: refresh group requires at least 2 members' });
    await expect(db.query(`SELECT pgtrickle.create_refresh_group('g1', ARRAY['ra', 'nope'])`)).rejects.toMatchObject({
      code: '42704', message: `stream table 'nope' does not exist` });
    await expect(db.query(`SELECT pgtrickle.create_refresh_group('g1', ARRAY['ra', 'rb'], 'serializable')`)).rejects.toMatchObject({
      code: '22023' });
    await expect(db.query(`SELECT pgtrickle.create_refresh_group('  ', ARRAY['ra', 'rb'])`)).rejects.toMatchObject({ code: '22023' });
    await db.query(`SELECT pgtrickle.create_refresh_group(' snap ', ARRAY['ra', 'public.rb'], 'repeatable_read')`);
    await expect(db.query(`SELECT pgtrickle.create_refresh_group('other', ARRAY['rb', 'rc'])`)).rejects.toMatchObject({
      code: '22023', message: `invalid argument: stream table 'public.rb' is already a member of refresh group 'snap'` });
    expect(await db.query(`SELECT group_name, member_count, isolation FROM pgtrickle.refresh_groups()`))
      .toEqual([{ group_name: 'snap', member_count: 2, isolation: 'repeatable_read' }]);

    await db.query('INSERT INTO r_src SELECT generate_series(1, 3)');
    await waitFor('both members refreshed', async () =>
      (await equalsQuery('public.ra', `SELECT id, 'repeatable read' AS iso FROM r_src`)) &&
      (await equalsQuery('public.rb', `SELECT id, 'repeatable read' AS iso FROM r_src`)));
    // One transaction: now() — the transaction's start — is the same for both.
    const stamps = await db.query<{ pgt_name: string; updated_at: Date }>(
      `SELECT pgt_name, updated_at FROM pgtrickle.pgt_stream_tables WHERE pgt_name IN ('ra', 'rb') ORDER BY pgt_name`);
    expect(stamps[0]!.updated_at.getTime()).toBe(stamps[1]!.updated_at.getTime());
    expect((await history('ra')).at(-1)).toMatchObject({ action: 'FULL', status: 'COMPLETED' });
    expect((await history('rb')).at(-1)).toMatchObject({ action: 'FULL', status: 'COMPLETED' });
    await db.query(`SELECT pgtrickle.drop_refresh_group('snap')`);
    await expect(db.query(`SELECT pgtrickle.drop_refresh_group('snap')`)).rejects.toMatchObject({
      code: '42704', message: `refresh group 'snap' does not exist` });
  });

  it('scheduler_falling_behind when a refresh takes more than 80 % of its interval', async () => {
    await db.query('CREATE TABLE fb_src (id int PRIMARY KEY)');
    await db.query('INSERT INTO fb_src VALUES (1)');
    await db.query(`SELECT pgtrickle.create_stream_table('fb', 'SELECT id FROM fb_src WHERE pg_sleep(0.9) IS NOT NULL', '1s', 'FULL')`);
    notes.length = 0;
    await db.query('INSERT INTO fb_src VALUES (2)');   // one row sleeps 0.9 s: the FULL refresh takes ~1.8 s
    const alert = await waitFor('scheduler_falling_behind', async () =>
      notes.map((n) => (n.channel === 'pg_trickle_alert' ? JSON.parse(n.payload) : null)).find((a) => a?.event === 'scheduler_falling_behind'));
    expect(alert).toMatchObject({ st: 'public.fb', schedule_ms: 1000 });
    expect(alert.elapsed_ms).toBeGreaterThan(800);
    expect(alert.ratio).toBeGreaterThan(0.8);
    await db.query(`SELECT pgtrickle.drop_stream_table('fb')`);
  });
});
