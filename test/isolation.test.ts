/**
 * Isolation of failures: one broken stream table never stops the others. A
 * stream table whose source was dropped and which was then resumed made every
 * scheduler tick of its database fail (the tick asks every 'calculated' table
 * for pending changes in one statement, and the dropped source's probe was
 * gone), so no other stream table refreshed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startCoordinator, type RunningCoordinator } from '../src/coordinator/coordinator.ts';
import { silentLogger } from '../src/log.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

describe('one broken stream table next to healthy ones', () => {
  let db: TestDatabase;
  let coordinator: RunningCoordinator;
  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE healthy_src (id int PRIMARY KEY, v int)`);
    await db.query(`CREATE TABLE doomed_src (id int PRIMARY KEY, v int)`);
    await db.query(`INSERT INTO healthy_src VALUES (1, 1)`);
    await db.query(`INSERT INTO doomed_src VALUES (1, 1)`);
    await db.query(`SELECT pgtrickle.create_stream_table('healthy', 'SELECT sum(v) AS s FROM healthy_src', 'calculated', 'FULL')`);
    await db.query(`SELECT pgtrickle.create_stream_table('healthy_timed', 'SELECT count(*) AS n FROM healthy_src', '1s', 'FULL')`);
    await db.query(`SELECT pgtrickle.create_stream_table('doomed', 'SELECT sum(v) AS s FROM doomed_src', 'calculated', 'FULL')`);
    coordinator = await startCoordinator(loadConfig({ database: [db.url], schedulerIntervalMs: 200 }, {}), silentLogger);
  });
  afterAll(async () => {
    await coordinator.stop();
    await db.drop();
  });

  it('a stream table whose source was dropped, then resumed, fails alone; the others keep refreshing', async () => {
    await db.query(`DROP TABLE doomed_src CASCADE`);
    expect(await db.query(`SELECT status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'doomed'`)).toEqual([{ status: 'ERROR' }]);
    await db.query(`SELECT pgtrickle.resume_stream_table('doomed')`);
    for (const v of [10, 20, 30]) {
      await db.query(`INSERT INTO healthy_src VALUES ($1, $1)`, [v]);
      await waitFor(`healthy to follow the insert of ${v}`, async () =>
        (await oracleDiff(db, 'healthy', 'SELECT sum(v) AS s FROM healthy_src')).missing.length === 0);
      await waitFor(`healthy_timed to follow the insert of ${v}`, async () =>
        (await oracleDiff(db, 'healthy_timed', 'SELECT count(*) AS n FROM healthy_src')).missing.length === 0);
    }
    // A schedule written around the API that the scheduler cannot read: that table alone goes to ERROR, with the reason.
    await db.query(`UPDATE pgtrickle.pgt_stream_tables SET schedule = '*/0 * * * *' WHERE pgt_name = 'healthy_timed'`);
    await waitFor('healthy_timed in ERROR for its schedule', async () =>
      (await db.query(`SELECT 1 FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'healthy_timed' AND status = 'ERROR'
                         AND last_error_message LIKE 'the scheduler cannot read schedule%'`)).length === 1);
    await db.query(`INSERT INTO healthy_src VALUES (40, 40)`);
    await waitFor('healthy to follow the insert of 40', async () =>
      (await oracleDiff(db, 'healthy', 'SELECT sum(v) AS s FROM healthy_src')).missing.length === 0);
    // The broken one recorded its own failure and went back to ERROR.
    await waitFor('doomed to be in ERROR again', async () =>
      (await db.query(`SELECT 1 FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'doomed' AND status = 'ERROR'`)).length === 1);
  });
});
