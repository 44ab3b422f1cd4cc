/**
 * Refresh benchmark: DIFFERENTIAL vs FULL vs REFRESH MATERIALIZED VIEW, side by
 * side in one run, through the real path (create_stream_table → compile in the
 * worker pool → install → refresh_stream_table).
 *
 *   npm run bench:refresh -- [--sizes 100000,1000000] [--ratios 0.0001,0.001,0.01,0.1]
 *                            [--cycles 5] [--queries filter,join,agg,join_agg]
 *                            [--set work_mem=64MB ...] [--explain DIR] [--keep]
 *
 * Server: embedded PostgreSQL 18 in a temp directory, or PGTRICKLE_BENCH_DATABASE_URL
 * (an admin URL; a scratch database is created and dropped there).
 * stdout: the result tables (Markdown). stderr: progress.
 *
 * After every cycle both stream tables of every query are checked against the
 * query ((st EXCEPT ALL q) and (q EXCEPT ALL st) empty); a mismatch aborts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { installCatalog, loadBundle, type CatalogBundle } from '../src/catalog/install.ts';
import { compileStreamTable } from '../src/compile/plans.ts';
import { CompilerPool } from '../src/compile/pool.ts';
import { compile, initDvm, type CompileInput, type CompileSource } from '../src/dvm/index.ts';
import { withDatabase } from '../src/db-url.ts';
import { startBenchServer, type BenchServer } from './server.ts';
import { markdownTable, median, ms, percent, percentile, ratio } from './refresh/report.ts';
import { applyBatch, createAndLoad, QUERIES, type BenchQuery, type Sources } from './refresh/workload.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: process.env.PGTRICKLE_BENCH_SIZES ?? '100000,1000000' },
    ratios: { type: 'string', default: '0.0001,0.001,0.01,0.1' },
    cycles: { type: 'string', default: '5' },
    queries: { type: 'string', default: QUERIES.map((q) => q.key).join(',') },
    'no-change-runs': { type: 'string', default: '30' },
    'compile-runs': { type: 'string', default: '200' },
    set: { type: 'string', multiple: true, default: [] },
    explain: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

function numbers(list: string, what: string): number[] {
  const parsed = list.split(',').map((s) => Number(s.trim()));
  if (parsed.length === 0 || parsed.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`--${what}: expected positive numbers, got ${list}`);
  return parsed;
}

const SIZES = numbers(args.sizes, 'sizes').map(Math.round);
const RATIOS = numbers(args.ratios, 'ratios');
const CYCLES = Math.round(numbers(args.cycles, 'cycles')[0]!);
const NO_CHANGE_RUNS = Math.round(numbers(args['no-change-runs'], 'no-change-runs')[0]!);
const COMPILE_RUNS = Math.round(numbers(args['compile-runs'], 'compile-runs')[0]!);
const SELECTED: BenchQuery[] = args.queries.split(',').map((key) => {
  const q = QUERIES.find((x) => x.key === key.trim());
  if (!q) throw new Error(`--queries: unknown query ${key}; known: ${QUERIES.map((x) => x.key).join(', ')}`);
  return q;
});
const SESSION_SETTINGS: [string, string][] = args.set.map((s) => {
  const i = s.indexOf('=');
  if (i <= 0) throw new Error(`--set: expected name=value, got ${s}`);
  return [s.slice(0, i).trim(), s.slice(i + 1).trim()];
});

const progress = (message: string) => process.stderr.write(`${message}\n`);

const REPO = path.resolve(import.meta.dirname, '..');
const git = (...gitArgs: string[]) => execFileSync('git', gitArgs, { cwd: REPO, encoding: 'utf8' });

/**
 * The catalog SQL is read once, at start, so every size installs the same
 * catalog. Run from a clean checkout: the compiler worker loads src/ when it
 * (re)starts, so a tree edited during the run mixes versions.
 */
function catalogBundle(): { bundle: CatalogBundle; source: string } {
  let commit = 'not a git checkout';
  try {
    const dirty = git('status', '--porcelain', '--', 'sql', 'src', 'workers').trim() !== '';
    commit = `commit ${git('rev-parse', '--short', 'HEAD').trim()}${dirty ? ' WITH UNCOMMITTED CHANGES in sql/, src/ or workers/' : ''}`;
  } catch {
    // a source archive: no history to name
  }
  return { bundle: loadBundle(), source: commit };
}
const CATALOG = catalogBundle();

class MismatchError extends Error {}

// ---------------------------------------------------------------------------
// Server and database
// ---------------------------------------------------------------------------

