/**
 * The stream-table state machine (sql/code/08_state.sql, DESIGN D15): every
 * (status, event) pair, allowed ones with their outcome, the others refused
 * with SQLSTATE 55000; and the API paths that go through it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from './helpers/db.ts';

type Status = 'INITIALIZING' | 'ACTIVE' | 'SUSPENDED' | 'ERROR';
const STATUSES: Status[] = ['INITIALIZING', 'ACTIVE', 'SUSPENDED', 'ERROR'];
const ALL = STATUSES;

/** event → (from → expected status after), for the status events. */
const STATUS_EVENTS: Record<string, Partial<Record<Status, Status>>> = {
  refreshed: { INITIALIZING: 'ACTIVE', ACTIVE: 'ACTIVE' },
  suspend: { INITIALIZING: 'SUSPENDED', ACTIVE: 'SUSPENDED', ERROR: 'SUSPENDED' },
  resume: { SUSPENDED: 'ACTIVE', ERROR: 'ACTIVE' },
  clear_errors: { INITIALIZING: 'INITIALIZING', ACTIVE: 'ACTIVE' },
  reinitialize: { ACTIVE: 'INITIALIZING', SUSPENDED: 'INITIALIZING', ERROR: 'INITIALIZING' },
  fail: Object.fromEntries(ALL.map((s) => [s, 'ERROR'])),
  needs_reinit: Object.fromEntries(ALL.map((s) => [s, s])),
  plan_requested: Object.fromEntries(ALL.map((s) => [s, s])),
  plan_failed: Object.fromEntries(ALL.map((s) => [s, s])),
  fuse_blow: { INITIALIZING: 'SUSPENDED', ACTIVE: 'SUSPENDED' },
  fuse_reset: Object.fromEntries(ALL.map((s) => [s, 'ACTIVE'])),
};

