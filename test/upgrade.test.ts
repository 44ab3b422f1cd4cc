/**
 * Catalog upgrades (DESIGN D14): a database created by the previous release
 * (0.1.0) keeps working after this release installs its catalog, and ends up
 * equal to a fresh install that went through the same steps; changed released
 * migrations and newer catalogs are refused.
 */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_VERSION, catalogMismatch, installCatalog, loadBundle } from '../src/catalog/install.ts';
import { compilePendingPlans } from '../src/compile/plans.ts';
import { CompilerPool } from '../src/compile/pool.ts';
import { loadConfig } from '../src/config.ts';
import { startCoordinator } from '../src/coordinator/coordinator.ts';
import { silentLogger } from '../src/log.ts';
import { PRODUCT_VERSION } from '../src/version.ts';
import { catalogFingerprint, copyOfSqlDir, installRelease010, PLAN_INSTALL_OF_010 } from './helpers/catalog.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

const TOTALS = 'SELECT customer_id, sum(amount) AS total, count(*) AS n FROM orders GROUP BY customer_id';
const JOINED = 'SELECT o.id, o.amount, c.name FROM orders o JOIN customers c ON c.id = o.customer_id';
const BIG = 'SELECT customer_id, total FROM order_totals WHERE total > 100';
const STREAM_TABLES: [string, string][] = [
  ['order_totals', TOTALS],
  ['order_names', JOINED],
  ['order_full', TOTALS],
  ['order_live', TOTALS],
  ['big_customers', BIG],
];

async function createSchema(db: TestDatabase): Promise<void> {
  await db.adminQuery(`CREATE TABLE customers (id int PRIMARY KEY, name text)`);
  await db.adminQuery(`CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric)`);
  await db.adminQuery(`INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 10) g`);
  await db.adminQuery(`INSERT INTO orders SELECT g, g % 10 + 1, g FROM generate_series(1, 200) g`);
  await db.adminQuery(`SELECT pgtrickle.create_stream_table('order_totals', $1, '1m', 'DIFFERENTIAL')`, [TOTALS]);
  await db.adminQuery(`SELECT pgtrickle.create_stream_table('order_names', $1, '1m', 'DIFFERENTIAL')`, [JOINED]);
  await db.adminQuery(`SELECT pgtrickle.create_stream_table('order_full', $1, '1m', 'FULL')`, [TOTALS]);
  await db.adminQuery(`SELECT pgtrickle.create_stream_table('order_live', $1, 'calculated', 'IMMEDIATE')`, [TOTALS]);
  await db.adminQuery(`SELECT pgtrickle.create_stream_table('big_customers', $1, 'calculated', 'DIFFERENTIAL')`, [BIG]);
}

async function changeData(db: TestDatabase, round: number): Promise<void> {
  await db.adminQuery(`INSERT INTO orders SELECT g, g % 7 + 1, g * $1 FROM generate_series(1000 * $1, 1000 * $1 + 20) g`, [round]);
  await db.adminQuery(`UPDATE orders SET amount = amount + $1 WHERE id % 9 = $1 % 9`, [round]);
  await db.adminQuery(`DELETE FROM orders WHERE id % 13 = $1 % 13`, [round]);
  await db.adminQuery(`UPDATE customers SET name = name || $1::text WHERE id = $1 % 10 + 1`, [round]);
}

async function refreshAll(db: TestDatabase): Promise<void> {
  for (const [name] of STREAM_TABLES) {
    if (name !== 'order_live') await db.adminQuery('SELECT pgtrickle.refresh_stream_table($1)', [name]);
  }
}

async function expectAllEqual(db: TestDatabase): Promise<void> {
  for (const [name, query] of STREAM_TABLES) {
    expect(await oracleDiff({ query: db.adminQuery }, name, query), name).toEqual({ extra: [], missing: [] });
  }
}

describe('upgrade from pgtrickle 0.1.0', () => {
  let upgraded: TestDatabase;
  let fresh: TestDatabase;
  let compiler: CompilerPool;

  beforeAll(async () => {
    compiler = new CompilerPool({ threads: 1 });
    upgraded = await freshDatabase({ withCatalog: false });
    fresh = await freshDatabase({ withCatalog: false });
  });
  afterAll(async () => {
    await compiler.close();
    await upgraded.drop();
    await fresh.drop();
  });

  it('keeps every stream table equal to its query, and equals a fresh install that went through the same steps', async () => {
    // The previous release: its catalog, its tables, its compiled plans, some changes.
    const old = await upgraded.connectAdmin();
    await installRelease010(old);
    await old.query(PLAN_INSTALL_OF_010);
    await createSchema(upgraded);
    await compilePendingPlans(old, compiler);
    await changeData(upgraded, 1);
    await refreshAll(upgraded);
    await expectAllEqual(upgraded);
    expect((await upgraded.adminQuery(`SELECT compiler_version FROM pgtrickle.pgt_coord_plans WHERE plan_kind = 'COMPILED'`)).length).toBe(4);

    // The same steps on a fresh install of this release.
    const current = await fresh.connectAdmin();
    await installCatalog(current);
    await createSchema(fresh);
    await compilePendingPlans(current, compiler);
    await changeData(fresh, 1);
    await refreshAll(fresh);

    // Upgrade; the coordinator recompiles 0.1.0's plans (their stamp differs).
    const result = await installCatalog(old);
    const since010 = loadBundle().migrations.filter((m) => m.version > 1);
    expect(result).toMatchObject({
      status: 'upgraded', from: 1, to: CATALOG_VERSION, applied: since010.map((m) => m.name), previousProductVersion: null,
    });
    const [versions] = await upgraded.adminQuery('SELECT pgtrickle.version() AS v, pgtrickle.product_version() AS p');
    expect(versions).toEqual({ v: '0.14.0', p: PRODUCT_VERSION });
    await compilePendingPlans(old, compiler);
    expect(await installCatalog(current)).toMatchObject({ status: 'current' });
    await compilePendingPlans(current, compiler);

    for (const round of [2, 3, 4]) {
      for (const db of [upgraded, fresh]) {
        await changeData(db, round);
        await refreshAll(db);
        await expectAllEqual(db);
      }
    }
    const history = await upgraded.adminQuery<{ action: string }>(
      `SELECT DISTINCT h.action FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)
        WHERE s.pgt_name = 'order_totals' AND h.start_time > (SELECT installed_at FROM pgtrickle.pgt_coord_catalog)`,
    );
    expect(history.map((h) => h.action)).toContain('DIFFERENTIAL');

    const [a, b] = [await catalogFingerprint(upgraded), await catalogFingerprint(fresh)];
    for (const key of Object.keys(b)) expect(a[key], key).toEqual(b[key]);
  });
});