async function withAdmin<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const SETTINGS_SHOWN = [
  'shared_buffers', 'work_mem', 'maintenance_work_mem', 'effective_cache_size', 'max_parallel_workers_per_gather',
  'jit', 'random_page_cost', 'synchronous_commit', 'fsync', 'wal_level', 'autovacuum',
];

async function serverInfo(client: pg.ClientBase): Promise<string[]> {
  const version = (await client.query<{ v: string }>(`SELECT version() AS v`)).rows[0]!.v;
  const settings = await client.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY ($1) ORDER BY name`, [SETTINGS_SHOWN]);
  return [version, settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')];
}

// ---------------------------------------------------------------------------
// Stream tables, refreshes, the oracle
// ---------------------------------------------------------------------------

interface Subject {
  query: BenchQuery;
  diff: string;
  full: string;
  matview: string;
  diffId: number;
  fullId: number;
}

async function pgtIdOf(client: pg.ClientBase, name: string): Promise<number> {
  const { rows } = await client.query<{ id: string }>(`SELECT pgt_id AS id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = $1`, [name]);
  if (!rows[0]) throw new Error(`stream table ${name} not found`);
  return Number(rows[0].id);
}

async function setUp(client: pg.ClientBase, pool: CompilerPool, query: BenchQuery): Promise<Subject> {
  const diff = `st_diff_${query.key}`;
  const full = `st_full_${query.key}`;
  const matview = `mv_${query.key}`;
  let started = performance.now();
  await client.query(`SELECT pgtrickle.create_stream_table($1, $2, '1h', 'DIFFERENTIAL')`, [diff, query.sql]);
  const diffId = await pgtIdOf(client, diff);
  await client.query('BEGIN');
  const result = await compileStreamTable(client, pool, diffId);
  await client.query('COMMIT');
  if (result.status !== 'installed') throw new Error(`${query.label}: compiling ${diff} gave ${JSON.stringify(result)}`);
  await client.query(`SELECT pgtrickle.refresh_stream_table($1)`, [diff]); // FULL under the compiled plan
  const [first] = await lastHistory(client, diffId, 1);
  if (first?.action !== 'FULL') throw new Error(`${diff}: the first refresh after installing was ${first?.action}, expected FULL`);
  progress(`  ${diff}: created, compiled (${result.plan.strategy} strategy), populated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  started = performance.now();
  await client.query(`SELECT pgtrickle.create_stream_table($1, $2, '1h', 'FULL')`, [full, query.sql]);
  const fullId = await pgtIdOf(client, full);
  await client.query(`CREATE MATERIALIZED VIEW ${matview} AS ${query.sql}`);
  progress(`  ${full} and ${matview}: created in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const subject = { query, diff, full, matview, diffId, fullId };
  await checkEqual(client, subject, 'after set-up');
  return subject;
}

interface HistoryRow {
  action: string;
  ms: number;
}

async function lastHistory(client: pg.ClientBase, pgtId: number, n: number): Promise<HistoryRow[]> {
  const { rows } = await client.query<{ action: string; ms: number }>(
    `SELECT action, extract(epoch FROM end_time - start_time)::float8 * 1000 AS ms
       FROM pgtrickle.pgt_refresh_history WHERE pgt_id = $1 ORDER BY refresh_id DESC LIMIT $2`, [pgtId, n]);
  return rows;
}

async function timed(client: pg.ClientBase, sql: string, params: unknown[] = []): Promise<number> {
  const started = performance.now();
  await client.query(sql, params);
  return performance.now() - started;
}

/** The oracle, for one stream table: both EXCEPT ALL directions empty, hidden columns excluded. */
async function checkOne(client: pg.ClientBase, streamTable: string, query: string, when: string): Promise<void> {
  const cols = await client.query<{ col: string }>(
    `SELECT quote_ident(attname) AS col FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\\_\\_pgt\\_%' ORDER BY attnum`,
    [streamTable]);
  const list = cols.rows.map((c) => c.col).join(', ');
  const extra = `SELECT ${list} FROM ${streamTable} EXCEPT ALL (${query})`;
  const missing = `(${query}) EXCEPT ALL SELECT ${list} FROM ${streamTable}`;
  const { rows } = await client.query<{ extra: string; missing: string }>(
    `SELECT (SELECT count(*) FROM (${extra}) x) AS extra, (SELECT count(*) FROM (${missing}) y) AS missing`);
  const counts = rows[0]!;
  if (Number(counts.extra) === 0 && Number(counts.missing) === 0) return;
  const sampleExtra = (await client.query(`${extra} LIMIT 5`)).rows;
  const sampleMissing = (await client.query(`${missing} LIMIT 5`)).rows;
  throw new MismatchError(
    `MISMATCH ${when}: ${streamTable} differs from its query: ${counts.extra} extra rows, ${counts.missing} missing rows\n`
    + `  extra (first 5): ${JSON.stringify(sampleExtra)}\n  missing (first 5): ${JSON.stringify(sampleMissing)}`);
}

