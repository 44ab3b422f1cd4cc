/**
 * The `pgtrickle` binary, run as a user would, against a real database.
 */
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCode } from '../src/cli/main.ts';
import { SQL_API_ERRORS, SqlState, type SqlErrorCategory } from '../src/index.ts';
import { freshDatabase, type TestDatabase } from './helpers/db.ts';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../bin/pgtrickle.js');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], { env: { ...process.env, PGTRICKLE_URL: '' } });
    return { code: 0, stdout, stderr };
  } catch (raw) {
    const err = raw as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('pgtrickle CLI', () => {
  let db: TestDatabase;
  let url: string[];
  beforeAll(async () => {
    db = await freshDatabase();
    url = ['--url', db.userUrl]; // the CLI is a user's tool: it runs as the tests' role
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`INSERT INTO orders SELECT g, g % 3, g FROM generate_series(1, 30) g`);
  });
  afterAll(async () => db.drop());

  it('create, list (table and json), status, refresh, history, alter, drop', async () => {
    const created = await cli([...url, 'create', 'order_totals', 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id', '--schedule', '1m', '--mode', 'FULL']);
    expect(created).toMatchObject({ code: 0, stdout: "Created stream table 'order_totals'.\n" });

    const table = await cli([...url, 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ Name\s+│ Schema\s+│ Status\s+│ Mode/);
    expect(table.stdout).toMatch(/│ order_totals │ public\s+│ ACTIVE\s+│ FULL/);

    const json = await cli([...url, 'list', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ name: 'order_totals', schema: 'public', status: 'ACTIVE', refresh_mode: 'FULL', is_populated: true, schedule: '1m' }),
    ]);

    await db.query(`INSERT INTO orders VALUES (100, 7, 700)`);
    expect(await cli([...url, 'refresh', 'order_totals'])).toMatchObject({ code: 0, stdout: "Refreshed 'order_totals' (FULL).\n" });
    expect(await db.query(`SELECT total FROM order_totals WHERE customer_id = 7`)).toEqual([{ total: '700' }]);

    const status = await cli([...url, 'status', 'order_totals']);
    expect(status.stdout).toMatch(/^Stream Table: public\.order_totals\nStatus:\s+ACTIVE\nMode:\s+FULL/);
    expect(status.stdout).toMatch(/Refresh Statistics:\n  Total:\s+2\n  Successful: 2/);

    const statusJson = JSON.parse((await cli([...url, '-f', 'json', 'status', 'order_totals'])).stdout);
    expect(statusJson).toMatchObject({ name: 'order_totals', schema: 'public', schedule: '1m', consecutive_errors: 0 });

    const history = JSON.parse((await cli([...url, 'history', 'order_totals', '--format', 'json'])).stdout);
    expect(history.map((h: { action: string; initiated_by: string }) => [h.action, h.initiated_by])).toEqual([
      ['FULL', 'MANUAL'],
      ['FULL', 'INITIAL'],
    ]);

    expect(await cli([...url, 'alter', 'order_totals', '--schedule', '5m', '--tier', 'warm'])).toMatchObject({ code: 0 });
    expect(await db.query(`SELECT schedule, refresh_tier FROM pgtrickle.pgt_stream_tables`)).toEqual([{ schedule: '5m', refresh_tier: 'warm' }]);

    expect(await cli([...url, 'drop', 'order_totals'])).toMatchObject({ code: 0, stdout: "Dropped stream table 'order_totals'.\n" });
    expect(await db.query(`SELECT count(*)::int AS n FROM pgtrickle.pgt_stream_tables`)).toEqual([{ n: 0 }]);
  });

  it('exits 2 with one line on stderr for an unknown stream table', async () => {
    const result = await cli([...url, 'status', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: not found: stream table not found: public.nope (hint: List stream tables with: SELECT * FROM pgtrickle.pgt_status();)\n');
  });

  it('exits 1 with the server message for bad input, and 2 for usage errors', async () => {
    const bad = await cli([...url, 'create', 'x', 'SELECT nope FROM orders']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: query failed: query parse error: column "nope" does not exist/);
    expect((await cli([...url, 'alter', 'x'])).stderr).toBe(
      'error: specify at least one option to alter (--mode, --schedule, --tier, --status, --query)\n',
    );
    expect((await cli(['no-such-command'])).code).toBe(2);
    expect((await cli([...url, 'refresh'])).stderr).toBe('error: specify a stream table name or --all\n');
  });

  it('create compiles DIFFERENTIAL plans at once; explain shows them', async () => {
    const q = 'SELECT customer_id, count(*) AS n, sum(amount) AS total FROM orders GROUP BY customer_id';
    expect(await cli([...url, 'create', 'diff_totals', q, '--mode', 'DIFFERENTIAL', '--schedule', '1m'])).toMatchObject({ code: 0 });
    expect(await db.query(`SELECT p.plan_kind, p.storage_matches_plan FROM pgtrickle.pgt_coord_plans p JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)
      WHERE s.pgt_name = 'diff_totals'`)).toEqual([{ plan_kind: 'COMPILED', storage_matches_plan: true }]);
    const explain = await cli([...url, 'explain', 'diff_totals', '--operators']);
    expect(explain.stdout).toMatch(/^pgt_name: public\.diff_totals$/m);
    expect(explain.stdout).toMatch(/^refresh_strategy: DIFFERENTIAL \(aggregate storage\)/m);
    expect(explain.stdout).toMatch(/^operator_tree:\n {2}\S/m);
    expect(explain.stdout).toMatch(/^delta_query:\n {2}WITH __pgt_frontier AS/m);
    const json = JSON.parse((await cli([...url, '--format', 'json', 'explain', 'diff_totals', '--operators'])).stdout);
    expect(json).toMatchObject({ dvm_supported: 'true', plan_kind: 'COMPILED' });
    await db.query(`INSERT INTO orders VALUES (200, 1, 1)`);
    expect((await cli([...url, 'refresh', 'diff_totals'])).stdout).toBe("Refreshed 'diff_totals' (DIFFERENTIAL).\n");
  });

  it('create in DIFFERENTIAL mode rejects an unsupported query before creating anything', async () => {
    const before = await db.query(`SELECT count(*)::int AS n FROM pgtrickle.pgt_stream_tables`);
    const result = await cli([...url, 'create', 'maxes', 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY ROLLUP (customer_id)', '--mode', 'DIFFERENTIAL']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "error: unsupported operator for DIFFERENTIAL mode: GROUPING SETS / CUBE / ROLLUP [grouping_sets] (hint: write one UNION ALL branch per grouping set, or use refresh_mode => 'FULL')\n",
    );
    expect(await db.query(`SELECT count(*)::int AS n FROM pgtrickle.pgt_stream_tables`)).toEqual(before);
    expect(await db.query(`SELECT to_regclass('maxes') AS t`)).toEqual([{ t: null }]);
  });

  it('create in AUTO mode falls back to FULL with a notice', async () => {
    const result = await cli([...url, 'create', 'maxes', 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY ROLLUP (customer_id)']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("notice: Falling back to FULL refresh: GROUPING SETS / CUBE / ROLLUP is not maintained differentially [grouping_sets]\n");
    expect(await db.query(`SELECT refresh_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'maxes'`)).toEqual([{ refresh_mode: 'FULL' }]);
  });

  it('alerts follows pg_trickle_alert and prints one JSON line per alert', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('alerting', 'SELECT id FROM orders', '1m', 'FULL')`);
    const child = spawn('node', [BIN, '--url', db.userUrl, '--format', 'json', 'alerts', '--follow'], { env: { ...process.env, PGTRICKLE_URL: '' } });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    await new Promise<void>((resolve) => child.stderr.on('data', (d) => String(d).includes('listening for alerts') && resolve()));
    await db.query(`SELECT pgtrickle.alter_stream_table('alerting', status => 'SUSPENDED')`);
    await db.query(`SELECT pgtrickle.resume_stream_table('alerting')`);
    const deadline = Date.now() + 10_000;
    while (!stdout.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const alert = JSON.parse(stdout.split('\n')[0]!);
    expect(alert).toMatchObject({ event: 'resumed', pgt_schema: 'public', pgt_name: 'alerting', st: 'public.alerting', previous_status: 'SUSPENDED', database: db.name });
  });

  it('the exit code follows the SQLSTATE: 2 for not found, 1 for the rest', async () => {
    const missing = await cli([...url, 'refresh', 'nope']);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: not found: stream table not found: public\.nope/) });
    await db.query(`SELECT pgtrickle.create_stream_table('taken', 'SELECT id FROM orders', '1m', 'FULL')`);
    const taken = await cli([...url, 'create', 'taken', 'SELECT id FROM orders']);
    expect(taken).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: query failed: stream table already exists: public\.taken/) });
    const wrongState = await cli([...url, 'alter', 'taken', '--status', 'SUSPENDED']);
    expect(wrongState.code).toBe(0);
    const suspended = await cli([...url, 'refresh', 'taken']);
    expect(suspended).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: query failed: stream table public\.taken is suspended/) });
  });

  it('names a database without the catalog, by code rather than message', async () => {
    const bare = await freshDatabase({ withCatalog: false });
    try {
      expect(await cli(['--url', bare.url, 'list'])).toMatchObject({
        code: 1,
        stderr: 'error: query failed: this database has no pgtrickle catalog; run `pgtrickle start` against it first\n',
      });
    } finally {
      await bare.drop();
    }
  });

  it('reports a connection failure clearly', async () => {
    const result = await cli(['--url', 'postgres://postgres@127.0.0.1:1/nowhere', 'list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: connection failed: .*ECONNREFUSED/);
  });
});

describe('pgtrickle CLI structure', () => {
  it('imports nothing of src/ but src/index.ts (the CLI is a layer over the library)', () => {
    const dir = path.resolve(import.meta.dirname, '../src/cli');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const imports = [...readFileSync(path.join(dir, file), 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) => m[1]);
      for (const target of imports) expect([file, target]).toSatisfy(([, t]: string[]) => t === '../index.ts' || /^\.\/[\w-]+\.ts$/.test(t!));
    }
  });

  it('exit codes by error class: not found 2, every other SQL API category 1', () => {
    for (const [category, cls] of Object.entries(SQL_API_ERRORS) as [SqlErrorCategory, (typeof SQL_API_ERRORS)[SqlErrorCategory]][]) {
      const err = new cls({ code: SqlState[category], message: 'm' });
      expect([category, exitCode(err)]).toEqual([category, category === 'NotFound' ? 2 : 1]);
    }
    expect(exitCode(new Error('stream table not found: public.x'))).toBe(1); // never by message text
  });
});
