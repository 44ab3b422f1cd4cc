/**
 * TPC-H benchmark: DIFFERENTIAL vs FULL refresh time per query after one 1 %
 * refresh-function cycle (RF1 inserts 1 % new orders with their line items,
 * RF2 deletes 1 % of the orders, RF3 updates 4 % as many line items and a
 * share of orders, customers and partsupp rows), side by side in one run at
 * each scale factor, through the real path (create_stream_table → compile in
 * the worker pool → install → refresh_stream_table), with equality checked
 * for both stream tables of every query.
 *
 *   node --import tsx bench/tpch/run.ts [--sf 0.01,0.05] [--queries q01,q04,…] [--cycles 3]
 *
 * Server: embedded PostgreSQL 18 in a temp directory, or PGTRICKLE_BENCH_DATABASE_URL.
 * stdout: one Markdown table per scale factor. stderr: progress.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { installCatalog, loadBundle } from '../../src/catalog/install.ts';
import { compileStreamTable } from '../../src/compile/plans.ts';
import { CompilerPool } from '../../src/compile/pool.ts';
import { withDatabase } from '../../src/db-url.ts';
import { QUERIES } from '../../test/tpch/queries.ts';
import { ddl } from '../../test/tpch/schema.ts';
import { startBenchServer } from '../server.ts';

const { values: args } = parseArgs({
  options: {
    sf: { type: 'string', default: '0.01,0.05' },
    queries: { type: 'string', default: Object.entries(QUERIES).filter(([, q]) => !q.refused).map(([k]) => k).join(',') },
    cycles: { type: 'string', default: '3' },
  },
});
const SFS = args.sf.split(',').map(Number);
const NAMES = args.queries.split(',').map((s) => s.trim());
const CYCLES = Number(args.cycles);
const progress = (m: string) => process.stderr.write(`${m}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(client: pg.Client, sql: string, params: unknown[]): Promise<number> {
  const t0 = performance.now();
  await client.query(sql, params);
  return performance.now() - t0;
}

async function equal(client: pg.Client, st: string, query: string): Promise<boolean> {
  // The storage also has __pgt_* columns: compare the query's own columns.
  const { fields } = await client.query(`SELECT * FROM (${query}) q LIMIT 0`);
  const cols = fields.map((f) => client.escapeIdentifier(f.name)).join(', ');
  const { rows } = await client.query(
    `SELECT (SELECT count(*) FROM (SELECT ${cols} FROM ${st} EXCEPT ALL SELECT * FROM (${query}) q) a) + (SELECT count(*) FROM (SELECT * FROM (${query}) q EXCEPT ALL SELECT ${cols} FROM ${st}) b) AS n`);
  return Number(rows[0].n) === 0;
}

async function pgtId(client: pg.Client, name: string): Promise<number> {
  return Number((await client.query(`SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_schema = 'tpch' AND pgt_name = $1`, [name])).rows[0].pgt_id);
}

async function run(adminUrl: string, sf: number, pool: CompilerPool): Promise<string> {
  const database = `pgtrickle_tpch_${String(sf).replace('.', '_')}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  const client = new pg.Client({ connectionString: withDatabase(adminUrl, database) });
  await client.connect();
  try {
    await installCatalog(client, loadBundle());
    await client.query(`SET client_min_messages = warning`);
    await client.query(ddl('tpch'));
    progress(`SF ${sf}: generating`);
    await client.query(`SELECT tpch_generate($1)`, [sf]);
    await client.query('ANALYZE');
    const orders = Number((await client.query(`SELECT count(*)::int AS n FROM orders`)).rows[0].n);
    const subjects: { name: string; diff: string; full: string; diffId: number; sql: string }[] = [];
    for (const name of NAMES) {
      const spec = QUERIES[name];
      if (!spec) throw new Error(`unknown query ${name}`);
      const diff = `${name}_diff`;
      await client.query(`SELECT pgtrickle.create_stream_table($1, $2, '1h', 'DIFFERENTIAL')`, [`tpch.${diff}`, spec.sql]);
      const diffId = await pgtId(client, diff);
      await client.query('BEGIN');
      const result = await compileStreamTable(client, pool, diffId).finally(() => client.query('COMMIT'));
      if (result.status !== 'installed') throw new Error(`${name}: ${result.status}`);
      await client.query(`SELECT pgtrickle.refresh_stream_table($1)`, [`tpch.${diff}`]);
      await client.query(`SELECT pgtrickle.create_stream_table($1, $2, '1h', 'FULL')`, [`tpch.${name}_full`, spec.sql]);
      subjects.push({ name, diff: `tpch.${diff}`, full: `tpch.${name}_full`, diffId, sql: spec.sql });
    }
    const times = new Map<string, { d: number[]; f: number[]; eq: boolean; actions: Set<string> }>();
    for (const s of subjects) times.set(s.name, { d: [], f: [], eq: true, actions: new Set() });
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const n = Math.max(1, Math.round(orders / 100));
      progress(`SF ${sf}: cycle ${cycle} (RF1/RF2 ${n} orders, RF3 ${n * 4} line items)`);
      await client.query(`SELECT tpch_rf1($1)`, [n]);
      await client.query(`SELECT tpch_rf2($1)`, [n]);
      await client.query(`SELECT tpch_rf3($1, $2)`, [n * 4, cycle]);
      for (const s of subjects) {
        const t = times.get(s.name)!;
        t.d.push(await timed(client, `SELECT pgtrickle.refresh_stream_table($1)`, [s.diff]));
        t.actions.add(String((await client.query(`SELECT action FROM pgtrickle.pgt_refresh_history WHERE pgt_id = $1 ORDER BY refresh_id DESC LIMIT 1`, [s.diffId])).rows[0]?.action));
        t.f.push(await timed(client, `SELECT pgtrickle.refresh_stream_table($1)`, [s.full]));
        t.eq &&= (await equal(client, s.diff, s.sql)) && (await equal(client, s.full, s.sql));
      }
    }
    const lines = [
      `### SF ${sf} (${orders.toLocaleString('en-US')} orders; 1 % cycle; median of ${CYCLES} cycles)`,
      '',
      '| query | FULL ms | DIFFERENTIAL ms | DIFF / FULL | DIFF refreshes | equal |',
      '|---|--:|--:|--:|---|:-:|',
    ];
    for (const s of subjects) {
      const t = times.get(s.name)!;
      const d = median(t.d);
      const f = median(t.f);
      lines.push(`| ${s.name} | ${f.toFixed(1)} | ${d.toFixed(1)} | ${(d / f).toFixed(2)} | ${[...t.actions].join(', ')} | ${t.eq ? 'yes' : '**NO**'} |`);
    }
    return lines.join('\n');
  } finally {
    await client.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

const server = await startBenchServer(progress);
const pool = new CompilerPool();
try {
  for (const sf of SFS) process.stdout.write(`${await run(server.adminUrl, sf, pool)}\n\n`);
} finally {
  await pool.close();
  await server.stop();
}
