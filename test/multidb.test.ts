/**
 * Many databases per node (issue #5, pg_trickle's G17-MDB): same-named objects
 * in several databases, concurrent mutation cycles, each correct on its own,
 * no catalog row in the wrong database; plus /metrics and /healthz.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { discoverDatabases, startCoordinator, type RunningCoordinator } from '../src/coordinator/coordinator.ts';
import { silentLogger } from '../src/log.ts';
import { adminUrl, freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

const QUERY = 'SELECT customer_id, count(*) AS orders, sum(amount) AS total FROM orders GROUP BY customer_id';

describe('several databases on one node', () => {
  const dbs: TestDatabase[] = [];
  let coordinator: RunningCoordinator;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const db = await freshDatabase();
      await db.query(`CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, amount numeric)`);
      // Different data per database, so a mix-up shows.
      await db.query(`INSERT INTO orders (customer_id, amount) SELECT g % ${3 + i}, g * ${i + 1} FROM generate_series(1, 100) g`);
      await db.query(`SELECT pgtrickle.create_stream_table('order_totals', $1, '1s', 'DIFFERENTIAL')`, [QUERY]);
      // Small tables: keep the change-ratio fallback from turning refreshes FULL.
      await db.query(`UPDATE pgtrickle.pgt_stream_tables SET auto_threshold = 1000`);
      dbs.push(db);
    }
    coordinator = await startCoordinator(
      loadConfig({ database: dbs.map((d) => d.url), schedulerIntervalMs: 200, metricsPort: 0 }, {}),
      silentLogger,
    );
  });
  afterAll(async () => {
    await coordinator?.stop();
    for (const db of dbs) await db.drop();
  });

  it('discovers databases that have the catalog', async () => {
    const found = await discoverDatabases(adminUrl());
    for (const db of dbs) expect(found.map((u) => new URL(u).pathname)).toContain(`/${db.name}`);
  });

  it('keeps every database correct under concurrent mutation cycles, with no cross-database catalog rows', async () => {
    for (const db of dbs) {
      await waitFor(`${db.name}'s compiled plan to be in place`, async () =>
        (await db.query(`SELECT 1 FROM pgtrickle.pgt_coord_plans WHERE plan_kind = 'COMPILED' AND storage_matches_plan`)).length === 1);
    }
    for (let cycle = 0; cycle < 5; cycle++) {
      await Promise.all(dbs.map(async (db, i) => {
        await db.query(`INSERT INTO orders (customer_id, amount) SELECT g % 5, $1 FROM generate_series(1, 10) g`, [cycle * 10 + i]);
        await db.query(`UPDATE orders SET amount = amount + 1, customer_id = customer_id + 1 WHERE id % 7 = $1`, [cycle]);
        await db.query(`DELETE FROM orders WHERE id % 11 = $1`, [(cycle + i) % 11]);
      }));
    }
    for (const db of dbs) {
      await waitFor(`${db.name} to follow`, async () => {
        const diff = await oracleDiff(db, 'order_totals', QUERY);
        return diff.extra.length === 0 && diff.missing.length === 0;
      });
      // Exactly this database's objects in its catalog.
      const rows = await db.query(`SELECT s.pgt_name, c.relname, d.source_relid::regclass::text AS source
        FROM pgtrickle.pgt_stream_tables s JOIN pg_class c ON c.oid = s.pgt_relid JOIN pgtrickle.pgt_dependencies d USING (pgt_id)`);
      expect(rows).toEqual([{ pgt_name: 'order_totals', relname: 'order_totals', source: 'orders' }]);
      const actions = await db.query<{ action: string }>(`SELECT DISTINCT action FROM pgtrickle.pgt_refresh_history WHERE initiated_by = 'SCHEDULER'`);
      expect(actions.map((a) => a.action)).toContain('DIFFERENTIAL');
    }
  });

  it('serves /metrics and /healthz', async () => {
    const base = `http://127.0.0.1:${coordinator.operationsPort}`;
    await waitFor('refresh counters for every database', async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return dbs.every((db) => text.includes(`pgtrickle_refreshes_total{database="${db.name}",stream_table="public.order_totals",action="DIFFERENTIAL"}`));
    });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/pgtrickle_refresh_duration_seconds_bucket\{le="0.005",database="/);
    expect(text).toMatch(/pgtrickle_stream_table_staleness_seconds\{database="[^"]+",stream_table="public\.order_totals"\} [0-9.]+/);
    expect(text).toMatch(/pgtrickle_compile_pool_utilization|# HELP pgtrickle_compile_pool_utilization/);
    // Observed when a refresh starts (1 s schedules here), for every database.
    for (const db of dbs) expect(text).toMatch(new RegExp(`pgtrickle_scheduling_lag_seconds_count\\{database="${db.name}"\\} [1-9]`));
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ healthy: true, bus: 'local', databases: Object.fromEntries(dbs.map((d) => [d.name, 'running'])) });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
