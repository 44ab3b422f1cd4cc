/**
 * Stream tables on stream tables (issue #4): deltas flow down a chain and a
 * diamond DIFFERENTIALLY, on the scheduler path and the manual path alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompilerPool } from '../src/compile/pool.ts';
import { compileStreamTable } from '../src/compile/plans.ts';
import { loadConfig } from '../src/config.ts';
import { startCoordinator, type RunningCoordinator } from '../src/coordinator/coordinator.ts';
import { silentLogger } from '../src/log.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

const BRONZE = 'SELECT id, customer_id, amount FROM orders WHERE amount > 0';
const SILVER = 'SELECT customer_id, count(*) AS n, sum(amount) AS total FROM bronze GROUP BY customer_id';
const GOLD = 'SELECT count(*) AS customers, sum(total) AS revenue FROM silver';
// diamond: two branches over bronze, joined
const LEFT = 'SELECT customer_id, sum(amount) AS total FROM bronze GROUP BY customer_id';
const RIGHT = 'SELECT customer_id, count(*) AS n FROM bronze GROUP BY customer_id';
const JOINED = 'SELECT l.customer_id, l.total, r.n FROM left_branch l JOIN right_branch r ON r.customer_id = l.customer_id';

async function randomDml(db: TestDatabase, round: number): Promise<void> {
  await db.query(`INSERT INTO orders (id, customer_id, amount) SELECT 10000 * $1 + g, g % 7, (g % 5) - 1 FROM generate_series(1, 20) g`, [round]);
  await db.query(`UPDATE orders SET amount = amount + 2, customer_id = (customer_id + $1) % 7 WHERE id % 11 = $1 % 11`, [round]);
  await db.query(`DELETE FROM orders WHERE id % 13 = $1 % 13`, [round]);
}

describe('stream tables on stream tables', () => {
  let db: TestDatabase;
  let compiler: CompilerPool;
  const names = ['bronze', 'silver', 'gold', 'left_branch', 'right_branch', 'joined'];
  const queries: Record<string, string> = { bronze: BRONZE, silver: SILVER, gold: GOLD, left_branch: LEFT, right_branch: RIGHT, joined: JOINED };

  beforeAll(async () => {
    db = await freshDatabase();
    compiler = new CompilerPool();
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount int)`);
    await db.query(`INSERT INTO orders SELECT g, g % 7, g % 5 FROM generate_series(1, 200) g`);
    for (const name of names) {
      await db.query(`SELECT pgtrickle.create_stream_table($1, $2, 'calculated', 'DIFFERENTIAL')`, [name, queries[name]]);
      const client = await db.connect();
      await client.query('BEGIN');
      const [{ pgt_id }] = (await client.query(`SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = $1`, [name])).rows;
      expect((await compileStreamTable(client, compiler, Number(pgt_id))).status).toBe('installed');
      await client.query('COMMIT');
      await client.end();
      await db.query(`SELECT pgtrickle.refresh_stream_table($1)`, [name]);
    }
    // These tables are tiny: keep the change-ratio fallback from turning refreshes FULL.
    await db.query(`UPDATE pgtrickle.pgt_stream_tables SET auto_threshold = 1000`);
  });
  afterAll(async () => {
    await compiler.close();
    await db.drop();
  });

  const actionsOf = async (name: string, since: number) =>
    (await db.query<{ action: string }>(
      `SELECT h.action FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)
        WHERE s.pgt_name = $1 AND h.refresh_id > $2 AND h.action <> 'NO_DATA' ORDER BY h.refresh_id`, [name, since])).map((r) => r.action);
  const lastRefreshId = async () => Number((await db.query<{ m: string }>(`SELECT coalesce(max(refresh_id), 0) AS m FROM pgtrickle.pgt_refresh_history`))[0]!.m);

  it('manual refreshes in topological order keep every level equal to its query, differentially', async () => {
    for (let round = 1; round <= 3; round++) {
      const since = await lastRefreshId();
      await randomDml(db, round);
      for (const name of names) await db.query(`SELECT pgtrickle.refresh_stream_table($1)`, [name]);
      for (const name of names) {
        expect(await oracleDiff(db, name, queries[name]!), `${name} after round ${round}`).toEqual({ extra: [], missing: [] });
        expect(await actionsOf(name, since), `${name} refreshes in round ${round}`).toEqual(['DIFFERENTIAL']);
      }
    }
  });

  it('the dependency graph is printed as a tree', async () => {
    const rows = await db.query<{ tree_line: string }>(`SELECT tree_line FROM pgtrickle.dependency_tree()`);
    expect(rows.map((r) => r.tree_line)).toEqual([
      'public.bronze',
      '    ├── public.left_branch',
      '    │   └── public.joined',
      '    ├── public.right_branch',
      '    │   └── public.joined',
      '    ├── public.silver',
      '    │   └── public.gold',
      '    └── public.orders [src]',
    ]);
  });

  it('rejects a cycle, naming it', async () => {
    await expect(db.query(`SELECT pgtrickle.alter_stream_table('bronze', query => 'SELECT customer_id AS id, customer_id, total::int AS amount FROM silver')`))
      .rejects.toThrow(/cycle detected in dependency graph: public\.bronze -> public\.silver -> public\.bronze/);
    expect(await oracleDiff(db, 'bronze', BRONZE)).toEqual({ extra: [], missing: [] });
  });

  it('one scheduler follows the chain and the diamond with calculated schedules', async () => {
    const coordinator: RunningCoordinator = await startCoordinator(loadConfig({ database: [db.url], schedulerIntervalMs: 200 }, {}), silentLogger);
    try {
      const since = await lastRefreshId();
      await randomDml(db, 4);
      await waitFor('every level to follow', async () => {
        for (const name of names) {
          const diff = await oracleDiff(db, name, queries[name]!);
          if (diff.extra.length || diff.missing.length) return false;
        }
        return true;
      });
      for (const name of names) expect((await actionsOf(name, since)).every((a) => a === 'DIFFERENTIAL'), name).toBe(true);
      // The diamond's branches were refreshed in one transaction: one snapshot for both.
      const frontiers = await db.query<{ pgt_name: string; frontier: string }>(
        `SELECT s.pgt_name, f.frontier::text FROM pgtrickle.pgt_coord_frontiers f JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)
          WHERE s.pgt_name IN ('left_branch', 'right_branch')`);
      expect(frontiers).toHaveLength(2);
      expect(frontiers[0]!.frontier).toBe(frontiers[1]!.frontier);
    } finally {
      await coordinator.stop();
    }
  });
});