async function checkEqual(client: pg.ClientBase, subject: Subject, when: string): Promise<void> {
  await checkOne(client, subject.diff, subject.query.sql, when);
  await checkOne(client, subject.full, subject.query.sql, when);
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of a stream table's DIFFERENTIAL statement in a
 * rolled-back transaction, with the settings `pgtrickle._refresh` pins.
 */
async function explainDifferential(client: pg.ClientBase, pgtId: number): Promise<string> {
  const { rows } = await client.query<{ sql: string }>(`SELECT differential_sql AS sql FROM pgtrickle.pgt_coord_plans WHERE pgt_id = $1`, [pgtId]);
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL search_path = pg_catalog, pgtrickle; SET LOCAL "TimeZone" = 'UTC'; SET LOCAL "DateStyle" = 'ISO, MDY';
      SET LOCAL extra_float_digits = 1; SET LOCAL row_security = off; SET LOCAL pg_trickle.internal_refresh = 'true'`);
    const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${rows[0]!.sql}`);
    return plan.rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await client.query('ROLLBACK');
  }
}

// ---------------------------------------------------------------------------
// The measurement
// ---------------------------------------------------------------------------

interface Cell {
  size: number;
  query: BenchQuery;
  ratio: number;
  changedRows: number[];
  diff: number[];
  diffServer: number[];
  diffActions: string[];
  full: number[];
  fullServer: number[];
  matview: number[];
}

interface SizeResult {
  size: number;
  cells: Cell[];
  noChange: { query: BenchQuery; median: number; p95: number; actions: string[] }[];
  setupSeconds: number;
}

async function benchSize(adminUrl: string, pool: CompilerPool, size: number): Promise<SizeResult> {
  const database = `pgtrickle_bench_${size}_${process.pid}`;
  await withAdmin(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  });
  const client = new pg.Client({ connectionString: withDatabase(adminUrl, database) });
  await client.connect();
  try {
    const setupStarted = performance.now();
    progress(`\n== ${size.toLocaleString('en-US')} rows: database ${database}`);
    await installCatalog(client, CATALOG.bundle);
    for (const [name, value] of SESSION_SETTINGS) await client.query(`SELECT set_config($1, $2, false)`, [name, value]);
    const sources: Sources = await createAndLoad(client, size, progress);
    const subjects: Subject[] = [];
    for (const query of SELECTED) subjects.push(await setUp(client, pool, query));
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    const cells: Cell[] = [];
    for (const changeRatio of RATIOS) {
      const row = subjects.map((s): Cell => ({
        size, query: s.query, ratio: changeRatio, changedRows: [], diff: [], diffServer: [], diffActions: [], full: [], fullServer: [], matview: [],
      }));
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        const cycleStarted = performance.now();
        const batch = await applyBatch(client, sources, changeRatio);
        const changed = [batch.orders, batch.customers].reduce((n, b) => n + b.updated + b.deleted + b.inserted, 0);
        for (let i = 0; i < subjects.length; i++) {
          const s = subjects[i]!;
          const cell = row[i]!;
          cell.changedRows.push(changed);
          cell.diff.push(await timed(client, `SELECT pgtrickle.refresh_stream_table($1)`, [s.diff]));
          const [d] = await lastHistory(client, s.diffId, 1);
          cell.diffServer.push(d!.ms);
          cell.diffActions.push(d!.action);
          cell.full.push(await timed(client, `SELECT pgtrickle.refresh_stream_table($1)`, [s.full]));
          const [f] = await lastHistory(client, s.fullId, 1);
          if (f!.action !== 'FULL') throw new Error(`${s.full}: expected a FULL refresh, history says ${f!.action}`);
          cell.fullServer.push(f!.ms);
          cell.matview.push(await timed(client, `REFRESH MATERIALIZED VIEW ${s.matview}`));
          await checkEqual(client, s, `after cycle ${cycle} at ${percent(changeRatio)} change (${size} rows, ${s.query.label})`);
        }
        progress(`  ${percent(changeRatio)} change, cycle ${cycle}/${CYCLES}: ${changed} rows changed; `
          + row.map((c) => `${c.query.key} diff ${ms(c.diff.at(-1)!)} ms (${c.diffActions.at(-1)}) full ${ms(c.full.at(-1)!)} mv ${ms(c.matview.at(-1)!)}`).join('; ')
          + ` — cycle ${((performance.now() - cycleStarted) / 1000).toFixed(1)} s, checks passed`);
      }
      cells.push(...row);
      if (args.explain) {
        // One extra, untimed cycle: EXPLAIN ANALYZE executes the statement, which
        // would warm the cache for a timed refresh.
        await applyBatch(client, sources, changeRatio);
        mkdirSync(args.explain, { recursive: true });
        for (const s of subjects) {
          const file = path.join(args.explain, `${size}-${s.query.key}-${changeRatio}.txt`);
          writeFileSync(file, `${s.query.sql}\n\n${await explainDifferential(client, s.diffId)}\n`);
          for (const name of [s.diff, s.full]) await client.query(`SELECT pgtrickle.refresh_stream_table($1)`, [name]);
          await checkEqual(client, s, `after the EXPLAIN cycle at ${percent(changeRatio)} change`);
        }
        progress(`  ${percent(changeRatio)} change: EXPLAIN ANALYZE of the DIFFERENTIAL statements written to ${args.explain}`);
      }
    }

    // No change since the last refresh: the executor's NO_DATA path.
    const noChange: SizeResult['noChange'] = [];
    for (const s of subjects) {
      const times: number[] = [];
      for (let i = 0; i < NO_CHANGE_RUNS; i++) times.push(await timed(client, `SELECT pgtrickle.refresh_stream_table($1)`, [s.diff]));
      const actions = [...new Set((await lastHistory(client, s.diffId, NO_CHANGE_RUNS)).map((h) => h.action))];
      noChange.push({ query: s.query, median: median(times), p95: percentile(times, 0.95), actions });
    }
    return { size, cells, noChange, setupSeconds };
  } finally {
    await client.end();
    if (!args.keep) {
      await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => {});
    }
  }
}

