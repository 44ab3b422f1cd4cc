/**
 * DIFFERENTIAL refresh end to end: SQL creates the stream table, the
 * coordinator compiles its plan in a worker thread and installs it, and every
 * refresh path then applies deltas through the same executor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startCoordinator, type RunningCoordinator } from '../src/coordinator/coordinator.ts';
import { PLAN_VERSION } from '../src/compile/plans.ts';
import { silentLogger } from '../src/log.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';
import { startWriters } from './helpers/writers.ts';

const JOIN_AGG = `SELECT c.region, count(*) AS orders, sum(o.amount) AS revenue, avg(o.amount) AS average
  FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.region`;

describe('DIFFERENTIAL refresh', () => {
  let db: TestDatabase;
  let coordinator: RunningCoordinator;

  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE customers (id int PRIMARY KEY, region text)`);
    await db.query(`CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`INSERT INTO customers SELECT g, (ARRAY['north','south','east', NULL])[1 + g % 4] FROM generate_series(1, 20) g`);
    await db.query(`INSERT INTO orders SELECT g, 1 + g % 20, g % 100 FROM generate_series(1, 2000) g`);
    coordinator = await startCoordinator(loadConfig({ database: [db.url], schedulerIntervalMs: 200 }, {}), silentLogger);
  });
  afterAll(async () => {
    await coordinator.stop();
    await db.drop();
  });

  const planOf = async (name: string) =>
    (await db.query(`SELECT p.plan_kind, p.compiler_version, p.compile_error, p.storage_matches_plan, s.refresh_mode, s.status
       FROM pgtrickle.pgt_coord_plans p JOIN pgtrickle.pgt_stream_tables s USING (pgt_id) WHERE s.pgt_name = $1`, [name]))[0];

  it('the coordinator compiles a plan for a DIFFERENTIAL stream table and installs its hidden columns', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('region_totals', $1, '1m', 'DIFFERENTIAL')`, [JOIN_AGG]);
    await waitFor('a compiled plan', async () => (await planOf('region_totals'))?.plan_kind === 'COMPILED');
    expect(await planOf('region_totals')).toMatchObject({ compiler_version: PLAN_VERSION, compile_error: null });
    const hidden = await db.query<{ attname: string }>(
      `SELECT attname FROM pg_attribute WHERE attrelid = 'region_totals'::regclass AND attname LIKE '\\_\\_pgt\\_%' ORDER BY attnum`);
    expect(hidden.map((h) => h.attname)).toContain('__pgt_count');
  });

  it('the first refresh after installing is FULL under the plan, later ones DIFFERENTIAL, equal to the query', async () => {
    await db.query(`SELECT pgtrickle.refresh_stream_table('region_totals')`);
    expect(await planOf('region_totals')).toMatchObject({ storage_matches_plan: true });
    await db.query(`INSERT INTO orders VALUES (100001, 1, 5), (100002, 2, 7)`);
    await db.query(`UPDATE orders SET amount = amount + 1 WHERE id BETWEEN 1 AND 5`);
    await db.query(`UPDATE orders SET customer_id = 3 WHERE id = 6`);       // moves between groups
    await db.query(`UPDATE customers SET region = 'west' WHERE id = 4`);    // join key side changes the group
    await db.query(`DELETE FROM orders WHERE id BETWEEN 10 AND 12`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('region_totals')`);
    const last = await db.query(`SELECT action, delta_row_count::int FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)
      WHERE s.pgt_name = 'region_totals' ORDER BY refresh_id DESC LIMIT 2`);
    expect(last).toEqual([{ action: 'DIFFERENTIAL', delta_row_count: 12 }, { action: 'FULL', delta_row_count: 0 }]);
    expect(await oracleDiff(db, 'region_totals', JOIN_AGG)).toEqual({ extra: [], missing: [] });
  });

  it('scheduler and manual refreshes stay correct while writers run', async () => {
    await db.query(`SELECT pgtrickle.alter_stream_table('region_totals', schedule => '1s')`);
    const writers = startWriters(await Promise.all([1, 2, 3].map(() => db.connect())), { customers: 20 });
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      await db.query(`SELECT pgtrickle.refresh_stream_table('region_totals')`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await writers.stop();
    await db.query(`SELECT pgtrickle.refresh_stream_table('region_totals')`);
    expect(await oracleDiff(db, 'region_totals', JOIN_AGG)).toEqual({ extra: [], missing: [] });
    const actions = await db.query<{ action: string; n: number }>(`SELECT action, count(*)::int AS n FROM pgtrickle.pgt_refresh_history h
      JOIN pgtrickle.pgt_stream_tables s USING (pgt_id) WHERE s.pgt_name = 'region_totals' GROUP BY action`);
    expect(actions.find((a) => a.action === 'DIFFERENTIAL')!.n).toBeGreaterThan(5);
  });

  it('a TRUNCATE of a source makes the next refresh FULL, and correct', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('north_orders', 'SELECT o.id, o.amount FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.region = ''north''', '1m', 'DIFFERENTIAL')`);
    await waitFor('a compiled plan', async () => (await planOf('north_orders'))?.plan_kind === 'COMPILED');
    await db.query(`SELECT pgtrickle.refresh_stream_table('north_orders')`);
    await db.query(`TRUNCATE orders`);
    await db.query(`INSERT INTO orders VALUES (1, 1, 1), (2, 5, 2)`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('north_orders')`);
    expect((await db.query(`SELECT action FROM pgtrickle.pgt_refresh_history ORDER BY refresh_id DESC LIMIT 1`))[0]).toEqual({ action: 'FULL' });
    expect(await oracleDiff(db, 'north_orders', `SELECT o.id, o.amount FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.region = 'north'`))
      .toEqual({ extra: [], missing: [] });
  });

  it('the post-statement TRUNCATE re-check finds a TRUNCATE consumed by a frontier advance, and only then', async () => {
    // The race it guards: a TRUNCATE committing between the pending check and
    // the DIFFERENTIAL statement. Simulated in a rolled-back transaction by
    // advancing the frontier past a TRUNCATE the way a statement would.
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      const { rows: [row] } = await client.query<{ pgt_id: string; relid: number; previous: string }>(
        `SELECT f.pgt_id, f.source_relid::int AS relid, f.frontier::text AS previous
           FROM pgtrickle.pgt_coord_frontiers f JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)
          WHERE s.pgt_name = 'north_orders' AND f.source_relid = 'orders'::regclass`);
      const check = async (previous: string) => (await client.query<{ consumed: boolean }>(
        `SELECT pgtrickle_changes.${'pgt_truncate_consumed_' + row!.relid}($1, $2::pg_snapshot) AS consumed`, [row!.pgt_id, previous])).rows[0]!.consumed;
      await client.query(`TRUNCATE orders`);
      expect(await check(row!.previous)).toBe(false); // the frontier has not moved
      await client.query(`UPDATE pgtrickle.pgt_coord_frontiers SET frontier = (SELECT pgtrickle.refresh_snapshot())
                           WHERE pgt_id = $1 AND source_relid = $2`, [row!.pgt_id, row!.relid]);
      expect(await check(row!.previous)).toBe(true);
      const { rows: [now] } = await client.query<{ f: string }>(
        `SELECT frontier::text AS f FROM pgtrickle.pgt_coord_frontiers WHERE pgt_id = $1 AND source_relid = $2`, [row!.pgt_id, row!.relid]);
      expect(await check(now!.f)).toBe(false); // already behind the frontier before the statement
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  });

  it('AUTO falls back to FULL for a query the compiler cannot maintain, with an alert', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('rolled', 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY ROLLUP (customer_id)', '1m')`);
    await waitFor('the fallback', async () => (await planOf('rolled'))?.refresh_mode === 'FULL');
    expect((await planOf('rolled'))!.compile_error).toMatch(/^\[grouping_sets\]/);
    await db.query(`INSERT INTO orders VALUES (555555, 1, 99999)`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('rolled')`);
    expect(await oracleDiff(db, 'rolled', 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY ROLLUP (customer_id)')).toEqual({ extra: [], missing: [] });
  });

  it('explicit DIFFERENTIAL for an unsupported query puts the stream table in ERROR with the coded message', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('smallest', 'SELECT customer_id, sum(amount) AS m FROM orders GROUP BY CUBE (customer_id)', '1m', 'DIFFERENTIAL')`);
    await waitFor('ERROR', async () => (await planOf('smallest'))?.status === 'ERROR');
    const [row] = await db.query(`SELECT last_error_message FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'smallest'`);
    expect(row).toEqual({ last_error_message: expect.stringMatching(/^unsupported operator for DIFFERENTIAL mode: GROUPING SETS/) });
    // Switching to FULL clears the error and the table works.
    await db.query(`SELECT pgtrickle.alter_stream_table('smallest', refresh_mode => 'FULL')`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('smallest')`);
    expect(await planOf('smallest')).toMatchObject({ status: 'ACTIVE', refresh_mode: 'FULL' });
  });

  it('a user-defined aggregate is maintained by group rescan: the plan is compiled and the answer stays right', async () => {
    await db.query(`CREATE FUNCTION my_sum_state(numeric, numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT coalesce($1, 0) + coalesce($2, 0)'`);
    await db.query(`CREATE AGGREGATE my_sum(numeric) (SFUNC = my_sum_state, STYPE = numeric)`);
    const q = 'SELECT customer_id, my_sum(amount) AS total FROM orders GROUP BY customer_id';
    await db.query(`SELECT pgtrickle.create_stream_table('custom_agg', $1, '1m')`, [q]);
    await waitFor('the compiled plan', async () => (await planOf('custom_agg'))?.plan_kind === 'COMPILED');
    expect(await planOf('custom_agg')).toMatchObject({ refresh_mode: 'DIFFERENTIAL', compile_error: null });
    await db.query(`INSERT INTO orders VALUES (777777, 1, 3)`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('custom_agg')`);
    expect(await oracleDiff(db, 'custom_agg', q)).toEqual({ extra: [], missing: [] });
  });

  it('explain_st shows the operator tree, the strategy and the delta SQL', async () => {
    const rows = await db.query<{ property: string; value: string | null }>(`SELECT * FROM pgtrickle.explain_st('region_totals')`);
    const props = Object.fromEntries(rows.map((r) => [r.property, r.value]));
    expect(props.dvm_supported).toBe('true');
    expect(props.refresh_strategy).toMatch(/^DIFFERENTIAL \(aggregate storage\)/);
    expect(props.operator_tree).toMatch(/Aggregate/);
    expect(props.delta_query).toMatch(/MERGE INTO "public"\."region_totals"/);
  });

  it('a refresh with no new changes is NO_DATA', async () => {
    await db.query(`SELECT pgtrickle.refresh_stream_table('region_totals')`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('region_totals')`);
    expect((await db.query(`SELECT action FROM pgtrickle.pgt_refresh_history ORDER BY refresh_id DESC LIMIT 1`))[0]).toEqual({ action: 'NO_DATA' });
  });
});