describe('stream table state machine', () => {
  let db: TestDatabase;
  let pgtId: number;

  beforeAll(async () => {
    db = await freshDatabase();
    await db.query('CREATE TABLE t (id int PRIMARY KEY, v int)');
    await db.query(`SELECT pgtrickle.create_stream_table('st', 'SELECT id, v FROM t', '1m', 'FULL')`);
    pgtId = Number((await db.query<{ pgt_id: string }>(`SELECT pgt_id FROM pgtrickle.pgt_stream_tables`))[0]!.pgt_id);
  });
  afterAll(async () => db.drop());

  const transition = (event: string, detail: Record<string, unknown> = {}) =>
    db.query<{ status: Status; needs_reinit: boolean; consecutive_errors: number; last_error_message: string | null }>(
      `SELECT (s).status, (s).needs_reinit, (s).consecutive_errors, (s).last_error_message
         FROM pgtrickle._transition($1, $2, $3::jsonb) AS s`,
      [pgtId, event, JSON.stringify(detail)],
    ).then((rows) => rows[0]!);

  /** Puts the stream table in `status` through allowed transitions only. */
  async function moveTo(status: Status): Promise<void> {
    const now = (await db.query<{ status: Status }>('SELECT status FROM pgtrickle.pgt_stream_tables'))[0]!.status;
    if (now === status) return;
    if (now !== 'ACTIVE') await transition(now === 'INITIALIZING' ? 'refreshed' : 'resume');
    if (status === 'SUSPENDED') await transition('suspend');
    if (status === 'ERROR') await transition('fail', { message: 'test' });
    if (status === 'INITIALIZING') await transition('reinitialize');
  }

  for (const [event, outcomes] of Object.entries(STATUS_EVENTS)) {
    for (const from of STATUSES) {
      const to = outcomes[from];
      it(`${event} from ${from} ${to ? `→ ${to}` : 'is refused'}`, async () => {
        await moveTo(from);
        if (to) {
          expect((await transition(event, { message: 'why' })).status).toBe(to);
        } else {
          await expect(transition(event)).rejects.toMatchObject({ code: '55000' });
          const status = (await db.query<{ status: Status }>('SELECT status FROM pgtrickle.pgt_stream_tables'))[0]!.status;
          expect(status).toBe(from);
        }
      });
    }
  }

  it('refresh_failed: retryable errors count up to SUSPENDED, a permanent error is ERROR at once', async () => {
    await moveTo('ACTIVE');
    await transition('clear_errors');
    expect(await transition('refresh_failed', { sqlstate: '55P03', message: 'lock timeout' })).toMatchObject({
      status: 'ACTIVE', consecutive_errors: 1, last_error_message: 'lock timeout',
    });
    await transition('refresh_failed', { sqlstate: '40001', message: 'serialization' });
    expect((await transition('refresh_failed', { sqlstate: '40P01', message: 'deadlock' })).status).toBe('SUSPENDED');
    await transition('resume');
    expect((await transition('refresh_failed', { sqlstate: '42703', message: 'column gone' })).status).toBe('ERROR');
    await expect(transition('refresh_failed', { sqlstate: '40001' })).rejects.toMatchObject({ code: '55000' });
  });

  it('refreshed clears errors and needs_reinit; reinitialize makes the next refresh FULL and ACTIVE', async () => {
    await moveTo('ACTIVE');
    await transition('reinitialize');
    await db.query(`SELECT pgtrickle.refresh_stream_table('st')`);
    const [row] = await db.query(`SELECT status, needs_reinit, consecutive_errors FROM pgtrickle.pgt_stream_tables`);
    expect(row).toEqual({ status: 'ACTIVE', needs_reinit: false, consecutive_errors: 0 });
    const [last] = await db.query<{ action: string }>(`SELECT action FROM pgtrickle.pgt_refresh_history ORDER BY refresh_id DESC LIMIT 1`);
    expect(last!.action).toBe('REINITIALIZE');
  });

  it('plan events: requested, compiled, unsupported with and without the FULL fallback', async () => {
    await moveTo('ACTIVE');
    const plan = () =>
      db.query(`SELECT plan_kind, compile_requested_at IS NOT NULL AS requested, compile_error FROM pgtrickle.pgt_coord_plans`).then((r) => r[0]);
    await transition('plan_requested');
    expect(await plan()).toEqual({ plan_kind: 'GENERIC_FULL', requested: true, compile_error: null });
    await transition('plan_unsupported', { error: '[X] nope', fallback_to_full: false, message: 'unsupported' });
    expect(await plan()).toEqual({ plan_kind: 'GENERIC_FULL', requested: false, compile_error: '[X] nope' });
    expect((await db.query(`SELECT status FROM pgtrickle.pgt_stream_tables`))[0]).toEqual({ status: 'ERROR' });
    await transition('resume');
    await db.query(`UPDATE pgtrickle.pgt_stream_tables SET refresh_mode = 'DIFFERENTIAL'`);
    await transition('plan_unsupported', { error: '[X] nope', fallback_to_full: true });
    expect((await db.query(`SELECT status, refresh_mode FROM pgtrickle.pgt_stream_tables`))[0]).toEqual({ status: 'ACTIVE', refresh_mode: 'FULL' });
  });

  it('fuse_blow records the blow; fuse_reset re-arms, and sets needs_reinit only when asked', async () => {
    await moveTo('ACTIVE');
    await transition('fuse_blow', { reason: '5000 pending changes exceed the fuse ceiling of 1000' });
    expect((await db.query(`SELECT status, fuse_state, blown_at IS NOT NULL AS blown, blow_reason FROM pgtrickle.pgt_stream_tables`))[0])
      .toEqual({ status: 'SUSPENDED', fuse_state: 'blown', blown: true, blow_reason: '5000 pending changes exceed the fuse ceiling of 1000' });
    expect(await transition('fuse_reset')).toMatchObject({ status: 'ACTIVE', needs_reinit: false });
    expect((await db.query(`SELECT fuse_state, blown_at, blow_reason FROM pgtrickle.pgt_stream_tables`))[0])
      .toEqual({ fuse_state: 'armed', blown_at: null, blow_reason: null });
    await transition('fuse_blow', { reason: 'x' });
    expect(await transition('fuse_reset', { needs_reinit: true })).toMatchObject({ status: 'ACTIVE', needs_reinit: true });
    await transition('refreshed');
  });

  it('an unknown event is an internal error (XX000)', async () => {
    await expect(transition('explode')).rejects.toMatchObject({ code: 'XX000' });
  });

  it('the API goes through it: alter status, resume, and refresh of a suspended table', async () => {
    await moveTo('ACTIVE');
    await db.query(`SELECT pgtrickle.alter_stream_table('st', status => 'suspended')`);
    await expect(db.query(`SELECT pgtrickle.refresh_stream_table('st')`)).rejects.toThrow(/is suspended/);
    await db.query(`SELECT pgtrickle.resume_stream_table('st')`);
    await expect(db.query(`SELECT pgtrickle.resume_stream_table('st')`)).rejects.toThrow(/is not suspended or in error state/);
    await db.query(`SELECT pgtrickle.alter_stream_table('st', status => 'error')`);
    expect((await db.query(`SELECT status, last_error_message FROM pgtrickle.pgt_stream_tables`))[0]).toEqual({
      status: 'ERROR', last_error_message: 'set to ERROR by alter_stream_table',
    });
    await db.query(`SELECT pgtrickle.alter_stream_table('st', schedule => '2m')`);
    expect((await db.query(`SELECT status FROM pgtrickle.pgt_stream_tables`))[0]).toEqual({ status: 'ACTIVE' });
  });

  it('nothing but _transition writes the state columns', async () => {
    // The SQL side: no other function body assigns them.
    const writers = await db.query<{ proname: string }>(`
      SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'pgtrickle'::regnamespace AND p.proname <> '_transition'
         AND p.prosrc ~ '(SET|,)\\s+(status|consecutive_errors|needs_reinit|compile_error|compile_requested_at|plan_kind|fuse_state|blown_at|blow_reason)\\s*=[^>]'`);
    expect(writers.map((w) => w.proname)).toEqual([]);
  });
});
