/**
 * No-change refresh benchmark: what a refresh costs when nothing changed (the
 * executor's NO_DATA path), side by side in one run with the floors any
 * client-issued transaction pays on the same server and connection:
 *
 *   round trip     SELECT 1
 *   write + commit INSERT of one row into a scratch table (WAL flush at commit)
 *   scheduler tick pgtrickle._refresh(id, 'SCHEDULER'): the coordinator's call
 *   manual refresh pgtrickle.refresh_stream_table(name): psql's call, which
 *                  also writes a history row
 *
 *   npm run bench:no-change -- [--rows 100000] [--runs 200]
 *
 * Server: embedded PostgreSQL 18 in a temporary directory, or
 * PGTRICKLE_BENCH_DATABASE_URL (an admin URL; a scratch database is created
 * and dropped there). The stream table is the join + aggregate of
 * bench/refresh, DIFFERENTIAL with a compiled plan. stdout: a Markdown table.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { installCatalog } from '../src/catalog/install.ts';
import { compileStreamTable } from '../src/compile/plans.ts';
import { CompilerPool } from '../src/compile/pool.ts';
import { withDatabase } from '../src/db-url.ts';
import { markdownTable, median, ms, percentile } from './refresh/report.ts';
import { startBenchServer } from './server.ts';
import { createAndLoad, QUERIES } from './refresh/workload.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '200' },
  },
});
const ROWS = Number(args.rows);
const RUNS = Number(args.runs);
if (!Number.isInteger(ROWS) || ROWS < 10) throw new Error(`--rows: expected an integer >= 10, got ${args.rows}`);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs: expected a positive integer, got ${args.runs}`);

const progress = (message: string) => process.stderr.write(`${message}\n`);

async function timeRuns(client: pg.ClientBase, sql: string, params: unknown[]): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await client.query(sql, params);
    times.push(performance.now() - started);
  }
  return times;
}

async function main(): Promise<void> {
  const server = await startBenchServer(progress);
  progress(`server: ${server.description}`);
  const database = `pgtrickle_bench_nochange_${process.pid}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  const pool = new CompilerPool({ threads: 1 });
  let client: pg.Client | undefined;
  try {
    await admin.query(`CREATE DATABASE ${database}`);
    client = new pg.Client({ connectionString: withDatabase(server.adminUrl, database) });
    await client.connect();
    await installCatalog(client);
    progress(`loading ${ROWS.toLocaleString('en-US')} orders`);
    await createAndLoad(client, ROWS, progress);
    const query = QUERIES.find((q) => q.key === 'join_agg')!;
    await client.query(`SELECT pgtrickle.create_stream_table('st_nochange', $1, '1h', 'DIFFERENTIAL')`, [query.sql]);
    const id = Number((await client.query(`SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'st_nochange'`)).rows[0].pgt_id);
    await client.query('BEGIN');
    const compiled = await compileStreamTable(client, pool, id);
    await client.query('COMMIT');
    if (compiled.status !== 'installed') throw new Error(`compiling the stream table gave ${JSON.stringify(compiled)}`);
    await client.query(`SELECT pgtrickle.refresh_stream_table('st_nochange')`); // FULL under the compiled plan
    await client.query(`CREATE TABLE scratch (v int)`);

    const settings = (await client.query<{ s: string }>(
      `SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) AS s FROM pg_settings
        WHERE name IN ('synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers')`)).rows[0]!.s;
    const version = (await client.query<{ v: string }>(`SELECT version() AS v`)).rows[0]!.v;

    const cases: [string, string, unknown[]][] = [
      ['round trip (SELECT 1)', 'SELECT 1', []],
      ['one-row INSERT, autocommit (WAL flush)', 'INSERT INTO scratch VALUES (1)', []],
      ["scheduler tick: _refresh(id, 'SCHEDULER')", `SELECT pgtrickle._refresh($1, 'SCHEDULER')`, [id]],
      ['manual: refresh_stream_table(name)', `SELECT pgtrickle.refresh_stream_table('st_nochange')`, []],
    ];
    // Warm up every statement (plpgsql compiles a function on its first call in a session).
    for (const [, sql, params] of cases) await client.query(sql, params);
    const rows: string[][] = [];
    let roundTrip = 0;
    for (const [label, sql, params] of cases) {
      progress(`timing ${label}: ${RUNS} runs`);
      const times = await timeRuns(client, sql, params);
      if (roundTrip === 0) roundTrip = median(times);
      rows.push([label, ms(median(times)), ms(percentile(times, 0.95)), `${(median(times) / roundTrip).toFixed(1)}×`]);
    }
    const actions = (await client.query<{ action: string; n: number }>(
      `SELECT action, count(*)::int AS n FROM pgtrickle.pgt_refresh_history WHERE pgt_id = $1 AND initiated_by = 'MANUAL'
        GROUP BY action ORDER BY action`, [id])).rows;
    const noData = actions.find((a) => a.action === 'NO_DATA')?.n ?? 0;
    if (noData < RUNS) throw new Error(`expected ${RUNS} NO_DATA manual refreshes, history has ${JSON.stringify(actions)}`);

    process.stdout.write(`## No-change refresh, ${ROWS.toLocaleString('en-US')} orders, join + aggregate, ${RUNS} runs each\n\n`);
    process.stdout.write(`${version}\n${settings}\n\n`);
    process.stdout.write(`${markdownTable(['statement', 'median ms', 'p95 ms', 'vs round trip'], rows, [false, true, true, true])}\n`);
  } finally {
    await client?.end().catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await admin.end().catch(() => {});
    await pool.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:no-change failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