/** The 5-way join with aggregates of test/dvm/plan.test.ts, compiled in process. */
async function compileTiming(): Promise<{ median: number; p95: number; runs: number }> {
  await initDvm();
  const table = (relid: number, name: string, columns: [string, string][], primaryKey: string[] | null): CompileSource =>
    ({ relid, schema: 'public', name, kind: 'TABLE', columns: columns.map(([n, type]) => ({ name: n, type, notNull: false })), primaryKey });
  const input: CompileInput = {
    pgtId: 1,
    target: { schema: 'public', name: 'st' },
    query: `SELECT c.region, t.label, count(*) AS n, sum(o.amt) AS total, avg(o.qty) AS q
      FROM orders o JOIN customers c ON c.id = o.cust JOIN customers c2 ON c2.tier = c.tier
      JOIN orders o2 ON o2.cust = c2.id JOIN items i ON i.order_id = o2.id
      CROSS JOIN customers t(label) WHERE o.amt > 3 GROUP BY c.region, t.label`,
    outputColumns: [
      { name: 'region', type: 'text' }, { name: 'label', type: 'integer' }, { name: 'n', type: 'bigint' },
      { name: 'total', type: 'numeric' }, { name: 'q', type: 'numeric' },
    ],
    sources: [
      table(16001, 'orders', [['id', 'integer'], ['cust', 'integer'], ['amt', 'numeric(10,2)'], ['qty', 'integer'], ['note', 'text']], ['id']),
      table(16002, 'customers', [['id', 'integer'], ['region', 'text'], ['tier', 'integer']], ['id']),
      table(16003, 'items', [['order_id', 'integer'], ['sku', 'text'], ['price', 'numeric']], null),
    ],
    searchPath: ['public'],
    worstVolatility: 'i',
    mode: 'DIFFERENTIAL',
  };
  for (let i = 0; i < 20; i++) compile(input); // warm up the JIT
  const times: number[] = [];
  for (let i = 0; i < COMPILE_RUNS; i++) {
    const started = performance.now();
    compile(input);
    times.push(performance.now() - started);
  }
  return { median: median(times), p95: percentile(times, 0.95), runs: COMPILE_RUNS };
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

function actionSummary(actions: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const a of actions) counts.set(a, (counts.get(a) ?? 0) + 1);
  return [...counts].map(([a, n]) => (a === 'DIFFERENTIAL' ? `DIFF×${n}` : `${a}×${n}`)).join(' ');
}

