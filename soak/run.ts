/**
 * Soak / multi-database runner: `npm run soak -- --databases 20 --minutes 10`.
 *
 * Creates N databases on one PostgreSQL server (PGTRICKLE_SOAK_ADMIN_URL, else
 * PGTRICKLE_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres),
 * each with a source table and K stream tables (an aggregate in DIFFERENTIAL,
 * a filter in DIFFERENTIAL, a FULL one), starts `--nodes` coordinator
 * processes (`pgtrickle start`; with more than one, or --nats, on a local
 * nats-server it starts), keeps writers inserting, updating and deleting at
 * `--rate` statements a second per database, and every `--check-every`
 * seconds pauses the writers, refreshes every stream table through the
 * library and checks the oracle (`st EXCEPT ALL q` and `q EXCEPT ALL st`
 * empty), that no stream table is in ERROR, and each node's RSS and the open
 * connections. `--fault kill-node` kills one node with SIGKILL halfway and
 * starts it again. Ends with a report; exits 1 on any mismatch, error state,
 * lost node or RSS growth over --max-rss-growth-mb. Local addresses only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openConnection, refreshStreamTable } from '../src/index.ts';
import { startNatsServer, type NatsServer } from '../test/bus/nats-server.ts';

const { values: args } = parseArgs({
  options: {
    databases: { type: 'string', default: '3' },
    tables: { type: 'string', default: '3' },
    minutes: { type: 'string' },
    seconds: { type: 'string' },
    rate: { type: 'string', default: '20' },
    nodes: { type: 'string', default: '1' },
    nats: { type: 'boolean', default: false },
    fault: { type: 'string' },
    'check-every': { type: 'string', default: '15' },
    'max-rss-growth-mb': { type: 'string', default: '300' },
    'admin-url': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const N = Number(args.databases);
const K = Math.min(3, Math.max(1, Number(args.tables)));
const durationMs = args.seconds ? Number(args.seconds) * 1000 : Number(args.minutes ?? '1') * 60_000;
const rate = Number(args.rate);
const nodeCount = Math.max(1, Number(args.nodes));
const checkEveryMs = Number(args['check-every']) * 1000;
const adminUrl = args['admin-url'] ?? process.env.PGTRICKLE_SOAK_ADMIN_URL ?? (process.env.PGTRICKLE_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
const BIN = path.resolve(import.meta.dirname, '../bin/pgtrickle.js');
const run = `soak_${process.pid}`;

const QUERIES: { name: string; mode: string; query: string }[] = [
  { name: 'by_group', mode: 'DIFFERENTIAL', query: 'SELECT grp, count(*) AS n, sum(v) AS total FROM src GROUP BY grp' },
  { name: 'big_values', mode: 'DIFFERENTIAL', query: 'SELECT id, grp, v FROM src WHERE v > 500' },
  { name: 'full_max', mode: 'FULL', query: 'SELECT grp, max(v) AS m FROM src GROUP BY grp' },
].slice(0, K);

function urlOf(db: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
}

const log = (line: string) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Node {
  id: string;
  child: ChildProcess;
  firstRssKb: number | null;
  lastRssKb: number | null;
}

function rssKb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on('error', () => {});
  await admin.connect();
  const dbs = Array.from({ length: N }, (_, i) => `${run}_${i}`);
  let nats: NatsServer | null = null;
  const nodes: Node[] = [];
  const problems: string[] = [];
  const clients: pg.Client[] = [];
  let checks = 0;
  let writes = 0;
  try {
    for (const db of dbs) await admin.query(`CREATE DATABASE ${db}`);
    if (nodeCount > 1 || args.nats) nats = await startNatsServer();
    const startNode = (id: string): Node => {
      const flags = ['start', ...dbs.flatMap((d) => ['--database', urlOf(d)]), '--node-id', id, '--scheduler-interval-ms', '500', '--log-format', 'json'];
      if (nats) flags.push('--nats-url', nats.url, '--lease-ttl-ms', '6000');
      const child = spawn('node', [BIN, ...flags], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PGTRICKLE_LOG_LEVEL: 'warn' } });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
      child.once('exit', (code, signal) => {
        if (!stopping && signal !== 'SIGKILL') problems.push(`node ${id} exited (${code ?? signal}): ${err.trim().split('\n').at(-1) ?? ''}`);
      });
      return { id, child, firstRssKb: null, lastRssKb: null };
    };
    let stopping = false;
    for (let i = 0; i < nodeCount; i++) nodes.push(startNode(`soak-node-${i}`));

    // Wait for the catalogs, then create sources and stream tables.
    for (const db of dbs) {
      const c = await openConnection(urlOf(db), 'pgtrickle soak');
      c.on('error', () => {}); // the final DROP DATABASE … FORCE ends it
      clients.push(c);
      for (let t = 0; ; t++) {
        const { rows } = await c.query<{ ok: boolean }>("SELECT to_regclass('pgtrickle.pgt_coord_catalog') IS NOT NULL AND EXISTS (SELECT FROM pgtrickle.pgt_coord_catalog) AS ok").catch(() => ({ rows: [{ ok: false }] }));
        if (rows[0]!.ok) break;
        if (t > 600) throw new Error(`no catalog in ${db} after 60 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await c.query('CREATE TABLE src (id serial PRIMARY KEY, grp int NOT NULL, v int NOT NULL)');
      await c.query('INSERT INTO src (grp, v) SELECT g % 10, (g * 37) % 1000 FROM generate_series(1, 500) g');
      for (const q of QUERIES) await c.query('SELECT pgtrickle.create_stream_table($1, $2, $3, $4)', [q.name, q.query, '1s', q.mode]);
    }
    log(`${N} databases × ${K} stream tables, ${nodeCount} node(s)${nats ? ` on NATS ${nats.url}` : ''}, ${rate} writes/s per database, ${durationMs / 1000}s`);

    // Writers: one per database, paused during checks.
    let paused = false;
    let done = false;
    const inFlight = new Set<Promise<unknown>>();
    const writer = async (c: pg.Client) => {
      while (!done) {
        if (!paused) {
          const r = Math.random();
          const sql = r < 0.5 ? 'INSERT INTO src (grp, v) VALUES ((random() * 10)::int, (random() * 1000)::int)'
            : r < 0.8 ? 'UPDATE src SET v = (random() * 1000)::int WHERE id = (SELECT id FROM src ORDER BY random() LIMIT 1)'
            : 'DELETE FROM src WHERE id = (SELECT id FROM src ORDER BY random() LIMIT 1)';
          const p = c.query(sql).then(() => writes++, (e: Error) => problems.push(`writer: ${e.message}`));
          inFlight.add(p);
          await p;
          inFlight.delete(p);
        }
        await new Promise((res) => setTimeout(res, 1000 / rate));
      }
    };
    const writers = clients.map((c) => writer(c));

    const started = Date.now();
    let killed = false;
    while (Date.now() - started < durationMs && problems.length === 0) {
      await new Promise((r) => setTimeout(r, Math.min(checkEveryMs, durationMs - (Date.now() - started))));
      if (args.fault === 'kill-node' && !killed && Date.now() - started > durationMs / 2 && nodes.length > 0) {
        killed = true;
        const victim = nodes[0]!;
        log(`fault: kill -9 ${victim.id} (pid ${victim.child.pid})`);
        victim.child.kill('SIGKILL');
        nodes[0] = startNode(`${victim.id}-restarted`);
      }
      // Check: pause writers, refresh (the one executor), compare.
      paused = true;
      await Promise.all(inFlight);
      let mismatches = 0;
      for (const [i, c] of clients.entries()) {
        for (const q of QUERIES) {
          try {
            await refreshStreamTable(c, q.name);
          } catch (raw) {
            problems.push(`${dbs[i]}.${q.name}: refresh failed: ${(raw as Error).message}`);
            continue;
          }
          const cols = (await c.query<{ col: string }>(`SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS col FROM pg_attribute
              WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\\_\\_pgt\\_%'`, [q.name])).rows[0]!.col;
          const { rows } = await c.query<{ extra: number; missing: number }>(
            `SELECT (SELECT count(*) FROM (SELECT ${cols} FROM ${q.name} EXCEPT ALL (${q.query})) e)::int AS extra,
                    (SELECT count(*) FROM ((${q.query}) EXCEPT ALL SELECT ${cols} FROM ${q.name}) m)::int AS missing`,
          );
          if (rows[0]!.extra || rows[0]!.missing) {
            mismatches++;
            problems.push(`${dbs[i]}.${q.name}: ${rows[0]!.extra} extra, ${rows[0]!.missing} missing rows`);
          }
        }
        const { rows: bad } = await c.query<{ n: string; status: string }>("SELECT pgt_name AS n, status FROM pgtrickle.pgt_stream_tables WHERE status IN ('ERROR', 'SUSPENDED')");
        for (const b of bad) problems.push(`${dbs[i]}.${b.n} is ${b.status}`);
      }
      paused = false;
      checks++;
      for (const n of nodes) {
        n.lastRssKb = rssKb(n.child.pid);
        n.firstRssKb ??= n.lastRssKb;
      }
      const conns = (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname LIKE '${run}\\_%'`)).rows[0]!.n;
      log(`check ${checks}: ${N * K} stream tables, ${mismatches} mismatches, ${writes} writes so far, ${conns} connections, RSS ${nodes.map((n) => `${n.id}=${Math.round((n.lastRssKb ?? 0) / 1024)}MB`).join(' ')}`);
    }
    done = true;
    await Promise.all(writers);
    const bound = Number(args['max-rss-growth-mb']) * 1024;
    for (const n of nodes) {
      if (n.firstRssKb !== null && n.lastRssKb !== null && n.lastRssKb - n.firstRssKb > bound) {
        problems.push(`${n.id}: RSS grew ${Math.round((n.lastRssKb - n.firstRssKb) / 1024)} MB (bound ${args['max-rss-growth-mb']} MB)`);
      }
    }
    if (checks === 0) problems.push('no check ran (duration shorter than --check-every?)');
    for (const c of clients) await c.end().catch(() => {});
    stopping = true;
  } catch (raw) {
    for (const c of clients) await c.end().catch(() => {});
    problems.push(`runner: ${(raw as Error).stack ?? String(raw)}`);
  } finally {
    for (const n of nodes) n.child.kill('SIGTERM');
    await Promise.all(nodes.map((n) => (n.child.exitCode !== null || n.child.signalCode !== null ? null : new Promise((r) => {
      n.child.once('exit', r);
      setTimeout(() => n.child.kill('SIGKILL'), 10_000).unref();
    }))));
    await nats?.stop().catch(() => {});
    if (!args.keep) for (const db of dbs) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
    await admin.end().catch(() => {});
  }
  const report = { databases: N, stream_tables: N * K, nodes: nodeCount, seconds: durationMs / 1000, checks, writes, problems };
  log(`report: ${JSON.stringify(report)}`);
  log(problems.length ? `FAILED: ${problems.length} problem(s)` : 'clean: every stream table equalled its query at every check');
  return problems.length ? 1 : 0;
}

process.exit(await main());
