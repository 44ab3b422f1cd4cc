/**
 * A NATS restart during operation (issue #5): nodes reconnect, no refresh job
 * is lost, and the stream tables converge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startCoordinator, type RunningCoordinator } from '../src/coordinator/coordinator.ts';
import { silentLogger } from '../src/log.ts';
import { startNatsServer, type NatsServer } from './bus/nats-server.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

const QUERY = 'SELECT customer_id, count(*) AS n, sum(amount) AS total FROM orders GROUP BY customer_id';

describe('NATS restart', () => {
  let nats: NatsServer;
  const dbs: TestDatabase[] = [];
  const coordinators: RunningCoordinator[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    for (let i = 0; i < 4; i++) {
      const db = await freshDatabase();
      await db.query(`CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, amount numeric)`);
      await db.query(`INSERT INTO orders (customer_id, amount) SELECT g % 7, g FROM generate_series(1, 200) g`);
      await db.query(`SELECT pgtrickle.create_stream_table('totals', $1, '1s', 'DIFFERENTIAL')`, [QUERY]);
      await db.query(`UPDATE pgtrickle.pgt_stream_tables SET auto_threshold = 1000`);
      dbs.push(db);
    }
    for (const nodeId of ['restart-a', 'restart-b']) {
      coordinators.push(await startCoordinator(
        loadConfig({ database: dbs.map((d) => d.url), natsUrl: nats.url, schedulerIntervalMs: 200, nodeId, leaseTtlMs: 3000 }, {}),
        silentLogger,
      ));
    }
  }, 60_000);
  afterAll(async () => {
    for (const c of coordinators) await c.stop().catch(() => {});
    await nats?.stop();
    for (const db of dbs) await db.drop();
  });

  async function allConverged(): Promise<boolean> {
    for (const db of dbs) {
      const diff = await oracleDiff(db, 'totals', QUERY);
      if (diff.extra.length || diff.missing.length) return false;
    }
    return true;
  }

  it('keeps refreshing through a NATS restart and converges', async () => {
    await waitFor('both nodes to own databases', async () => coordinators.every((c) => c.cluster.ownedDatabases.length > 0), 20_000);
    await waitFor('initial convergence', allConverged, 30_000);
    await nats.stop();
    // Changes made while NATS is down: the owners cannot enqueue jobs for them yet.
    for (const [i, db] of dbs.entries()) {
      await db.query(`INSERT INTO orders (customer_id, amount) SELECT g % 7, $1 FROM generate_series(1, 20) g`, [1000 + i]);
      await db.query(`UPDATE orders SET customer_id = customer_id + 1 WHERE id % 9 = 0`);
    }
    await new Promise((r) => setTimeout(r, 2000));
    await nats.start();
    await waitFor('convergence after the restart', allConverged, 60_000);
    // The cluster is whole again: every database owned, by one of the two nodes.
    await waitFor('every database owned again', async () =>
      coordinators.reduce((n, c) => n + c.cluster.ownedDatabases.length, 0) === dbs.length, 30_000);
    for (const db of dbs) {
      const actions = await db.query<{ action: string }>(`SELECT action FROM pgtrickle.pgt_refresh_history ORDER BY refresh_id DESC LIMIT 1`);
      expect(actions[0]!.action).toMatch(/DIFFERENTIAL|FULL|REINITIALIZE/);
    }
  });
});