describe('refusals', () => {
  let db: TestDatabase;
  const dirs: string[] = [];
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const sqlCopy = () => {
    const dir = copyOfSqlDir();
    dirs.push(dir);
    return dir;
  };

  it('refuses to run when a released migration was changed after it was applied', async () => {
    const dir = sqlCopy();
    appendFileSync(path.join(dir, 'migrations/0001_catalog.sql'), '\nCREATE INDEX ON pgtrickle.pgt_refresh_history (status);\n');
    const client = await db.connectAdmin();
    await expect(installCatalog(client, loadBundle(dir))).rejects.toThrow(/migration 0001_catalog\.sql was changed after it was applied/);
    // the unchanged bundle still installs (and nothing was recorded from the refused one)
    await expect(installCatalog(client)).resolves.toMatchObject({ productVersion: PRODUCT_VERSION });
  });

  it('an older coordinator refuses a catalog installed by a newer release, and changes nothing', async () => {
    const client = await db.connectAdmin();
    const newer = loadBundle(undefined, '99.0.0');
    expect(await installCatalog(client, newer)).toMatchObject({ status: 'upgraded', previousProductVersion: PRODUCT_VERSION });
    await expect(installCatalog(client)).rejects.toThrow(`installed by pgtrickle 99.0.0, newer than this pgtrickle ${PRODUCT_VERSION}`);
    expect(await catalogMismatch(client)).toMatch(/newer than this pgtrickle/);
    const [row] = await db.adminQuery('SELECT product_version FROM pgtrickle.pgt_coord_catalog');
    expect(row).toEqual({ product_version: '99.0.0' });
    await db.adminQuery(`UPDATE pgtrickle.pgt_coord_catalog SET product_version = $1`, [PRODUCT_VERSION]);
  });

  it('refuses a catalog with migrations this release does not know', async () => {
    const client = await db.connectAdmin();
    await db.adminQuery(`INSERT INTO pgtrickle.pgt_coord_schema_version (version, name, checksum) VALUES (9999, '9999_future.sql', 'x')`);
    await expect(installCatalog(client)).rejects.toThrow(/migration 9999_future\.sql\), newer than this pgtrickle/);
    await db.adminQuery('DELETE FROM pgtrickle.pgt_coord_schema_version WHERE version = 9999');
  });

  it('re-applies the code when the bundle differs, without a new migration', async () => {
    const dir = sqlCopy();
    const file = path.join(dir, 'code/01_basics.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace("SELECT '0.14.0'", "SELECT '0.14.0'::text"));
    const client = await db.connectAdmin();
    expect(await installCatalog(client, loadBundle(dir))).toMatchObject({ status: 'upgraded', applied: [] });
    const [fn] = await db.adminQuery<{ src: string }>(`SELECT prosrc AS src FROM pg_proc WHERE proname = 'version' AND pronamespace = 'pgtrickle'::regnamespace`);
    expect(fn!.src).toContain("'0.14.0'::text");
    expect(await installCatalog(client)).toMatchObject({ status: 'upgraded' });
    expect(await installCatalog(client)).toMatchObject({ status: 'current' });
  });

  it('a failed upgrade leaves the catalog as it was', async () => {
    const dir = sqlCopy();
    writeFileSync(
      path.join(dir, 'code/99_broken.sql'),
      "CREATE OR REPLACE FUNCTION pgtrickle.version() RETURNS text LANGUAGE sql AS $$ SELECT 'broken' $$;\nSELECT 1 / 0;",
    );
    const client = await db.connectAdmin();
    await expect(installCatalog(client, loadBundle(dir))).rejects.toThrow(/failed at code module 99_broken\.sql: division by zero/);
    const [row] = await db.adminQuery('SELECT pgtrickle.version() AS v');
    expect(row).toEqual({ v: '0.14.0' });
    expect(await installCatalog(client)).toMatchObject({ status: 'current' });
  });
});

describe('two coordinators of different releases on one database', () => {
  it('the older one stops managing the database when a newer one upgrades it; the newer one keeps it', async () => {
    const db = await freshDatabase();
    const coordinator = await startCoordinator(loadConfig({ database: [db.url], schedulerIntervalMs: 200 }, {}), silentLogger);
    try {
      const [session] = coordinator.sessions;
      expect(session!.state).toBe('running');
      const client = await db.connectAdmin();
      await installCatalog(client, loadBundle(undefined, '99.0.0'));
      await waitFor('the older coordinator to stop its session', async () => session!.state === 'stopped');
    } finally {
      await coordinator.stop();
      await db.drop();
    }
  });
});