const write = (lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);

function printHeader(info: string[], server: BenchServer): void {
  write([
    `# pgtrickle refresh benchmark`, '',
    `server: ${info[0]} (${server.description})`,
    `settings: ${info[1]}`,
    `pgtrickle: ${CATALOG.source}`,
    `session settings (--set): ${SESSION_SETTINGS.length ? SESSION_SETTINGS.map(([n, v]) => `${n}=${v}`).join(', ') : 'none'}`,
    `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}`,
    `cycles per cell: ${CYCLES} (median shown); each batch: 70% UPDATE, 15% DELETE, 15% INSERT of the ratio × rows of orders`
      + ` AND of customers (size / 10 rows), one transaction; equality checked after every cycle`, '',
    `Times in ms, client side; "DIFF srv" is the history's end_time − start_time of the DIFFERENTIAL refresh.`, '',
  ]);
}

/** One size's rows, printed as soon as the size is done. */
function printSize(r: SizeResult): void {
  const header = ['rows', 'query', 'change', 'Δ rows', 'DIFF ms', 'DIFF srv', 'DIFF actions', 'FULL ms', 'MATVIEW ms', 'FULL/DIFF', 'MATVIEW/DIFF'];
  const right = [true, false, true, true, true, true, false, true, true, true, true];
  const rows = r.cells.map((c) => {
    const diff = median(c.diff);
    return [
      r.size.toLocaleString('en-US'), c.query.label, percent(c.ratio), String(Math.round(median(c.changedRows))),
      ms(diff), ms(median(c.diffServer)), actionSummary(c.diffActions), ms(median(c.full)), ms(median(c.matview)),
      ratio(median(c.full), diff), ratio(median(c.matview), diff),
    ];
  });
  write([
    `## ${r.size.toLocaleString('en-US')} rows`, '', markdownTable(header, rows, right), '',
    `No-change DIFFERENTIAL refresh (target < 2 ms):`, '',
    markdownTable(['rows', 'query', 'median ms', 'p95 ms', 'actions', 'target'], r.noChange.map((n) => [
      r.size.toLocaleString('en-US'), n.query.label, ms(n.median), ms(n.p95), n.actions.join(','), n.median < 2 ? 'met' : 'MISSED',
    ]), [true, false, true, true, false, false]), '',
    `set-up (load, index, ANALYZE, create + populate): ${r.setupSeconds.toFixed(0)} s`, '',
  ]);
}

function printSummary(results: SizeResult[], compileResult: { median: number; p95: number; runs: number }): void {
  const out = [`## Compile a 5-way join with aggregates, in process (target < 20 ms)`, '',
    `median ${ms(compileResult.median)} ms, p95 ${ms(compileResult.p95)} ms over ${compileResult.runs} runs: `
    + `${compileResult.median < 20 ? 'met' : 'MISSED'}`, '',
    `## Target: DIFFERENTIAL ≥ 50× faster than FULL, join + aggregate, 0.1% change, 1M rows`, ''];
  const target = results.find((r) => r.size === 1_000_000)?.cells.find((c) => c.query.key === 'join_agg' && c.ratio === 0.001);
  if (target) {
    const factor = median(target.full) / median(target.diff);
    out.push(`FULL ${ms(median(target.full))} ms / DIFF ${ms(median(target.diff))} ms = ${factor.toFixed(1)}×: ${factor >= 50 ? 'met' : 'MISSED'}`);
  } else {
    out.push('not measured in this run (needs --sizes with 1000000, --ratios with 0.001, --queries with join_agg)');
  }
  write(out);
}

async function main(): Promise<number> {
  const started = performance.now();
  const server = await startBenchServer(progress);
  const pool = new CompilerPool();
  try {
    const info = await withAdmin(server.adminUrl, serverInfo);
    progress(`${info[0]}\n${info[1]}`);
    printHeader(info, server);
    const results: SizeResult[] = [];
    for (const size of SIZES) {
      const result = await benchSize(server.adminUrl, pool, size);
      printSize(result);
      results.push(result);
    }
    printSummary(results, await compileTiming());
    progress(`\ndone in ${((performance.now() - started) / 60_000).toFixed(1)} min`);
    return 0;
  } catch (raw) {
    if (raw instanceof MismatchError) {
      progress(`\n${raw.message}\nABORTED: a stream table is not equal to its query.`);
      return 2;
    }
    throw raw;
  } finally {
    await pool.close();
    await server.stop();
  }
}

process.exitCode = await main();
